"""seed_bench: fill an empty PostgreSQL ledger with N realistic issues for benchmarking.

    python manage.py seed_bench --issues 1000000 [--seed 1] [--years 5]

Creates its own departments, leaders, enterprises, projects and bench_* accounts (password
in ledger/scale/seeding.py), then loads issues, events, deadlines, extension requests,
attachment rows (no files), co-departments and chain heads with COPY. Never for a
production database: it refuses a ledger that already holds issues.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from ledger import summaries
from ledger.models import Issue
from ledger.scale import seeding
from ledger.signals import issues_bulk_loaded


class Command(BaseCommand):
    help = "Fill an empty PostgreSQL ledger with N benchmark issues (COPY)."

    def add_arguments(self, parser):
        parser.add_argument("--issues", type=int, required=True, help="number of issues")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument("--years", type=int, default=5, help="years of history (default 5)")
        parser.add_argument("--chunk", type=int, default=10_000, help="issues per COPY batch")
        parser.add_argument(
            "--processes", type=int, default=2, help="generator processes (default 2)"
        )
        parser.add_argument(
            "--keep-indexes",
            action="store_true",
            help="keep secondary indexes during the load (slower; default drops and rebuilds)",
        )

    def handle(self, *args, **options):
        try:
            result = seeding.seed(
                options["issues"],
                seed=options["seed"],
                years=options["years"],
                chunk=max(100, options["chunk"]),
                processes=max(1, options["processes"]),
                keep_indexes=options["keep_indexes"],
                stdout=self.stdout,
            )
        except seeding.SeedRefused as exc:
            raise CommandError(str(exc)) from None
        counts, timings = result["counts"], result["timings"]
        started = time.monotonic()
        self.stdout.write(
            "summary rows: {rows:,} rows, {marks:,} issues".format(**summaries.rebuild())
        )
        timings["summaries"] = time.monotonic() - started
        started = time.monotonic()
        # the rooms' own derived tables (oversight's day facts), set-based in SQL
        for _receiver, answer in issues_bulk_loaded.send(
            sender=Issue, issue_count=counts["issues"]
        ):
            if answer:
                self.stdout.write(str(answer))
        timings["rooms"] = time.monotonic() - started
        timings["total"] += timings["summaries"] + timings["rooms"]
        self.stdout.write(
            self.style.SUCCESS(
                f"seeded {counts['issues']:,} issues, {counts['events']:,} events in "
                f"{timings['total']:.1f} s "
                + " ".join(f"{k}={v:.1f}s" for k, v in timings.items() if k != "total")
            )
        )
        self.stdout.write(
            f"logins (password {seeding.PASSWORD}): {seeding.SUPERVISOR}, {seeding.LEADER}, "
            f"{seeding.STAFF}, {seeding.ADMIN}"
        )
