"""summaries_rebuild: recount the summary rows (home cards, leader cards, dashboard tiles)
from the issues — after a bulk load or a restore, or to repair rows summaries_verify found
wrong."""

import time

from django.core.management.base import BaseCommand

from ledger import summaries


class Command(BaseCommand):
    help = "Recount the summary rows of the home and dashboard figures from the issues."

    def handle(self, *args, **options):
        started = time.monotonic()
        written = summaries.rebuild()
        self.stdout.write(
            self.style.SUCCESS(
                f"summary rows rebuilt: {written['rows']:,} rows, {written['marks']:,} issues "
                f"counted in {time.monotonic() - started:.1f} s"
            )
        )
