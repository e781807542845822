"""Direct SQL behind the application's back, as someone holding the database would do it.

The events table refuses UPDATE and DELETE by trigger (migration integrity 0002); whoever
owns the database can drop or disable that trigger, and so do these helpers first. The test's
transaction rolls the trigger back in afterwards.
"""

from contextlib import contextmanager

from django.db import connection

from ledger.models import Issue, IssueEvent

EVENTS = IssueEvent._meta.db_table


@contextmanager
def triggers_off():
    """PostgreSQL: a superuser's session_replication_role = replica (what pg_restore uses)
    skips the trigger (ALTER TABLE … DISABLE TRIGGER would wait for the test transaction's
    deferred foreign-key checks); SQLite: the triggers are dropped until the test rolls back."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
            try:
                yield cursor
            finally:
                cursor.execute("SET session_replication_role = DEFAULT")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS integrity_events_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS integrity_events_no_delete")
            yield cursor


def raw(sql, params=()) -> None:
    """Run `sql` with the events table's triggers off."""
    with triggers_off() as cursor:
        cursor.execute(sql, params)


def _pointing_at(model):
    """Every relation pointing at the model, the hidden ones (related_name="+", such as the
    summary marks and the day facts) included."""
    return [
        rel
        for rel in model._meta.get_fields(include_hidden=True)
        if rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)
    ]


def issue_delete(issue) -> None:
    """Remove an issue and every row that points at it or at its events, as a DBA would."""
    events = list(IssueEvent.objects.filter(issue=issue).values_list("pk", flat=True))
    with triggers_off() as cursor:
        for model, column, ids in [
            *[(rel.related_model, rel.field.column, events) for rel in _pointing_at(IssueEvent)],
            *[(rel.related_model, rel.field.column, [issue.pk]) for rel in _pointing_at(Issue)],
            (Issue.co_departments.through, "issue_id", [issue.pk]),
        ]:
            if ids and model is not IssueEvent:
                marks = ", ".join(["%s"] * len(ids))
                cursor.execute(
                    f"DELETE FROM {model._meta.db_table} WHERE {column} IN ({marks})", ids
                )
        cursor.execute(f"DELETE FROM {EVENTS} WHERE issue_id = %s", [issue.pk])
        cursor.execute(f"DELETE FROM {Issue._meta.db_table} WHERE id = %s", [issue.pk])
