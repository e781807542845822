"""三员分立 (separation of duties, GB/T 22239-2019 8.1.4.2 / 8.1.10.2): the three administrator
roles as Django groups, with the permissions each holds, set idempotently after every migrate.

- 系统管理员 (system administrator): accounts, units, the directory and the ledger's data in
  the admin, and the API room's clients, secrets and webhook deliveries (app label "api",
  not excluded below: registering a system is the administrator's); no audit log, no
  security policy, no groups or permissions.
- 安全管理员 (security administrator): sign-in failures and lockouts, second factors, the
  security room's policies; sees accounts but does not change them.
- 审计管理员 (audit administrator): reads and exports the security audit log; nothing else.

The superuser holds every permission and is for installation only (docs/security.md).
"""

from django.contrib.auth.management import create_permissions
from django.db.models import Q

SYSTEM_ADMIN = "系统管理员"
SECURITY_ADMIN = "安全管理员"
AUDIT_ADMIN = "审计管理员"
ROLE_GROUPS = (SYSTEM_ADMIN, SECURITY_ADMIN, AUDIT_ADMIN)

# apps whose models are the security administrator's (the second factors' apps when installed)
SECURITY_APPS = ("security", "axes", "otp_totp", "otp_static", "otp_email", "django_otp")
# apps whose permissions no role group gets: the audit administrator's own, the security
# administrator's, and the ones that hand out rights (groups, permissions) or are plumbing
NOT_SYSTEM = ("audit", "auth", "admin", "contenttypes", "sessions", *SECURITY_APPS)

AUDIT_PERMISSIONS = (("audit", "view_auditrecord"), ("audit", "export_auditrecord"))


def role_permissions(Permission):
    """The permission querysets of each group (Permission passed in: migrations' state or
    the real model)."""
    audit = Q()
    for app_label, codename in AUDIT_PERMISSIONS:
        audit |= Q(content_type__app_label=app_label, codename=codename)
    return {
        SYSTEM_ADMIN: Permission.objects.exclude(content_type__app_label__in=NOT_SYSTEM),
        SECURITY_ADMIN: Permission.objects.filter(
            Q(content_type__app_label__in=SECURITY_APPS)
            | Q(content_type__app_label="ledger", codename="view_user")
        ),
        AUDIT_ADMIN: Permission.objects.filter(audit),
    }


def roles_setup(*, using="default", verbosity=0, apps=None) -> dict[str, int]:
    """Create the three groups if missing and give each exactly its permissions (a permission
    added by hand to one of them is taken away again). Returns the count per group."""
    # import here: roles.py is imported by apps.py before the app registry is ready
    from django.apps import apps as global_apps
    from django.contrib.auth.models import Group, Permission

    # every app's permissions first: post_migrate reaches this room before the apps after it
    for config in (apps or global_apps).get_app_configs():
        create_permissions(config, verbosity=0, using=using)
    counts = {}
    for name, permissions in role_permissions(Permission).items():
        group, _created = Group.objects.using(using).get_or_create(name=name)
        wanted = set(permissions.using(using).values_list("pk", flat=True))
        if set(group.permissions.values_list("pk", flat=True)) != wanted:
            group.permissions.set(wanted)
        counts[name] = len(wanted)
    return counts


def user_roles(user) -> set[str]:
    return set(user.groups.filter(name__in=ROLE_GROUPS).values_list("name", flat=True))
