"""Server-Timing for the benchmark: SQL time and query count of each request.

On only when settings.LEDGER_SERVER_TIMING is true (environment LEDGER_SERVER_TIMING=1;
zhongzhan/settings.py then puts this middleware first). It wraps the request's database
queries with connection.execute_wrapper and adds

    Server-Timing: sql;dur=12.3;desc="7 queries", app;dur=45.6

which bench/pages.py reads next to its own wall-clock time. The header tells anyone who can
read the response how long the server took, so it stays off in production.
"""

import time

from django.conf import settings
from django.db import connections


class QueryTimer:
    """execute_wrapper that sums the time and count of the queries it sees."""

    def __init__(self):
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.count += 1


def header(sql_seconds: float, queries: int, app_seconds: float) -> str:
    sql = f'sql;dur={sql_seconds * 1000:.1f};desc="{queries} queries"'
    return f"{sql}, app;dur={app_seconds * 1000:.1f}"


def parse(value: str) -> dict:
    """{'sql_ms': …, 'queries': …, 'app_ms': …} from a Server-Timing header (missing: {})."""
    found = {}
    for part in (value or "").split(","):
        items = [item.strip() for item in part.split(";")]
        name, fields = items[0], dict(item.split("=", 1) for item in items[1:] if "=" in item)
        if name == "sql" and "dur" in fields:
            found["sql_ms"] = float(fields["dur"])
            desc = fields.get("desc", "").strip('"').split()
            if desc and desc[0].isdigit():
                found["queries"] = int(desc[0])
        elif name == "app" and "dur" in fields:
            found["app_ms"] = float(fields["dur"])
    return found


class ServerTimingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not getattr(settings, "LEDGER_SERVER_TIMING", False):
            return self.get_response(request)
        timer = QueryTimer()
        start = time.perf_counter()
        with connections["default"].execute_wrapper(timer):
            response = self.get_response(request)
        response["Server-Timing"] = header(timer.seconds, timer.count, time.perf_counter() - start)
        return response
