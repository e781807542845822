"""The append-only triggers on the events table, and Django's flush on SQLite.

Migration integrity 0002 installs them (it keeps its own copy of the SQL). On SQLite, Django's
`flush` (the test runner after a transactional test, `manage.py flush`) empties every table
with DELETE, which the trigger refuses: the flush is given DROP TRIGGER before its DELETEs
and CREATE TRIGGER after them, in its one transaction. On PostgreSQL the flush is a
TRUNCATE, which a row trigger does not see.
"""

from django.db import connections

SQLITE_CREATE = [
    """CREATE TRIGGER IF NOT EXISTS integrity_events_no_update
    BEFORE UPDATE ON ledger_issueevent
    BEGIN SELECT RAISE(ABORT, 'ledger_issueevent is append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER IF NOT EXISTS integrity_events_no_delete
    BEFORE DELETE ON ledger_issueevent
    BEGIN SELECT RAISE(ABORT, 'ledger_issueevent is append-only: DELETE refused'); END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS integrity_events_no_update;",
    "DROP TRIGGER IF EXISTS integrity_events_no_delete;",
]


def sqlite_flush_keeps_triggers() -> None:
    for alias in connections:
        if connections[alias].vendor != "sqlite":
            continue
        operations = type(connections[alias].ops)
        if getattr(operations.sql_flush, "keeps_event_triggers", False):
            continue
        original = operations.sql_flush

        def sql_flush(self, style, tables, *, _original=original, **kwargs):
            statements = _original(self, style, tables, **kwargs)
            if any("ledger_issueevent" in sql for sql in statements):
                return [*SQLITE_DROP, *statements, *SQLITE_CREATE]
            return statements

        sql_flush.keeps_event_triggers = True
        operations.sql_flush = sql_flush
