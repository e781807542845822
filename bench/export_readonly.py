"""Benchmark: the ledger export against an existing database, read-only (wall, CPU, peak RSS).

For a database that must not be written to, such as the shared 1,000,000-issue `zz_bench_1m`:
no export job is created (bench/export_ledger.py creates one and builds its own data); the
ledger's rows for a user and a query string are written by `ledger_write` to a temporary
file, in a session set read-only (`default_transaction_read_only`). One process per run;
prints one JSON line.

    .venv/bin/python bench/export_readonly.py \\
        --database-url postgres://postgres@127.0.0.1:5432/zz_bench_1m \\
        --query raised_after=2026-07-22            # ~100,000 rows at 1M
    … --fetch-only                                 # the rows read, nothing written
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--query", default="raised_after=2026-07-22")
    parser.add_argument("--user", default="bench_supervisor")
    parser.add_argument("--fetch-only", action="store_true")
    args = parser.parse_args()
    os.environ.update(
        DATABASE_URL=args.database_url,
        DEBUG="0",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="zhongzhan.settings",
    )
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret-" + "x" * 30)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.http import QueryDict
    from django.utils import translation

    from ledger.exchange.export import CHUNK_SIZE, ledger_rows, ledger_values, ledger_write
    from ledger.models import User

    translation.activate("zh-hans")
    with connection.cursor() as cursor:
        cursor.execute("SET default_transaction_read_only = on")
    user = User.objects.get(username=args.user)
    rows, _filters = ledger_rows(user, QueryDict(args.query))
    load = [round(x, 2) for x in os.getloadavg()]
    started, cpu = time.perf_counter(), time.process_time()
    with tempfile.TemporaryFile() as output:
        if args.fetch_only:
            count = sum(1 for _ in ledger_values(rows).iterator(chunk_size=CHUNK_SIZE))
        else:
            count = ledger_write(output, rows, title="bench")
        size = output.seek(0, 2)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = next(
        int(line.split()[1])
        for line in Path("/proc/self/status").read_text().splitlines()
        if line.startswith("VmHWM:")
    )
    print(
        json.dumps(
            {
                "query": args.query,
                "rows": count,
                "fetch_only": args.fetch_only,
                "seconds": round(seconds, 2),
                "cpu_seconds": round(cpu, 2),
                "rss_peak_mib": round(peak / 1024, 1),
                "file_mib": round(size / 2**20, 1),
                "load_average": load,
            }
        )
    )


if __name__ == "__main__":
    main()
