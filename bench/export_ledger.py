"""Benchmark: export of a 100,000-row ledger to .xlsx (wall time, peak memory).

Builds a throwaway database (an SQLite file in /tmp by default, or the PostgreSQL
database given with --database-url), fills it with bulk_create (a benchmark needs rows,
not the workflow's events), then runs the background export task the app uses for large
exports (ledger.exchange.tasks.export_job_run) in a fresh child process per measurement,
so each process's peak RSS belongs to that export alone. Writes
bench/results/export-<date>[-<db>].md and .json.

    .venv/bin/python bench/export_ledger.py                       # SQLite in /tmp
    .venv/bin/python bench/export_ledger.py \\
        --database-url postgres://postgres@127.0.0.1:5432/zz_bench_export
"""

import argparse
import datetime
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_DB = "sqlite:////tmp/zz_bench_export.sqlite3"
MEDIA = "/tmp/zz_bench_export_media"
CATEGORIES = 10  # issues are spread evenly: one category is a tenth of the ledger


def django_setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["MEDIA_ROOT"] = MEDIA
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    # DEBUG off: no query log kept in memory, as in production
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhongzhan.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# -- building the data -------------------------------------------------------------------


def build(rows: int) -> None:
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from ledger.models import (
        Category,
        Department,
        Enterprise,
        Issue,
        KeyProject,
        Leader,
        Source,
        User,
    )
    from tests.factories import valid_credit_code

    call_command("migrate", verbosity=0)
    if Issue.objects.count() == rows:
        print(f"reusing {rows} issues already in the database")
        return
    if Issue.objects.exists():
        raise SystemExit("the benchmark database holds other data; give a fresh database")

    rng = random.Random(2014)
    started = time.perf_counter()
    with transaction.atomic():
        departments = Department.objects.bulk_create(
            Department(name=f"区第{n}局", short_name=f"{n}局", order=n) for n in range(20)
        )
        supervisor = User.objects.create_user(
            "bench_supervisor", password=None, role="supervisor", name="督查员"
        )
        staff = User.objects.bulk_create(
            User(username=f"bench_staff{n}", name=f"工作人员{n}", department=departments[n])
            for n in range(20)
        )
        leader_users = User.objects.bulk_create(
            User(username=f"bench_leader{n}", name=f"领导{n}", role="leader") for n in range(10)
        )
        leaders = Leader.objects.bulk_create(
            Leader(user=user, title="副区长", order=n) for n, user in enumerate(leader_users)
        )
        categories = Category.objects.bulk_create(
            Category(name=f"类别{n}", order=n) for n in range(CATEGORIES)
        )
        sources = Source.objects.bulk_create(Source(name=f"来源{n}", order=n) for n in range(8))
        enterprises = Enterprise.objects.bulk_create(
            Enterprise(
                name=f"焦作市中站区测试企业{n}有限公司",
                credit_code=valid_credit_code(n),
                leader=leaders[n % 10],
            )
            for n in range(2000)
        )
        projects = KeyProject.objects.bulk_create(
            KeyProject(
                name=f"重点项目{n}",
                level="district",
                sector="industry",
                year=2026,
                total_investment=10000,
                annual_plan=5000,
                leader=leaders[n % 10],
            )
            for n in range(200)
        )
        statuses = ["raised", "assigned", "in_progress", "in_progress", "resolved", "closed"]
        today = timezone.localdate()
        now = timezone.now()
        through = Issue.co_departments.through
        batch = 5000
        for start in range(0, rows, batch):
            issues = []
            for seq in range(start + 1, min(start + batch, rows) + 1):
                status = statuses[seq % len(statuses)]
                assigned = status != "raised"
                lead = departments[seq % 20]
                title = f"第{seq}号问题：厂区道路积水影响生产"
                if seq % 1000 == 0:
                    title = '=HYPERLINK("http://x","y")'  # neutralised on the way out
                issues.append(
                    Issue(
                        number=f"ZZ-2026-{seq:06d}",
                        year=2026,
                        seq=seq,
                        title=title,
                        description="雨后厂区门口道路积水严重，影响原料运输和职工通行，"
                        "企业多次反映，希望协调住建、城管等部门尽快改造排水设施。",
                        category=categories[seq % CATEGORIES],
                        source=sources[seq % 8],
                        urgency="normal",
                        enterprise=enterprises[seq % 2000] if seq % 5 else None,
                        project=projects[seq % 200] if seq % 5 == 0 else None,
                        raised_by=staff[seq % 20],
                        raising_department=departments[seq % 20],
                        raised_at=now - datetime.timedelta(minutes=seq),
                        leader=leaders[seq % 10] if assigned else None,
                        lead_department=lead if assigned else None,
                        deadline=today + datetime.timedelta(days=rng.randint(-30, 60))
                        if assigned
                        else None,
                        measures="协调住建局实施排水管网改造。" if assigned else "",
                        responsible_person="张三" if assigned else "",
                        status=status,
                        progress="smooth" if assigned else "",
                        resolution="已完成排水改造。" if status in ("resolved", "closed") else "",
                        satisfaction="satisfied" if status == "closed" else "",
                        resolved_at=now if status in ("resolved", "closed") else None,
                        closed_at=now if status == "closed" else None,
                    )
                )
            created = Issue.objects.bulk_create(issues)
            through.objects.bulk_create(
                through(issue_id=issue.pk, department_id=departments[(k + 3) % 20].pk)
                for k, issue in enumerate(created)
                if k % 3 == 0
            )
    print(f"built {rows} issues in {time.perf_counter() - started:.1f} s (supervisor {supervisor})")


