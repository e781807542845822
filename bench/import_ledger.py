"""Benchmark: import of a 10,000-row messy-but-valid ledger spreadsheet (wall time).

Builds a throwaway database (an SQLite file in /tmp by default, or the PostgreSQL database
given with --database-url) with the demo's master data (seed_demo), writes a 10,000-row
.xlsx the way offices keep them (a merged title row, synonym headers, section rows, blank
rows, dates in every written form, full-width names, short unit names), then times the
import's one code path (ledger.exchange.importing.ledger_import, which the wizard and
`manage.py import_ledger` share):

1. dry run (read, find the table, check every row, match names and existing issues);
2. the real import (the same, then every issue, event, deadline and co-department written
   in one transaction);
3. importing the same file again (every row matched, nothing written).

Writes bench/results/import-<date>[-<db>].md and .json.

    .venv/bin/python bench/import_ledger.py
    .venv/bin/python bench/import_ledger.py \\
        --database-url postgres://postgres@127.0.0.1:5432/zz_bench_import
"""

import argparse
import datetime
import io
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_DB = "sqlite:////tmp/zz_bench_import.sqlite3"


def django_setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["MEDIA_ROOT"] = "/tmp/zz_bench_import_media"
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    os.environ["DEBUG"] = "0"  # no query log kept in memory, as in production
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhongzhan.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def fresh_database(database_url: str) -> None:
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def prepare() -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        # start from an empty schema so every run measures the same thing
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    call_command("migrate", verbosity=0)
    settings.EXCHANGE = {**settings.EXCHANGE, "IMPORT_MAX_ROWS": 50000}
    call_command("seed_demo", stdout=io.StringIO())


def sheet_bytes(rows: int) -> bytes:
    """A messy but valid ledger of `rows` issues as .xlsx (xlsxwriter)."""
    import xlsxwriter

    from ledger import demo
    from ledger.models import Department, Enterprise, KeyProject, Leader

    rng = random.Random(2014)
    leaders = [leader.user.name for leader in Leader.objects.select_related("user")]
    units = [(u.name, u.short_name) for u in Department.objects.exclude(kind="oversight")]
    subjects = [e.name for e in Enterprise.objects.all()] + [
        p.name for p in KeyProject.objects.all()
    ]
    categories, sources = demo.CATEGORIES, demo.SOURCES
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True})
    sheet = book.add_worksheet("问题台账")
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    header = [
        "序号", "编号", "问题来源", "企业/项目名称", "问题类别", "存在问题", "包联领导",
        "责任单位", "配合单位", "整改措施", "办结时限", "办理状态", "办结情况", "满意度",
    ]  # fmt: skip
    sheet.merge_range(0, 0, 0, len(header) - 1, "中站区问题台账（基准测试）")
    sheet.write_row(1, 0, header)
    r = 2
    statuses = ["", "已交办", "办理中", "已办结", "已销号"]
    for n in range(1, rows + 1):
        if n % 500 == 1:
            sheet.write(r, 0, f"{'一二三四五六七八九十'[(n // 500) % 10]}、第{n // 500 + 1}批")
            r += 1
        if n % 250 == 0:
            r += 1  # a blank row
        day = datetime.date(2026, 1, 1) + datetime.timedelta(days=rng.randrange(0, 364))
        lead, lead_short = rng.choice(units)
        co = rng.choice(units)[0]
        status = statuses[n % len(statuses)]
        form = n % 6
        sheet.write_number(r, 0, n)
        source = rng.choice(sources)
        sheet.write(r, 2, source.replace("12345 热线", "１２３４５热线"))
        sheet.write(r, 3, rng.choice(subjects))
        sheet.write(r, 4, rng.choice(categories))
        sheet.write(r, 5, f"第{n}号问题：企业反映{rng.choice(categories)}方面的困难，需协调解决。")
        sheet.write(r, 6, rng.choice(leaders))
        sheet.write(r, 7, lead_short if n % 2 else lead)
        sheet.write(r, 8, co if co != lead else "")
        sheet.write(r, 9, "明确专人对接，限期办结。")
        if form == 0:
            sheet.write_datetime(
                r, 10, datetime.datetime.combine(day, datetime.time()), date_format
            )
        elif form == 1:
            sheet.write(r, 10, day.isoformat())
        elif form == 2:
            sheet.write(r, 10, f"{day.year}年{day.month}月{day.day}日")
        elif form == 3:
            sheet.write(r, 10, day.strftime("%Y.%m.%d"))
        elif form == 4:
            sheet.write_number(r, 10, (day - datetime.date(1899, 12, 30)).days)
        else:
            sheet.write(r, 10, "长期坚持" if n % 12 == 5 else day.strftime("%Y/%m/%d"))
        sheet.write(r, 11, status)
        if status in ("已办结", "已销号"):
            sheet.write(r, 12, "已按整改措施办理完毕。")
        if status == "已销号":
            sheet.write(r, 13, rng.choice(["满意", "基本满意"]))
        r += 1
    sheet.write(r, 0, "合计")
    sheet.write(r, 1, f"共 {rows} 项")
    book.close()
    return out.getvalue()


