"""The system account that records automatic 催办 and 督办 (send_reminders).

Supervisor role so that it passes `ledger.oversee_issue`; an unusable password so that
nobody can sign in with it; never a notification recipient (recipients.SYSTEM_USERNAME).
Since ledger 0014_system_role it holds the 系统账号 role instead (no screen, no sign-in): on
a fresh database this migration may run after that one, and then creates it so at once.
"""

from django.contrib.auth.hashers import make_password
from django.db import migrations

SYSTEM_USERNAME = "zz_system"


def system_account_create(apps, schema_editor):
    User = apps.get_model("ledger", "User")
    roles = dict(User._meta.get_field("role").choices)
    if not User.objects.filter(username=SYSTEM_USERNAME).exists():
        User.objects.create(
            username=SYSTEM_USERNAME,
            name="系统自动督办",
            role="system" if "system" in roles else "supervisor",
            password=make_password(None),
            is_active=True,
            is_staff=False,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("notify", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(system_account_create, migrations.RunPython.noop),
    ]
