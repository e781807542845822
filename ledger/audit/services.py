"""The audit trail's writes: store a record at the end of the chain, purge the expired start.

Each record is signed like an issue event (ledger.events: the same canonical JSON, the same
HMAC under EVENTS_KEY) and names the digest of the record before it; the head row holds the
last seq and digest under its own signature. Both writes lock the head, so the chain has one
order even when two requests record at once.
"""

import datetime
import ipaddress
import json

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ledger import auditing, events
from ledger.auditing import Kind

from .models import AuditHead, AuditRecord

# the retention the standard asks for (GB/T 22239-2019 8.1.4.3 d, 网络安全法 第二十一条: six
# months); a shorter AUDIT_RETENTION_DAYS is refused unless DEBUG is on
MIN_RETENTION_DAYS = 180


def record_payload(record: AuditRecord) -> dict:
    """What a record's digest covers: every stored column but the digest itself."""
    return {
        "seq": record.seq,
        "at": events.utc_text(record.at),
        "kind": record.kind,
        "outcome": record.outcome,
        "actor": record.actor_id,
        "username": record.username,
        "ip": record.ip,
        "target": record.target,
        "detail": record.detail,
        "key": record.key_id,
        "prev": record.prev,
    }


def head_payload(seq: int, digest: str, key_id: str) -> list:
    return ["audit-head", seq, digest, key_id]


def record_digest(record: AuditRecord) -> str:
    """HMAC under the record's key; unkeyed SHA-256 when no key was configured (verify
    reports those)."""
    key = events.key_for(record.key_id) if record.key_id else None
    return events.event_digest(record_payload(record), key)


def _json_plain(detail: dict) -> dict:
    """The detail as it reads back from the JSON column (tuples as lists, dates as text), so
    the digest signed now is the digest verify recomputes."""
    return json.loads(json.dumps(detail, default=str, ensure_ascii=False))


def _address(ip):
    if not ip:
        return None
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        return None


def _head_locked() -> AuditHead:
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:  # the migration creates it; a flushed test database does not have it
        head = AuditHead.objects.create(pk=1)
    return head


def audit_record_store(*, kind, outcome, actor_id, username, ip, target, detail) -> AuditRecord:
    """Append one record to the chain (the receiver of ledger.auditing.audit_recorded)."""
    key_id = settings.EVENTS_KEY_ID if settings.EVENTS_KEYS.get(settings.EVENTS_KEY_ID) else ""
    detail = _json_plain(detail or {})
    address = _address(ip)
    if ip and address is None:
        detail["ip_text"] = str(ip)[:100]
    # no savepoint inside a caller's transaction: a failed append fails that transaction anyway,
    # and three queries (lock the head, insert, move the head) are what a record costs
    with transaction.atomic(savepoint=False):
        head = _head_locked()
        record = AuditRecord(
            seq=head.seq + 1,
            at=timezone.now(),
            kind=str(kind),
            outcome=str(outcome),
            actor_id=actor_id,
            username=username or "",
            ip=address,
            target=target or "",
            detail=detail,
            key_id=key_id,
            prev=head.digest,
        )
        record.digest = record_digest(record)
        record.save()
        head.seq, head.digest, head.key_id = record.seq, record.digest, key_id
        head.mac = (
            events.sign(key_id, head_payload(record.seq, record.digest, key_id)) if key_id else ""
        )
        head.save()
    return record


def on_audit_recorded(sender, **kwargs):
    audit_record_store(
        kind=kwargs["kind"],
        outcome=kwargs["outcome"],
        actor_id=kwargs.get("actor_id"),
        username=kwargs.get("username", ""),
        ip=kwargs.get("ip"),
        target=kwargs.get("target", ""),
        detail=kwargs.get("detail"),
    )


class RetentionTooShort(Exception):
    pass


def retention_days() -> int:
    """AUDIT_RETENTION_DAYS, refused below six months unless DEBUG is on."""
    days = int(settings.AUDIT_RETENTION_DAYS)
    if days < MIN_RETENTION_DAYS and not settings.DEBUG:
        raise RetentionTooShort(days)
    return max(days, 1)


def audit_purge(*, now: datetime.datetime | None = None, username: str = "") -> int:
    """Delete the records older than the retention period, oldest first, and record the purge.

    The purge record names the last deleted seq and its digest: verify starts the chain there,
    so a record missing after it is still found. Returns how many were deleted.
    """
    days = retention_days()
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=days)
    with transaction.atomic():
        _head_locked()
        last_old = AuditRecord.objects.filter(at__lt=cutoff).order_by("-seq").first()
        detail = {"retention_days": days, "cutoff": events.utc_text(cutoff), "count": 0}
        if last_old is not None:
            deleted, _by_model = AuditRecord.objects.filter(seq__lte=last_old.seq).delete()
            detail.update(count=deleted, through_seq=last_old.seq, through_digest=last_old.digest)
        auditing.record(Kind.AUDIT_PURGED, username=username, target="audit log", detail=detail)
    return detail["count"]
