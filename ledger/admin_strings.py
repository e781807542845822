"""English UI strings of Django and third-party apps that ship no zh_Hans translation.

The admin must be fully Chinese in zh-hans. These msgids are marked here so that
`makemessages` keeps them in our catalog (locale/zh_Hans), where they get their Chinese;
Django looks up our catalog first. Nothing imports this module; it only has to exist.
Checked by tests/test_admin_zh.py.
"""

from django.utils.translation import gettext_noop

STRINGS = (
    # django/db/models/fields/__init__.py BLANK_CHOICE_LABEL (new in Django 6)
    gettext_noop("- Select an option -"),
    # django/contrib/admin/templates/admin/date_hierarchy.html
    gettext_noop("Filter by %(field_name)s"),
    # django-tasks-db: DBTaskResult and its fields
    gettext_noop("Task Result"),
    gettext_noop("Task Results"),
    gettext_noop("status"),
    gettext_noop("enqueued at"),
    gettext_noop("started at"),
    gettext_noop("finished at"),
    gettext_noop("args kwargs"),
    gettext_noop("priority"),
    gettext_noop("task path"),
    gettext_noop("worker id"),
    gettext_noop("queue name"),
    gettext_noop("backend name"),
    gettext_noop("run after"),
    gettext_noop("return value"),
    gettext_noop("exception class path"),
    gettext_noop("traceback"),
)
