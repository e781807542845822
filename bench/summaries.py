"""The counting reads before and after the summary rows (issue 19 point 1), in-process on a
seeded PostgreSQL database: home cards of the supervisor, of the staff of the busiest
department and of the leader with the most 分包; the leader's subject cards (/leaders/me/)
and the dashboard tiles — each counted from the issues (before) and from the summary rows
(after, cache bypassed), first pass and warm median, plus EXPLAIN (ANALYZE, BUFFERS) of the
after query. Prints Markdown with the load average.

    DATABASE_URL=postgres://…/zz_bench DEBUG=1 python bench/summaries.py [--runs 7]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhongzhan.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from ledger import summaries  # noqa: E402
from ledger.models import Enterprise, Issue, SummaryCount, User  # noqa: E402
from ledger.models.issues import health_q  # noqa: E402
from ledger.oversight.selectors import dashboard as tiles_module  # noqa: E402
from ledger.selectors import visible_to  # noqa: E402
from ledger.selectors.home import (  # noqa: E402
    _home_card_definitions,
    home_card_counts,
    home_card_counts_from_issues,
)
from ledger.selectors.issues import count_rows  # noqa: E402


def timed(fn, runs):
    first_start = time.perf_counter()
    first = fn()
    first_ms = (time.perf_counter() - first_start) * 1000
    warm = []
    for _n in range(runs):
        start = time.perf_counter()
        again = fn()
        warm.append((time.perf_counter() - start) * 1000)
    assert again == first
    return first, first_ms, statistics.median(warm)


def explain(fn):
    with CaptureQueriesContext(connection) as captured:
        fn()
    sql = max(captured.captured_queries, key=lambda q: float(q["time"]))["sql"]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall()), len(captured.captured_queries)


def _execution(plan: str) -> str:
    first = plan.splitlines()[0]
    return first.split("actual time=")[1].split("..")[1].split(" ")[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    today = timezone.localdate()
    supervisor = User.objects.get(username="bench_supervisor")
    busiest = (
        Issue.objects.filter(status__in=["raised", "assigned", "in_progress", "resolved"])
        .values("lead_department")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()["lead_department"]
    )
    staff = User.objects.filter(role=User.Role.STAFF, department_id=busiest, is_active=True).first()
    leader_id = (
        Enterprise.objects.values("leader").annotate(n=Count("pk")).order_by("-n").first()["leader"]
    )
    leader = User.objects.get(leader_profile__pk=leader_id)

    def old_subjects():
        rows = (
            Issue.objects.open()
            .filter(enterprise__leader_id=leader_id)
            .values("enterprise")
            .annotate(n=count_rows(), overdue=count_rows(filter=health_q(["red"], today)))
            .order_by("-overdue", "-n", "enterprise__name", "enterprise")[:12]
        )
        return [(r["enterprise"], r["n"], r["overdue"]) for r in rows]

    def new_subjects():
        # what selectors.leaders.leader_subject_cards does with the rows
        subjects = Enterprise.objects.filter(leader_id=leader_id).order_by("name", "pk")
        counts = summaries.subject_counts("enterprise", subjects.values("pk"), today)
        every = sorted(counts, key=lambda row: (-row["overdue"], -row["open"]))
        edge = (every[11]["overdue"], every[11]["open"])
        every = [row for row in every if (row["overdue"], row["open"]) >= edge]
        pks = subjects.filter(pk__in=[r["unit"] for r in every]).values_list("pk", flat=True)
        place = {pk: n for n, pk in enumerate(pks)}
        every.sort(key=lambda row: (-row["overdue"], -row["open"], place[row["unit"]]))
        return [(r["unit"], r["open"], r["overdue"]) for r in every[:12]]

    cases = []
    for label, user in (
        ("home, supervisor", supervisor),
        ("home, staff of the busiest department", staff),
        ("home, the leader with the most 分包", leader),
    ):
        definitions = _home_card_definitions(user)

        def before(user=user, definitions=definitions):
            return home_card_counts_from_issues(user, definitions, today)

        def after(user=user, definitions=definitions):
            summaries.cache.clear()  # the counts themselves, not the cache
            return home_card_counts(user, definitions, today)

        cases.append((label, before, after))
    cases.append(("/leaders/me/ subject cards (enterprises)", old_subjects, new_subjects))
    for label, user in (
        ("dashboard tiles, supervisor", supervisor),
        ("dashboard tiles, staff", staff),
    ):

        def before(user=user):
            return tiles_module.tiles_from_issues(visible_to(user).order_by(), today)

        def after(user=user):
            summaries.cache.clear()
            return tiles_module.tiles(user, today)

        cases.append((label, before, after))

    load = os.getloadavg()
    print(f"issues: {Issue.objects.count():,}; summary rows: {SummaryCount.objects.count():,}")
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")
    print("| read | before: first / warm (ms) | after: first / warm (ms) | same figures | load |")
    print("|---|---|---|---|---|")
    plans, sql_times = [], []
    for label, before, after in cases:
        old, old_first, old_warm = timed(before, args.runs)
        new, new_first, new_warm = timed(after, args.runs)
        load = os.getloadavg()[0]
        print(
            f"| {label} | {old_first:.1f} / {old_warm:.1f} | {new_first:.1f} / {new_warm:.1f} "
            f"| {'yes' if old == new else 'NO'} | {load:.1f} |"
        )
        plans.append((label, *explain(after)))
        sql_times.append((label, explain(before)[0], plans[-1][1]))
    print("\nThe slowest query of each, EXPLAIN ANALYZE execution (less sensitive to the load):\n")
    print("| read | before (ms) | after (ms) |\n|---|---|---|")
    for label, old_plan, new_plan in sql_times:
        print(f"| {label} | {_execution(old_plan)} | {_execution(new_plan)} |")
    print()
    for label, plan, queries in plans:
        print(f"### {label} (after: {queries} queries; the slowest)\n\n```\n{plan}\n```\n")


if __name__ == "__main__":
    main()