# -- one measurement (in a child process) ---------------------------------------------------


def memory_kib(field: str) -> int:
    """VmRSS (now) or VmHWM (peak) of this process, in KiB. Not ru_maxrss: Linux carries it
    over exec() from the parent that forked us, which here had built the data."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(query: str, trace: bool) -> dict:
    import tracemalloc

    from ledger.exchange.models import ExportJob
    from ledger.exchange.tasks import export_job_run
    from ledger.models import User

    supervisor = User.objects.get(username="bench_supervisor")
    job = ExportJob.objects.create(
        kind="ledger", requested_by=supervisor, params={"query": query}, language="zh-hans"
    )
    baseline_kib = memory_kib("VmRSS")
    load = [round(x, 2) for x in os.getloadavg()]
    if trace:
        tracemalloc.start()
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    state = export_job_run.call(job.pk)
    seconds = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    # CPU time of this process (user + system): on a machine shared with other work the wall
    # time grows with the load average, the CPU time much less
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    traced_peak = tracemalloc.get_traced_memory()[1] if trace else None
    peak_kib = memory_kib("VmHWM")
    job.refresh_from_db()
    assert state == "done", (state, job.error)
    return {
        "query": query,
        "rows": job.done,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "load_average": load,
        "rows_per_second": round(job.done / seconds),
        "file_bytes": job.file.size,
        "rss_before_mib": round(baseline_kib / 1024, 1),
        "rss_peak_mib": round(peak_kib / 1024, 1),
        # ru_maxrss: Linux carries it over exec() from the parent, so VmHWM is the one to read
        "ru_maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "tracemalloc_peak_mib": round(traced_peak / 2**20, 1) if trace else None,
        "tracemalloc": trace,
    }


def child(database_url: str, query: str, trace: bool) -> dict:
    command = [sys.executable, __file__, "--database-url", database_url, "--measure", query]
    if trace:
        command.append("--trace")
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(output.stdout.strip().splitlines()[-1])


# -- the report ------------------------------------------------------------------------------


def machine() -> dict:
    import django
    import xlsxwriter
    from django.db import connection

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kib = 0
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("select sqlite_version()")
        else:
            cursor.execute("show server_version")
        db_version = cursor.fetchone()[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 2**20, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "xlsxwriter": xlsxwriter.__version__,
        "database": f"{connection.vendor} {db_version}",
    }


def report(rows: int, info: dict, results: list[dict], *, label: str = "") -> Path:
    today = datetime.date.today().isoformat()
    engine = info["database"].split()[0]
    stem = f"export-{today}" if engine == "sqlite" else f"export-{today}-{engine}"
    if label:
        stem = f"{stem}-{label}"
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {"benchmark": "ledger export", "date": today, "machine": info, "results": results}
    (RESULTS / f"{stem}.json").write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    lines = [
        f"# Ledger export benchmark · {today} · {info['database']}",
        "",
        f"{rows:,} issues built with bulk_create (a third with a 配合单位), exported by the",
        "background task (`ledger.exchange.tasks.export_job_run`: the ledger's query,",
        "`.iterator(chunk_size=2000)` with the co-departments prefetched per chunk, xlsxwriter",
        "in constant-memory mode, progress written every 1,000 rows, the file saved to",
        "MEDIA_ROOT).",
        "Each line is a fresh process; RSS is its resident memory just before the export and its",
        "peak (VmHWM) after it; tracemalloc (which slows Python down) counts Python allocations.",
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores (shared with other work; load average "
        f"{' / '.join(map(str, info['load_average']))} at the start), {info['memory_gib']} GiB,",
        f"{info['os']}, Python {info['python']}, Django {info['django']}, "
        f"xlsxwriter {info['xlsxwriter']}.",
        "",
        "| rows | query | wall time | CPU time | load avg (1 min) | rows/s "
        "| RSS before → peak (ru_maxrss) | tracemalloc peak | file |",
        "|---:|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in results:
        traced = f"{r['tracemalloc_peak_mib']} MiB" if r["tracemalloc"] else "—"
        time_note = " (traced)" if r["tracemalloc"] else ""
        lines.append(
            f"| {r['rows']:,} | `{r['query'] or '(whole ledger)'}` | {r['seconds']} s{time_note} "
            f"| {r.get('cpu_seconds', '—')} s | {r.get('load_average', ['—'])[0]} "
            f"| {r['rows_per_second']:,} | {r['rss_before_mib']} → {r['rss_peak_mib']} MiB "
            f"({r.get('ru_maxrss_mib', '—')}) "
            f"| {traced} | {r['file_bytes'] / 2**20:.1f} MiB |"
        )
    lines += [
        "",
        "Memory does not grow with the number of rows: a tenth of the ledger and the whole",
        "ledger reach about the same peak, because rows are flushed to disk as they are written.",
        "",
        "Re-run: `.venv/bin/python bench/export_ledger.py` (see bench/README.md).",
        "",
    ]
    path = RESULTS / f"{stem}.md"
    path.write_text("\n".join(lines))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--fresh", action="store_true", help="delete the SQLite file first")
    parser.add_argument("--measure", metavar="QUERY", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--label", default="", help="added to the report's name (export-<date>-<db>-<label>)"
    )
    parser.add_argument(
        "--runs",
        default="whole,category,whole-traced,category-traced",
        help="which measurements, comma-separated (default: all four)",
    )
    args = parser.parse_args()

    if args.measure is not None:  # a child: one export, its numbers as JSON on stdout
        django_setup(args.database_url)
        print(json.dumps(measure(args.measure, args.trace)))
        return

    if args.fresh and args.database_url.startswith("sqlite:///"):
        Path(args.database_url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    django_setup(args.database_url)
    build(args.rows)
    info = machine()
    from ledger.models import Category

    one_category = f"category={Category.objects.get(name='类别3').pk}"
    runs = {
        "whole": ("", False),
        "category": (one_category, False),
        "whole-traced": ("", True),
        "category-traced": (one_category, True),
    }
    results = []
    for query, trace in [runs[name] for name in args.runs.split(",")]:
        result = child(args.database_url, query, trace)
        print(json.dumps(result, ensure_ascii=False))
        results.append(result)
    path = report(args.rows, info, results, label=args.label)
    print(f"wrote {path.relative_to(ROOT)} and its .json")


if __name__ == "__main__":
    main()
