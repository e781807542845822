"""The account that signs the enterprises' ratings into the issues' timelines.

Role 系统管理员 so that it passes `ledger.comment_issue` on any issue (workflow.transition
checks the actor's rights) without being a recipient of the oversight office's
notifications (as a 督查人员 account would be); an unusable password and no admin-site
access, so nobody can sign in with it. Its name is what the timeline shows as the actor.
"""

from django.contrib.auth.hashers import make_password
from django.db import migrations

USERNAME = "zz_enterprise"


def enterprise_account_create(apps, schema_editor):
    User = apps.get_model("ledger", "User")
    if not User.objects.filter(username=USERNAME).exists():
        User.objects.create(
            username=USERNAME,
            name="企业（评价链接）",
            role="admin",
            password=make_password(None),
            is_active=True,
            is_staff=False,
            is_superuser=False,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(enterprise_account_create, migrations.RunPython.noop),
    ]
