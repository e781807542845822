"""Each page once in-process, as its user: the queries it runs, and EXPLAIN (ANALYZE,
BUFFERS) of its slowest SELECT. Reads [{"key", "role", "path"}] as JSON on stdin, writes the
results as JSON on stdout. Run by bench/pages.py with the benchmark's environment."""

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhongzhan.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from ledger.models import User  # noqa: E402

LOGINS = {
    "supervisor": "bench_supervisor",
    "leader": "bench_leader_01",
    "staff": "bench_staff_01",
    "admin": "bench_admin",
}


def slowest_select(captured):
    best = None
    for query in captured:
        sql = query["sql"].lstrip()
        if not sql[:6].upper().startswith(("SELECT", "WITH")):
            continue
        seconds = float(query["time"])
        if best is None or seconds > best[0]:
            best = (seconds, query["sql"])
    return best


def main():
    pages = json.load(sys.stdin)
    out = []
    clients = {}
    for page in pages:
        client = clients.get(page["role"])
        if client is None:
            client = clients[page["role"]] = Client()
            client.force_login(User.objects.get(username=LOGINS[page["role"]]))
        entry = {"key": page["key"], "path": page["path"]}
        try:
            client.get(page["path"])  # warm
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                response = client.get(page["path"])
                entry["ms"] = round((time.perf_counter() - start) * 1000, 1)
            entry["status"] = response.status_code
            entry["queries"] = len(ctx.captured_queries)
            best = slowest_select(ctx.captured_queries)
            if best:
                entry["slowest_ms"] = round(best[0] * 1000, 1)
                entry["sql"] = best[1]
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + best[1])
                    entry["plan"] = "\n".join(row[0] for row in cursor.fetchall())
                    transaction.set_rollback(True)
        except Exception as exc:  # one page's failure is reported, the others go on
            entry["error"] = f"{type(exc).__name__}: {exc}"
        out.append(entry)
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
