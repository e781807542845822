"""roles_setup: create the three administrator groups (三员) and set their permissions.
migrate runs the same after every migration; this is for a database restored from elsewhere."""

from django.core.management.base import BaseCommand

from ledger.audit.roles import roles_setup


class Command(BaseCommand):
    help = (
        "建立系统管理员、安全管理员、审计管理员三个角色组及其权限。 / Set up the three admin roles."
    )

    def handle(self, *args, **options):
        for name, count in roles_setup().items():
            self.stdout.write(f"{name}: {count}")
