"""SQLite: the append-only triggers again, after ledger 0007 rebuilt the events table.

SQLite cannot alter a CHECK constraint in place, so Django remakes the table (copy, drop,
rename), and the triggers of 0002 go with the old table. PostgreSQL keeps its trigger.
A later core migration that remakes ledger_issueevent needs the same step here;
tests/integrity/test_tampering.py notices a missing trigger.
"""

import importlib

from django.db import migrations

_0002 = importlib.import_module("ledger.integrity.migrations.0002_events_append_only_trigger")


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in _0002.SQLITE_UP:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("integrity", "0002_events_append_only_trigger"),
        ("ledger", "0007_feedback_action"),
    ]

    operations = [migrations.RunPython(up, migrations.RunPython.noop, elidable=False)]
