"""Direct SQL behind the application's back, as someone holding the database would do it.

The events table refuses UPDATE and DELETE by trigger (migration integrity 0002); whoever
owns the database can drop or disable that trigger, and so do these helpers first. The test's
transaction rolls the trigger back in afterwards.
"""

from django.db import connection

from ledger.models import Issue, IssueEvent

EVENTS = IssueEvent._meta.db_table


def triggers_off() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {EVENTS} DISABLE TRIGGER integrity_events_append_only")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS integrity_events_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS integrity_events_no_delete")


def raw(sql, params=()) -> None:
    """Run `sql` with the events table's triggers off."""
    triggers_off()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def issue_delete(issue) -> None:
    """Remove an issue and every row that points at it or at its events, as a DBA would."""
    triggers_off()
    events = list(IssueEvent.objects.filter(issue=issue).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        for model, column, ids in [
            *[
                (rel.related_model, rel.field.column, events)
                for rel in IssueEvent._meta.related_objects
            ],
            *[
                (rel.related_model, rel.field.column, [issue.pk])
                for rel in Issue._meta.related_objects
            ],
            (Issue.co_departments.through, "issue_id", [issue.pk]),
        ]:
            if ids and model is not IssueEvent:
                marks = ", ".join(["%s"] * len(ids))
                cursor.execute(
                    f"DELETE FROM {model._meta.db_table} WHERE {column} IN ({marks})", ids
                )
        cursor.execute(f"DELETE FROM {EVENTS} WHERE issue_id = %s", [issue.pk])
        cursor.execute(f"DELETE FROM {Issue._meta.db_table} WHERE id = %s", [issue.pk])
