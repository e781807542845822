"""facts_rebuild: recompute the assessment's and the reports' day-level facts from the issues
and their events (after a bulk load that bypassed the workflow, or a change of the holiday
calendar).

    python manage.py facts_rebuild
"""

import time

from django.core.management.base import BaseCommand

from ledger.oversight import facts


class Command(BaseCommand):
    help = "按问题与办理记录重算考核与报表的日统计。 / Recompute the day-level facts."

    def handle(self, *args, **options):
        started = time.monotonic()
        result = facts.rebuild()
        self.stdout.write(
            f"facts rebuilt: {result['issues']:,} issues, {result['day_rows']:,} day rows "
            f"in {time.monotonic() - started:.1f} s"
        )
