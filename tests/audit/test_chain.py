"""The audit log is a signed chain: audit_verify finds an edited, deleted or inserted record,
a rewound head, and keeps verifying after a purge (its anchor)."""

import datetime
import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from ledger import auditing
from ledger.audit.models import AuditHead, AuditRecord
from ledger.audit.services import audit_purge, record_digest
from ledger.audit.verify import audit_verify
from ledger.auditing import Kind


def _fill(n=5):
    for i in range(n):
        auditing.record(
            Kind.SIGN_IN_FAILED,
            username=f"probe{i}",
            outcome="failure",
            detail={"i": i, "when": datetime.date(2026, 1, 1)},
        )
    return list(AuditRecord.objects.order_by("seq"))


@pytest.fixture(autouse=True)
def _fresh(empty_trail):
    pass


def _raw_update(record, **values):
    """Behind the application's back, as someone holding the database would."""
    AuditRecord.objects.filter(pk=record.pk).update(**values)


def _verify_fails(capsys=None):
    with pytest.raises(CommandError):
        call_command("audit_verify")


@pytest.mark.django_db
def test_records_chain_and_verify(capsys):
    records = _fill()
    assert [r.seq for r in records] == list(range(1, 6))
    assert records[0].prev == "" and all(b.prev == a.digest for a, b in itertools.pairwise(records))
    assert records[0].key_id  # signed under the events key
    assert records[0].detail == {"i": 0, "when": "2026-01-01"}
    head = AuditHead.objects.get(pk=1)
    assert (head.seq, head.digest) == (5, records[-1].digest)
    call_command("audit_verify")
    assert "5" in capsys.readouterr().out
    assert audit_verify().findings == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value",
    [
        ("username", "someone-else"),
        ("outcome", "success"),
        ("ip", "10.0.0.9"),
        ("detail", {"i": 99}),
        ("kind", Kind.SIGN_IN.value),
        ("at", None),
    ],
)
def test_an_edited_record_is_found(field, value):
    records = _fill()
    if field == "at":
        value = records[2].at - datetime.timedelta(hours=1)
    _raw_update(records[2], **{field: value})
    findings = audit_verify().findings
    assert any("#3" in line and "改动" in line for line in findings), findings
    _verify_fails()


@pytest.mark.django_db
def test_a_deleted_record_is_found():
    records = _fill()
    AuditRecord.objects.filter(pk=records[2].pk).delete()
    findings = audit_verify().findings
    assert any("#3–#3" in line for line in findings), findings


@pytest.mark.django_db
def test_a_deleted_tail_is_found_by_the_head():
    records = _fill()
    AuditRecord.objects.filter(pk=records[-1].pk).delete()
    findings = audit_verify().findings
    assert any("末尾" in line for line in findings), findings


@pytest.mark.django_db
def test_a_rewound_head_is_found():
    records = _fill()
    AuditRecord.objects.filter(pk=records[-1].pk).delete()
    AuditHead.objects.filter(pk=1).update(seq=4, digest=records[3].digest)
    findings = audit_verify().findings
    assert any("链头被改动" in line for line in findings), findings


@pytest.mark.django_db
def test_a_deleted_head_is_found():
    _fill()
    AuditHead.objects.all().delete()
    assert any("链头缺失" in line for line in audit_verify().findings)


@pytest.mark.django_db
def test_an_inserted_record_is_found():
    """A record slipped in between #2 and #3 (the later ones renumbered, links copied)
    cannot carry a valid signature without the key."""
    records = _fill()
    for record in reversed(records[2:]):
        _raw_update(record, seq=record.seq + 1)
    forged = AuditRecord(
        seq=3,
        at=timezone.now(),
        kind=Kind.SIGN_IN,
        outcome="success",
        username="intruder",
        key_id=records[0].key_id,
        prev=records[1].digest,
        digest=records[2].prev,
    )
    forged.save()
    AuditHead.objects.filter(pk=1).update(seq=6)
    findings = audit_verify().findings
    assert any("#3" in line and "改动" in line for line in findings), findings
    # and with a correctly computed digest the signature still needs the key
    assert record_digest(forged) != forged.digest


@pytest.mark.django_db
def test_an_appended_unsigned_record_is_found():
    records = _fill(2)
    unsigned = AuditRecord(
        seq=3,
        at=timezone.now(),
        kind=Kind.SIGN_IN,
        outcome="success",
        username="x",
        key_id="",
        prev=records[-1].digest,
    )
    unsigned.digest = record_digest(unsigned)
    unsigned.save()
    AuditHead.objects.filter(pk=1).update(seq=3, digest=unsigned.digest)
    findings = audit_verify().findings
    assert any("没有签名" in line for line in findings), findings


@pytest.mark.django_db
def test_truncate_is_found():
    _fill()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditRecord._meta.db_table}")
    assert any("末尾" in line for line in audit_verify().findings)


# -- retention ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_purge_deletes_only_expired_records_and_stays_verifiable(settings):
    settings.AUDIT_RETENTION_DAYS = 180
    records = _fill(6)
    old = timezone.now() - datetime.timedelta(days=200)
    # the first four are old; re-sign them as if written then (the digest covers the time)
    for record in records[:4]:
        record.at = old
    _resign(records)
    deleted = audit_purge()
    assert deleted == 4
    remaining = list(AuditRecord.objects.order_by("seq"))
    assert [r.seq for r in remaining] == [5, 6, 7]
    purge = remaining[-1]
    assert purge.kind == Kind.AUDIT_PURGED
    assert purge.detail["through_seq"] == 4 and purge.detail["count"] == 4
    assert audit_verify().findings == []
    # a record deleted after the anchor is still found
    AuditRecord.objects.filter(seq=5).delete()
    assert any("#5–#5" in line for line in audit_verify().findings)


def _resign(records):
    """Rewrite the chain with the key (as the application would have written it)."""
    prev = ""
    for record in records:
        record.prev = prev
        record.digest = record_digest(record)
        record.save()
        prev = record.digest
    from ledger import events
    from ledger.audit.services import head_payload

    last = records[-1]
    AuditHead.objects.filter(pk=1).update(
        seq=last.seq,
        digest=last.digest,
        key_id=last.key_id,
        mac=events.sign(last.key_id, head_payload(last.seq, last.digest, last.key_id)),
    )


@pytest.mark.django_db
def test_purge_command_records_itself_when_nothing_expired(capsys):
    _fill(2)
    call_command("audit_purge")
    assert AuditRecord.objects.count() == 3
    assert AuditRecord.objects.order_by("-seq").first().kind == Kind.AUDIT_PURGED
    call_command("audit_verify")


@pytest.mark.django_db
def test_purge_refuses_a_retention_under_six_months(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    settings.DEBUG = False
    _fill(2)
    with pytest.raises(CommandError, match="180"):
        call_command("audit_purge")
    assert AuditRecord.objects.count() == 2


def test_the_system_check_refuses_a_retention_under_six_months(settings):
    from ledger.audit.apps import retention_check

    settings.DEBUG = False
    settings.AUDIT_RETENTION_DAYS = 179
    assert [error.id for error in retention_check()] == ["audit.E001"]
    settings.AUDIT_RETENTION_DAYS = 180
    assert retention_check() == []
    settings.DEBUG = True
    settings.AUDIT_RETENTION_DAYS = 1
    assert retention_check() == []
