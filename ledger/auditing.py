"""The security audit trail's door (GB/T 22239-2019 level 3, 安全审计).

Whatever signs someone in or out, changes an account, a role, a password or a second factor,
exports or imports rows, or changes something in the admin calls `record()`. The core only
sends the signal `audit_recorded`; the audit room (ledger.audit) stores it, signs it and shows
it to the audit administrator. The core never imports that room: with the room removed, the
calls still run and nothing is stored.

This trail is kept apart from the issue events (ledger.events): those are the history of the
cases; this is the history of who did what to the system.
"""

from enum import StrEnum

from django.dispatch import Signal

from ledger.client_ip import client_ip

# sent synchronously with kind, outcome, actor_id, username, ip, target, detail
audit_recorded = Signal()


class Kind(StrEnum):
    """What happened. The audit room names each in Chinese and English."""

    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_OUT = "sign_out"
    LOCKED_OUT = "locked_out"
    UNLOCKED = "unlocked"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET = "password_reset"
    PASSWORD_SET_BY_ADMIN = "password_set_by_admin"
    OTP_ENROLLED = "otp_enrolled"
    OTP_REMOVED = "otp_removed"
    OTP_FAILED = "otp_failed"
    RECOVERY_CODES_MADE = "recovery_codes_made"
    RECOVERY_CODE_USED = "recovery_code_used"
    ACCOUNT_CREATED = "account_created"
    ACCOUNT_CHANGED = "account_changed"
    ROLE_CHANGED = "role_changed"
    PERMISSIONS_CHANGED = "permissions_changed"
    EXPORTED = "exported"
    IMPORTED = "imported"
    ADMIN_CHANGED = "admin_changed"
    POLICY_CHANGED = "policy_changed"
    AUDIT_EXPORTED = "audit_exported"
    AUDIT_PURGED = "audit_purged"
    # the API's callers (ledger/api): a person's token, a system's registration and secrets
    API_TOKEN_CREATED = "api_token_created"
    API_TOKEN_REVOKED = "api_token_revoked"
    API_CLIENT_REGISTERED = "api_client_registered"
    API_CLIENT_CHANGED = "api_client_changed"
    API_SECRET_ROTATED = "api_secret_rotated"
    API_SECRET_REVOKED = "api_secret_revoked"
    # a call to the JSON API by a registered system (ledger/api/): who, what, how many rows
    API_CALL = "api_call"
    # a bearer token or client secret refused (unknown, wrong, expired, revoked, wrong address)
    API_AUTH_FAILED = "api_auth_failed"


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"


def record(
    kind: Kind,
    *,
    actor=None,
    username: str = "",
    request=None,
    target: str = "",
    outcome: Outcome = Outcome.SUCCESS,
    detail: dict | None = None,
) -> None:
    """Put one line on the audit trail.

    actor: the user who acted (None for an anonymous attempt; then give `username` as typed).
    request: gives the client's address (through the same trusted-proxy rule as the lockout).
    target: what was acted on, in words ("user staff2", "ledger export").
    detail: a small JSON-able dict (the filter, the row count, the old and new role …);
    never a password, a code or a token.
    """
    actor_id = getattr(actor, "pk", None) if actor is not None and actor.is_authenticated else None
    if actor_id is not None and not username:
        username = actor.get_username()
    audit_recorded.send(
        sender=Kind,
        kind=Kind(kind),
        outcome=Outcome(outcome),
        actor_id=actor_id,
        username=username[:150],
        ip=client_ip(request) if request is not None else None,
        target=target[:200],
        detail=dict(detail or {}),
    )
