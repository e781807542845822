"""The assessment and the reports before (counted from the issues) and after (from the
day-level facts), side by side in one process on the same database, alternating so both see
the same machine load; then EXPLAIN (ANALYZE, BUFFERS) of each path's statements.

    DATABASE_URL=postgres://…/zz_bench DEBUG=1 .venv/bin/python bench/facts_timing.py [--runs 5]

Prints a Markdown report (bench/results/*-facts-*.md were written by it)."""

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
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from ledger.models import Issue, User  # noqa: E402
from ledger.oversight.models import DayFact  # noqa: E402
from ledger.oversight.periods import report_month, report_week, year_period  # noqa: E402
from ledger.oversight.selectors import metrics, reports  # noqa: E402


def timed(fn, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def check(response):
    assert response.status_code == 200, response.status_code
    return response


def explain_all(fn):
    """EXPLAIN (ANALYZE, BUFFERS) of every SELECT `fn` runs: (ms, buffers line, top node)."""
    with CaptureQueriesContext(connection) as ctx:
        fn()
    out = []
    with connection.cursor() as cursor:
        for query in ctx.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = [row[0] for row in cursor.fetchall()]
            execution = next((line for line in plan if line.startswith("Execution Time")), "")
            jit = next((line.strip() for line in plan if "Timing:" in line), "")
            buffers = next((line.strip() for line in plan if "Buffers:" in line), "")
            out.append(
                (sql[:110].replace("\n", " "), plan[0].strip()[:90], buffers, execution, jit)
            )
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    user = User.objects.get(username="bench_supervisor")
    today = timezone.localdate()
    year = year_period(today.year - 1)
    week, _ = report_week({}, today)
    month, _ = report_month({}, today)
    cases = {
        f"assessment {year.label} by department": (
            lambda: metrics.assessment_by_query(user, year, today=today),
            lambda: metrics.assessment_from_facts(year, today=today),
        ),
        f"assessment {year.label} by leader": (
            lambda: metrics.assessment_by_query(user, year, kind=metrics.LEADER, today=today),
            lambda: metrics.assessment_from_facts(year, kind=metrics.LEADER, today=today),
        ),
        f"weekly report figures {week.label}": (
            lambda: reports.figures_by_query(user, week, today),
            lambda: reports.figures_from_facts(week, today),
        ),
        f"monthly report figures {month.label}": (
            lambda: reports.figures_by_query(user, month, today),
            lambda: reports.figures_from_facts(month, today),
        ),
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN "
            "('shared_buffers','work_mem','jit','effective_cache_size') ORDER BY name"
        )
        server = ", ".join(f"{n}={v}" for n, v in cursor.fetchall())
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    print("# Assessment and reports: counted from the issues vs from day facts\n")
    print(f"- {Issue.objects.count():,} issues, {DayFact.objects.count():,} day rows; {version}")
    print(f"- server: {server}")
    print(f"- load average before: {os.getloadavg()}; runs per case: {args.runs}, alternating\n")
    print("| case | before: median (min–max) ms | after: median (min–max) ms |")
    print("|---|---|---|")
    for name, (before, after) in cases.items():
        before(), after()  # warm both
        b, a = [], []
        for _ in range(args.runs):
            b += timed(before, 1)
            a += timed(after, 1)
        print(
            f"| {name} | {statistics.median(b):.0f} ({min(b):.0f}–{max(b):.0f}) "
            f"| {statistics.median(a):.1f} ({min(a):.1f}–{max(a):.1f}) |"
        )
    # the pages, as the office opens them (after: the facts; the view renders the same)
    setup_test_environment()  # the test client's host, nothing else
    client = Client()
    client.force_login(user)
    pages = {
        f"page assessment {year.label}": f"/assessment/?year={year.start.year}",
        "page weekly report (last week)": "/reports/weekly/",
        "page monthly report (last month)": "/reports/monthly/",
    }
    print("\n| page (supervisor, in-process, rendered) | before ms | after ms | queries after |")
    print("|---|---|---|---|")
    facts_paths = (metrics.assessment_from_facts, reports.figures_from_facts)
    reference_paths = (
        lambda period, *, kind, today: metrics.assessment_by_query(
            user, period, kind=kind, today=today
        ),
        lambda period, today: reports.figures_by_query(user, period, today),
    )

    def use(paths):
        metrics.assessment_from_facts, reports.figures_from_facts = paths

    for name, path in pages.items():
        b, a = [], []
        for paths in (reference_paths, facts_paths):
            use(paths)
            check(client.get(path))  # warm
        for _ in range(args.runs):
            use(reference_paths)
            b += timed(lambda path=path: check(client.get(path)), 1)
            use(facts_paths)
            with CaptureQueriesContext(connection) as ctx:
                a += timed(lambda path=path: check(client.get(path)), 1)
        print(
            f"| {name} | {statistics.median(b):.0f} ({min(b):.0f}–{max(b):.0f}) "
            f"| {statistics.median(a):.0f} ({min(a):.0f}–{max(a):.0f}) "
            f"| {len(ctx.captured_queries)} |"
        )
    use(facts_paths)
    print(f"\nload average after: {os.getloadavg()}\n")
    print("## EXPLAIN (ANALYZE, BUFFERS), every SELECT of each path\n")
    for name, (before, after) in cases.items():
        for label, fn in (("before", before), ("after", after)):
            print(f"### {name} — {label}\n")
            for sql, top, buffers, execution, jit in explain_all(fn):
                print(
                    f"- `{sql}…`\n  - {top}; {buffers}; **{execution}**"
                    + (f"; JIT {jit}" if jit else "")
                )
            print()


if __name__ == "__main__":
    main()
