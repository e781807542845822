"""audit_purge: delete the security audit records older than AUDIT_RETENTION_DAYS (at least
180) and record the purge, whose anchor keeps the remaining chain verifiable. For cron."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ledger.audit.services import MIN_RETENTION_DAYS, RetentionTooShort, audit_purge


class Command(BaseCommand):
    help = (
        "清理超过保留期的安全审计记录（保留期不少于 180 天），并记录本次清理。"
        " / Delete audit records older than AUDIT_RETENTION_DAYS and record the purge."
    )

    def handle(self, *args, **options):
        try:
            count = audit_purge(username="manage.py audit_purge")
        except RetentionTooShort as error:
            raise CommandError(
                _("AUDIT_RETENTION_DAYS 为 %(days)s 天，少于 %(min)d 天，拒绝清理。")
                % {"days": error.args[0], "min": MIN_RETENTION_DAYS}
            ) from None
        self.stdout.write(_("已清理 %(n)d 条过期的安全审计记录。") % {"n": count})
