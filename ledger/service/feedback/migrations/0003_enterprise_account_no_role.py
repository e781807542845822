"""Least privilege for the enterprise account (issue 18): its ratings are recorded through
workflow.feedback_record, a system row its caller authorises, so the account needs no right
of its own. A staff account of no department holds none (rules.is_staff_member needs one):
no screen shows it anything and the admin site is closed to it, should a session ever exist.
Since ledger 0014_system_role it holds the 系统账号 role instead: when this migration runs
after that one (a fresh database), it gives it that role at once.
"""

from django.db import migrations

USERNAME = "zz_enterprise"


def enterprise_account_no_role(apps, schema_editor):
    User = apps.get_model("ledger", "User")
    roles = dict(User._meta.get_field("role").choices)
    User.objects.filter(username=USERNAME).update(
        role="system" if "system" in roles else "staff", department=None, is_staff=False, is_superuser=False
    )


def enterprise_account_admin_again(apps, schema_editor):
    User = apps.get_model("ledger", "User")
    User.objects.filter(username=USERNAME).update(role="admin")


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0002_enterprise_account"),
    ]

    operations = [
        migrations.RunPython(enterprise_account_no_role, enterprise_account_admin_again),
    ]
