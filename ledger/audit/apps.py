"""The security audit room: stores what ledger.auditing.record() reports (and what Django,
django-axes and the admin signal) as a signed chain, shows it only to the audit administrator,
and sets up the three administrator roles (三员分立).

Imports the core; the core never imports it (with the room removed, record() stores nothing).
"""

from django.conf import settings
from django.core import checks
from django.db.models.signals import m2m_changed, post_migrate, post_save, pre_save
from django.utils.translation import gettext_lazy as _

from ledger.rooms import Room


class AuditConfig(Room):
    name = "ledger.audit"
    label = "audit"
    verbose_name = _("安全审计")

    def ready(self):
        # import here: models and the room's modules load only once the app registry is ready
        from axes.models import AccessAttempt
        from axes.signals import user_locked_out
        from django.contrib.admin.models import LogEntry
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
        from django.db.models.signals import post_delete

        from ledger.auditing import audit_recorded

        from . import hooks
        from .services import on_audit_recorded

        User = get_user_model()
        audit_recorded.connect(on_audit_recorded, dispatch_uid="audit_store")
        user_logged_in.connect(hooks.on_logged_in, dispatch_uid="audit_logged_in")
        user_login_failed.connect(hooks.on_login_failed, dispatch_uid="audit_login_failed")
        user_logged_out.connect(hooks.on_logged_out, dispatch_uid="audit_logged_out")
        user_locked_out.connect(hooks.on_locked_out, dispatch_uid="audit_locked_out")
        post_delete.connect(
            hooks.on_attempt_deleted, sender=AccessAttempt, dispatch_uid="audit_unlocked"
        )
        pre_save.connect(hooks.on_user_pre_save, sender=User, dispatch_uid="audit_user_pre")
        post_save.connect(hooks.on_user_post_save, sender=User, dispatch_uid="audit_user_post")
        for through in (User.groups.through, User.user_permissions.through):
            m2m_changed.connect(
                hooks.on_user_m2m_changed, sender=through, dispatch_uid=f"audit_{through.__name__}"
            )
        m2m_changed.connect(
            hooks.on_group_permissions_changed,
            sender=Group.permissions.through,
            dispatch_uid="audit_group_permissions",
        )
        post_save.connect(hooks.on_log_entry_saved, sender=LogEntry, dispatch_uid="audit_admin")
        # the admin's bulk deletions are bulk-created log entries (no post_save): the manager's
        # method is wrapped once so they are recorded too
        if not getattr(LogEntry.objects.log_actions, "audited", False):
            LogEntry.objects.log_actions = hooks.log_actions_recorded(LogEntry.objects.log_actions)
        post_migrate.connect(roles_after_migrate, sender=self, dispatch_uid="audit_roles")
        checks.register(retention_check, checks.Tags.security)

    def seed_demo(self, *, today, stdout):
        """The three administrator accounts (三员), each in its group."""
        from .demo import role_accounts_seed  # import here: imports models

        role_accounts_seed(stdout=stdout)


def roles_after_migrate(sender, using="default", verbosity=1, **kwargs):
    """After every migrate, unless the audit tables are gone (`migrate audit zero`): setting
    the groups' permissions is itself recorded."""
    # import here: models load only once the app registry is ready
    from django.db import connections

    from .models import AuditRecord
    from .roles import roles_setup

    if AuditRecord._meta.db_table not in connections[using].introspection.table_names():
        return
    roles_setup(using=using)


def retention_check(app_configs=None, **kwargs):
    from .services import MIN_RETENTION_DAYS  # import here: imports models

    days = settings.AUDIT_RETENTION_DAYS
    if settings.DEBUG or days >= MIN_RETENTION_DAYS:
        return []
    return [
        checks.Error(
            f"AUDIT_RETENTION_DAYS is {days}: the audit log must be kept at least"
            f" {MIN_RETENTION_DAYS} days (GB/T 22239-2019 8.1.4.3).",
            hint=f"Set AUDIT_RETENTION_DAYS to {MIN_RETENTION_DAYS} or more.",
            id="audit.E001",
        )
    ]