def timed(function):
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    fresh_database(args.database_url)
    django_setup(args.database_url)
    from django.db import connection

    from ledger.exchange.importing import ledger_import
    from ledger.models import Issue, IssueEvent, User

    prepare()
    supervisor = User.objects.get(username="supervisor")
    before = Issue.objects.count()
    data, build_s = timed(lambda: sheet_bytes(args.rows))

    def run(dry_run):
        return ledger_import(data, file_name="bench.xlsx", user=supervisor, dry_run=dry_run)

    dry, dry_s = timed(lambda: run(True))
    assert dry.ok and dry.to_create == args.rows, (dry.refused, [str(p) for p in dry.problems[:5]])
    real, real_s = timed(lambda: run(False))
    assert real.committed and Issue.objects.count() == before + args.rows
    events = IssueEvent.objects.count()
    again, again_s = timed(lambda: run(True))
    assert again.unchanged == args.rows and again.to_create == again.to_update == 0
    assert IssueEvent.objects.count() == events

    vendor = connection.vendor
    if vendor == "sqlite":
        version = ".".join(str(part) for part in connection.Database.sqlite_version_info)
    else:
        number = connection.cursor().connection.info.server_version  # e.g. 150020
        version = f"{number // 10000}.{number % 10000}"
    result = {
        "date": datetime.date.today().isoformat(),
        "rows": args.rows,
        "file_bytes": len(data),
        "database": f"{vendor} {version}",
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "processor": platform.processor() or platform.machine(),
        },
        "seconds": {
            "write_sheet": round(build_s, 2),
            "dry_run": round(dry_s, 2),
            "import": round(real_s, 2),
            "reimport_dry_run": round(again_s, 2),
        },
        "skipped_rows": real.skipped,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = f"import-{result['date']}" + ("" if vendor == "sqlite" else f"-{vendor}")
    (RESULTS / f"{stem}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    s = result["seconds"]
    (RESULTS / f"{stem}.md").write_text(
        f"""# Import of a {args.rows:,}-row ledger — {result["date"]}

Machine: {result["machine"]["cpus"]} cores ({result["machine"]["processor"]}),
{result["machine"]["platform"]}, Python {result["machine"]["python"]}; database
{result["database"]}. The machine was shared with other work while measuring.

File: a messy but valid .xlsx of {args.rows:,} issues ({len(data) / 1024 / 1024:.1f} MiB):
merged title row, synonym headers, a section row every 500 issues, blank rows, dates in
six written forms and 长期坚持, full-width 12345, short unit names; {real.skipped} rows
skipped (sections and totals).

| step | seconds |
|---|---|
| dry run: read, check every row, match names and existing issues | {s["dry_run"]} |
| import: the same, then the issues, events, deadlines, co-departments (one transaction) \
| {s["import"]} |
| the same file again (dry run): every row matched, nothing to write | {s["reimport_dry_run"]} |

`.venv/bin/python bench/import_ledger.py [--database-url …]` reproduces it.
"""
    )
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
