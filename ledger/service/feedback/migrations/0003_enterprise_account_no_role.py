"""Least privilege for the enterprise account (issue 18): its ratings are recorded through
workflow.feedback_record, a system row its caller authorises, so the account needs no right
of its own. A staff account of no department holds none (rules.is_staff_member needs one):
no screen shows it anything and the admin site is closed to it, should a session ever exist.
"""

from django.db import migrations

USERNAME = "zz_enterprise"


def enterprise_account_no_role(apps, schema_editor):
    User = apps.get_model("ledger", "User")
    User.objects.filter(username=USERNAME).update(
        role="staff", department=None, is_staff=False, is_superuser=False
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
