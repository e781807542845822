"""The core without one room: tests/test_without_rooms.py runs core_pages.py once per room."""

# app label → the room's package
ROOMS = {
    "notify": "ledger.notify",
    "oversight": "ledger.oversight",
    "exchange": "ledger.exchange",
    "integrity": "ledger.integrity",
    "security": "ledger.security",
    "service": "ledger.service",
    "feedback": "ledger.service.feedback",
    "scale": "ledger.scale",
    "audit": "ledger.audit",
    "api": "ledger.api",
}
