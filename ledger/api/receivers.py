"""Receivers of the core's signals: webhook deliveries queued after commit."""


def receivers_connect() -> None:
    """Connect the room's receivers (called once from ApiConfig.ready)."""
