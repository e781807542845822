"""audit_verify: prove that no security audit record was edited, deleted or inserted.

Checks every record's HMAC (the events key it names), the unbroken seq and prev links from the
newest purge's anchor (or #1) and the signed head. Exit status 0 and one "OK" line when all
holds; otherwise one line per finding on stderr and exit status 1.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ledger.audit.verify import audit_verify


class Command(BaseCommand):
    help = (
        "校验安全审计日志未被改动、删除或插入。"
        " / Verify that no security audit record was altered, removed or inserted."
    )

    def handle(self, *args, **options):
        result = audit_verify()
        for finding in result.findings:
            self.stderr.write(finding)
        if result.findings:
            raise CommandError(
                _("安全审计日志校验失败：%(n)d 处问题。") % {"n": len(result.findings)}
            )
        self.stdout.write(_("OK：%(n)d 条安全审计记录完整。") % {"n": result.checked})
