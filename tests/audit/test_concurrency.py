"""Records written at the same moment take distinct places in one chain (the head's row lock):
on PostgreSQL with threads, on SQLite one after another."""

import pytest

from ledger import auditing
from ledger.audit.models import AuditRecord
from ledger.audit.verify import audit_verify
from ledger.auditing import Kind
from tests.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_simultaneous_records_make_one_unbroken_chain():
    before = AuditRecord.objects.count()

    def job(n):
        return lambda: auditing.record(Kind.SIGN_IN_FAILED, username=f"racer{n}", outcome="failure")

    results = race(*(job(n) for n in range(8)))
    assert [r for r in results if isinstance(r, Exception)] == []
    records = AuditRecord.objects.filter(username__startswith="racer")
    assert records.count() == 8 and AuditRecord.objects.count() == before + 8
    assert audit_verify().findings == []
