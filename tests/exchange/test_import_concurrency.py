"""Two imports of the same new rows committed at once create each issue once.

On PostgreSQL the imports are real threads released together (tests/test_concurrency.py's
race); the first is slowed down while it writes so the second really overlaps it and must
wait for the import lock, then finds every row already there. On SQLite the same
assertions run on the sequential form of the race.
"""

import time

import pytest
from django.conf import settings

from ledger import workflow
from ledger.exchange.importing import ledger_import
from ledger.models import Category, Issue, Source
from tests.exchange.import_sheets import csv_bytes
from tests.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def slow_import(monkeypatch):
    write = workflow.issues_import

    def slow(**kwargs):
        time.sleep(0.4)
        return write(**kwargs)

    monkeypatch.setattr(workflow, "issues_import", slow)


@pytest.fixture
def default_lists(db):
    """The 其他 category and source a row without them gets (EXCHANGE_IMPORT_DEFAULT_*). The
    migration seeds them, but a transactional test before this one on the same worker flushes
    the tables (tests/test_replica.py, the audit and summary races …): made here, not assumed."""
    Category.objects.get_or_create(name=settings.EXCHANGE["IMPORT_DEFAULT_CATEGORY"])
    Source.objects.get_or_create(name=settings.EXCHANGE["IMPORT_DEFAULT_SOURCE"])


def test_the_same_new_rows_committed_twice_at_once_are_created_once(
    world, slow_import, default_lists
):
    rows = [["企业名称", "问题描述"]] + [[world.enterprise.name, f"问题{n}"] for n in range(5)]
    data = csv_bytes(rows)

    def job():
        return ledger_import(data, file_name="a.csv", user=world.supervisor, dry_run=False)

    first, second = race(job, job)

    assert first.committed and second.committed, (first, second)
    assert sorted([first.to_create, second.to_create]) == [0, 5]
    assert sorted([first.unchanged, second.unchanged]) == [0, 5]
    assert Issue.objects.count() == 5
