# The ledger at a million issues: columns and indexes the ledger page's filters, sorts and
# free-text search are served by (issue 11). See ledger/ledger_index.py for the PostgreSQL
# triggers; on SQLite only the generated columns and the btree indexes exist.
from django.db import migrations, models

import ledger.models.issues


def install(apps, schema_editor):
    from ledger import ledger_index

    ledger_index.install(schema_editor.connection)


def install_indexes(apps, schema_editor):
    from ledger import ledger_index

    ledger_index.install_indexes(schema_editor.connection)


def uninstall(apps, schema_editor):
    from ledger import ledger_index

    ledger_index.uninstall(schema_editor.connection)


RUNNING = ["assigned", "in_progress"]


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_directory_upkeep_and_event_keys")]

    operations = [
        migrations.AddField(
            model_name="issue",
            name="involved",
            field=ledger.models.issues.DerivedArrayField(
                base_type="bigint", verbose_name="涉及单位"
            ),
        ),
        migrations.AddField(
            model_name="issue",
            name="search_grams",
            field=ledger.models.issues.DerivedArrayField(
                base_type="text", verbose_name="检索二元组"
            ),
        ),
        # backfill (set-based, in id ranges) before the triggers, so it runs once per row
        migrations.RunPython(install, uninstall, elidable=False),
        migrations.AddField(
            model_name="issue",
            name="due_date",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Case(
                    models.When(status__in=RUNNING, then=models.F("deadline")),
                    default=models.Value(None),
                ),
                output_field=models.DateField(),
                verbose_name="待办时限",
            ),
        ),
        migrations.AddField(
            model_name="issue",
            name="health_tier",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Case(
                    models.When(status__in=RUNNING, then=models.Value(0)),
                    models.When(status="raised", then=models.Value(1)),
                    default=models.Value(2),
                ),
                output_field=models.SmallIntegerField(),
                verbose_name="时限排序",
            ),
        ),
        migrations.AddField(
            model_name="issue",
            name="status_rank",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Case(
                    models.When(status="raised", then=models.Value(0)),
                    models.When(status="assigned", then=models.Value(1)),
                    models.When(status="in_progress", then=models.Value(2)),
                    models.When(status="resolved", then=models.Value(3)),
                    models.When(status="closed", then=models.Value(4)),
                    models.When(status="withdrawn", then=models.Value(5)),
                    default=models.Value(6),
                ),
                output_field=models.SmallIntegerField(),
                verbose_name="状态排序",
            ),
        ),
        migrations.AddIndex(
            model_name="issue",
            index=models.Index(fields=["status", "raised_at"], name="issue_status_raised"),
        ),
        migrations.AddIndex(
            model_name="issue",
            index=models.Index(fields=["title"], name="issue_title"),
        ),
        migrations.AddIndex(
            model_name="issue",
            index=models.Index(fields=["deadline"], name="issue_deadline"),
        ),
        migrations.AddIndex(
            model_name="issue",
            index=models.Index(fields=["status_rank", "-year", "-seq"], name="issue_status_sort"),
        ),
        migrations.AddIndex(
            model_name="issue",
            index=models.Index(
                fields=["-status_rank", "-year", "-seq"], name="issue_status_sort_desc"
            ),
        ),
        migrations.AddIndex(
            model_name="issue",
            index=models.Index(
                fields=["health_tier", "due_date", "raised_at"], name="issue_health_sort"
            ),
        ),
        migrations.RunPython(install_indexes, migrations.RunPython.noop, elidable=False),
    ]
