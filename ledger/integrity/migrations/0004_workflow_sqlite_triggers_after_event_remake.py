"""SQLite: the append-only triggers again, after ledger 0010 rebuilt the events table (a new
action, 导入更正, in its CHECK constraint); see 0003 for why. PostgreSQL keeps its trigger.
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
        ("integrity", "0003_sqlite_triggers_after_event_remake"),
        ("ledger", "0010_workflow_import_correct"),
    ]

    operations = [migrations.RunPython(up, migrations.RunPython.noop, elidable=False)]
