"""The events table refuses UPDATE and DELETE in the database itself, whoever connects.

PostgreSQL: a row trigger raises on UPDATE and DELETE (TRUNCATE is not a row operation: it
stays possible for the table's owner, e.g. Django's test flush; give the application's role
no TRUNCATE privilege, and the checkpoint detects a truncation). SQLite: the equivalent
triggers (Django's flush drops and re-creates them around its DELETEs: triggers.py).
"""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION integrity_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger_issueevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS integrity_events_append_only ON ledger_issueevent;
CREATE TRIGGER integrity_events_append_only
    BEFORE UPDATE OR DELETE ON ledger_issueevent
    FOR EACH ROW EXECUTE FUNCTION integrity_events_append_only();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS integrity_events_append_only ON ledger_issueevent;
DROP FUNCTION IF EXISTS integrity_events_append_only();
"""
SQLITE_UP = [
    """CREATE TRIGGER IF NOT EXISTS integrity_events_no_update
    BEFORE UPDATE ON ledger_issueevent
    BEGIN SELECT RAISE(ABORT, 'ledger_issueevent is append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER IF NOT EXISTS integrity_events_no_delete
    BEFORE DELETE ON ledger_issueevent
    BEGIN SELECT RAISE(ABORT, 'ledger_issueevent is append-only: DELETE refused'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS integrity_events_no_update;",
    "DROP TRIGGER IF EXISTS integrity_events_no_delete;",
]


def _run(schema_editor, postgresql, sqlite):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": [postgresql], "sqlite": sqlite}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement, params=None)


def up(apps, schema_editor):
    _run(schema_editor, PG_UP, SQLITE_UP)


def down(apps, schema_editor):
    _run(schema_editor, PG_DOWN, SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [
        ("integrity", "0001_initial"),
        ("ledger", "0004_directory_upkeep_and_event_keys"),
    ]

    operations = [migrations.RunPython(up, down, elidable=False)]
