"""The daily reminder task moved from notify/tasks.py to notify/reminders.py (which breaks the
import cycle services -> tasks -> reminders -> services). A run already queued in the task
database names the old path and would no longer be found: it is pointed at the new one."""

from django.db import migrations

OLD = "ledger.notify.tasks.reminders_daily"
NEW = "ledger.notify.reminders.reminders_daily"


def task_path_forward(apps, schema_editor):
    task_results = apps.get_model("django_tasks_database", "DBTaskResult")
    task_results.objects.filter(task_path=OLD).update(task_path=NEW)


def task_path_backward(apps, schema_editor):
    task_results = apps.get_model("django_tasks_database", "DBTaskResult")
    task_results.objects.filter(task_path=NEW).update(task_path=OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("notify", "0003_feedback_and_import_kinds"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(task_path_forward, task_path_backward)]
