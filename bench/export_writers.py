"""Benchmark: the .xlsx writers alone on the same ledger-like rows (no database).

    .venv/bin/python bench/export_writers.py sheetwriter 100000
    .venv/bin/python bench/export_writers.py xlsxwriter 100000
    PYTHONPATH=/path/to/rustpy .venv/bin/python bench/export_writers.py rustpy 100000

`sheetwriter` is the app's writer (ledger/excel.py: xlsxwriter in constant-memory mode, the
title row, column widths, row heights for wrapped text, the quote-prefix policy);
`xlsxwriter` the same cells written plainly with xlsxwriter (the floor of any writer built on
it); `rustpy` rustpy-xlsxwriter's FastExcel (Rust, not a dependency of the project: install
it somewhere and put it on PYTHONPATH). Prints wall time, CPU time, file size, peak RSS and
the load average. One process per writer, so the peaks are each writer's own.
"""

import datetime
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhongzhan.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    os.environ.setdefault("DEBUG", "0")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def rows(n: int):
    day = datetime.date(2026, 3, 1)
    moment = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)
    for k in range(1, n + 1):
        title = f"第{k}号问题：厂区道路积水影响生产" if k % 1000 else '=HYPERLINK("http://x","y")'
        yield [
            k,
            f"ZZ-2026-{k:06d}",
            "企业走访",
            "焦作市中站区测试企业有限公司",
            "用地规划",
            title,
            "雨后厂区门口道路积水严重，影响原料运输和职工通行，企业多次反映，"
            "希望协调住建、城管等部门尽快改造排水设施。",
            "一般",
            "区住建局",
            moment,
            "领导3",
            "区住建局",
            "区发改委、区环保局" if k % 3 == 0 else "",
            "张三",
            "协调住建局实施排水管网改造。",
            day,
            "办理中",
            "正常",
            "顺利",
            "",
            None,
            None,
            "",
            "否",
        ]


def main() -> None:
    which, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    setup()
    from ledger import excel
    from ledger.exchange.columns import LEDGER_COLUMNS

    started, cpu = time.perf_counter(), time.process_time()
    out = tempfile.TemporaryFile()  # noqa: SIM115 - open until the end of the run
    if which == "sheetwriter":
        book = excel.workbook_open(out)
        sheet = excel.SheetWriter(
            book, excel.Formats(book), name="台账", columns=LEDGER_COLUMNS, title="t"
        )
        for values in rows(n):
            sheet.append(values)
        sheet.finish()
        book.close()
    elif which == "xlsxwriter":
        book = excel.workbook_open(out)
        text = book.add_format({"text_wrap": True})
        date = book.add_format({"num_format": "yyyy-mm-dd"})
        sheet = book.add_worksheet("台账")
        for r, values in enumerate(rows(n)):
            for c, value in enumerate(values):
                if value is None or value == "":
                    continue
                if isinstance(value, str):
                    sheet.write_string(r, c, value, text)
                elif isinstance(value, int):
                    sheet.write_number(r, c, value)
                elif isinstance(value, datetime.datetime):
                    sheet.write_datetime(r, c, value.date(), date)
                else:
                    sheet.write_datetime(r, c, value, date)
        book.close()
    elif which == "rustpy":
        from rustpy_xlsxwriter import FastExcel

        keys = [column.key for column in LEDGER_COLUMNS]

        def records():
            for values in rows(n):
                yield {
                    key: value.replace(tzinfo=None)
                    if isinstance(value, datetime.datetime)
                    else value
                    for key, value in zip(keys, values, strict=True)
                }

        FastExcel(out).sheet("台账", records()).save()
    else:
        raise SystemExit("writer: sheetwriter, xlsxwriter or rustpy")
    print(
        f"{which} {n:,} rows: {time.perf_counter() - started:.2f} s wall, "
        f"{time.process_time() - cpu:.2f} s CPU, {out.seek(0, 2) / 2**20:.1f} MiB, "
        f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB, "
        f"load {' / '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
