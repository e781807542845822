"""holidays_sync: bring the holiday table up to the installed chinesecalendar package.

Run it after upgrading the package (`pip install -U chinesecalendar`), which each year
adds the State Council's schedule for the next year. Days an administrator added or
edited in the admin are kept as they are.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from ledger.models import Holiday
from ledger.workdays import holidays_sync, package_years


class Command(BaseCommand):
    help = (
        "按 chinesecalendar 包同步节假日表（不覆盖管理员修改过的日期）。"
        " / Sync the holiday table with the chinesecalendar package."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="只报告将作的改动 / only report")

    def handle(self, *args, dry_run=False, **options):
        with transaction.atomic():
            counts = holidays_sync(Holiday, dry_run=dry_run)
        first, last = package_years()
        self.stdout.write(
            f"chinesecalendar {first}–{last}: 新增 {counts['created']} · 更新 {counts['updated']}"
            f" · 管理员修改保留 {counts['kept']} · 未变 {counts['unchanged']}"
            f" / created, updated, kept (edited by an administrator), unchanged."
        )
        if dry_run:
            self.stdout.write("（演练，未写入 / dry run, nothing written）")
