"""Django's flush (after transactional tests, `manage.py flush`) may empty the events table;
the append-only triggers are still there afterwards."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from ledger.models import IssueEvent
from tests.integrity.tampering import EVENTS


def _triggers() -> set:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [EVENTS],
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [EVENTS],
            )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_a_flush_empties_the_ledger_and_keeps_the_triggers(world):
    issue = world.assigned_issue()
    before = _triggers()
    assert before
    call_command("flush", interactive=False, verbosity=0)
    assert not IssueEvent.objects.exists()
    assert _triggers() == before
    issue = world.__class__().assigned_issue()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {EVENTS} WHERE issue_id = %s", [issue.pk])
    assert issue.events.count() == 2
