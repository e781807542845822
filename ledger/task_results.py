"""The django-tasks-db app under a Chinese name in the admin.

The package names its app "Tasks Database Backend" as a plain string, which no catalog can
translate; INSTALLED_APPS uses this config instead (same name and label, so nothing moves).
"""

from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class TaskResultsConfig(TasksAppConfig):
    verbose_name = _("后台任务")
