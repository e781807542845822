"""The pages at scale (issue 11): seed PostgreSQL, serve with gunicorn, measure over HTTP.

    make bench N=1000000                     # or: .venv/bin/python bench/pages.py --issues N
    make bench N=1000000 REUSE=1             # the database is already seeded at that size
    BENCH_DB=zz_mine make bench N=10000      # database name (default zz_bench_<N>)
    BENCH_SETTINGS=recommended make bench …  # or --settings recommended: docs/scaling.md's
                                             # per-database PostgreSQL settings (default stock)
    BENCH_WORKER_CLASS=gthread BENCH_THREADS=4 make bench …   # or --worker-class gthread
                                             # --threads 4 (--workers, BENCH_WORKERS: 2)
    BENCH_CACHE=redis make bench …           # or --cache redis: figures in the shared cache
    BENCH_COLD=1 make bench …                # or --cold: the first pass after PostgreSQL's
                                             # restart with the OS page cache dropped (root)
    BENCH_SHARED_BUFFERS=4GB make bench …    # or --shared-buffers 4GB: set on the server and
                                             # restarted for the run, reset afterwards (root)
    BENCH_CONN_MAX_AGE=0 make bench …        # or --conn-max-age 0 (default 60, as deployed)
    .venv/bin/python bench/pages.py --issues N --reuse --only leaders_me,deep_staff
                                             # a quick look at a few pages (no report of the
                                             # targets; written under /tmp/zz_bench_only)

Steps: create the database (dropped first unless REUSE=1 finds it seeded with N issues),
migrate, `seed_bench --issues N`, collectstatic, start gunicorn (2 workers, DEBUG off,
LEDGER_SERVER_TIMING on, plain HTTP on 127.0.0.1) and one `db_worker`, sign in as each role,
ask each page once (the first pass, reported per page; issue 19's cold targets judge it),
warm up, then per page R requests one after another (p50/p95/max of the wall time, the
server's SQL time and query count from the Server-Timing header), an export of up to
100,000 rows through the background job (total time to the downloaded file, peak RSS of the
worker), and a mixed load of 16 concurrent users. Finally each page once more in-process
(django.test.Client + CaptureQueriesContext) to EXPLAIN (ANALYZE, BUFFERS) its slowest
SELECT. Report: bench/results/<date>-<size>.md and .json.

The measuring part (Session, measure_page, mixed_load, summarise, write_report) is also used
by the smoke test (tests/scale/) against a live test server.
"""

import argparse
import contextlib
import datetime
import http.client
import json
import math
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PASSWORD = "bench-pass-2026"  # ledger/scale/seeding.PASSWORD
LOGINS = {
    "supervisor": "bench_supervisor",
    "leader": "bench_leader_01",
    "staff": "bench_staff_01",
    "admin": "bench_admin",
}

# issue 11's targets: group → p95 limit in ms (export: total seconds and MB, mixed: req/s)
TARGETS = {
    "ledger": ("ledger first page, any single filter, any sort, any role", 150),
    "search": ("ledger free-text search (2–4 Chinese characters)", 300),
    "deep": ("deep page (e.g. page 2000)", 300),
    "issue": ("issue page with 30 events", 80),
    "home": ("home, /leaders/me/, /projects/", 150),
    "directory": ("/enterprises/, admin issue list (no target in the issue; shown)", None),
    "dashboard": ("dashboard", 500),
    "assessment": ("assessment, one year, all departments", 1000),
    # the JSON API's list (issue 20): the same rows as the ledger's first page, as JSON
    "api": ("API issue list /api/v1/issues/ (beside the ledger's)", 150),
    # issue 19: the oversight room's weekly and monthly reports, as the supervisor opens them
    "reports": ("weekly and monthly reports (issue 19)", 1000),
}
# the API list pages and the ledger pages they are compared with (same role, same query)
API_BESIDE_LEDGER = {
    "api_list": "ledger",
    "api_list_staff": "ledger_staff",
    "api_list_leader": "ledger_leader",
    "api_status": "ledger_status",
    "api_deadline": "ledger_deadline",
    "api_search": "search_yongdi",
}
# the bench's own Redis database for --cache redis (bench/hosts.py uses another)
BENCH_REDIS = "redis://127.0.0.1:6379/12"
# issue 19's first-pass targets: page key → (label, p95 limit in ms) on the page's first request
# after the server starts, before any warm-up (with --cold: after PostgreSQL's restart with the
# OS page cache dropped, so every page is read from disk)
FIRST_PASS_TARGETS = {
    "search_4_leader": ("4-character search, the leader with the most 分包, first pass", 300),
    "deep_staff": ("deep page 2000, staff of the busiest department, first pass", 300),
    "dashboard": ("dashboard, first pass", 500),
}
EXPORT_TARGET = (20.0, 300.0)  # seconds, MB
MIXED_TARGET = (100.0, 250.0)  # requests/s, p95 ms

# --settings recommended: the PostgreSQL settings docs/scaling.md recommends that can be set
# per database (ALTER DATABASE … SET: every new connection to it takes them). shared_buffers
# (recommended: a quarter of RAM) needs a server restart, which a bench must not do on a
# shared server: the report gives the server's own value.
RECOMMENDED_SETTINGS = {
    "effective_cache_size": "16GB",
    "jit": "off",
    "random_page_cost": "1.1",
    "work_mem": "16MB",
}
SETTINGS_MODES = ("stock", "recommended")
# gunicorn: sync workers (one request at a time each) or gthread (--threads per worker)
WORKER_CLASSES = ("sync", "gthread")


# -- HTTP ---------------------------------------------------------------------------------


class Session:
    """One signed-in user over one keep-alive connection (http.client, no extra package)."""

    def __init__(self, host: str, port: int, timeout: float = 120):
        self.host, self.port, self.timeout = host, port, timeout
        self.cookies: dict[str, str] = {}
        self.conn = None
        # a personal token: the API's pages are measured as a phone or a system calls them
        self.bearer = ""

    def _connection(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.conn

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        """(status, headers dict, body bytes, seconds)."""
        headers = dict(headers or {})
        if self.bearer:
            headers["Authorization"] = f"Bearer {self.bearer}"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers.setdefault("Host", f"{self.host}:{self.port}")
        for attempt in range(2):
            conn = self._connection()
            start = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (TimeoutError, http.client.HTTPException, ConnectionError):
                self.close()
                if attempt:
                    raise
                continue
            elapsed = time.perf_counter() - start
            for value in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            if response.headers.get("Connection", "").lower() == "close":
                self.close()
            return response.status, dict(response.headers.items()), data, elapsed
        raise RuntimeError("unreachable")

    def get(self, path: str):
        return self.request("GET", path)

    def login(self, username: str, password: str) -> None:
        status, _headers, body, _t = self.get("/accounts/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if status != 200 or not match:
            raise RuntimeError(f"login page: HTTP {status}")
        form = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": match.group(1).decode(),
                "username": username,
                "password": password,
            }
        ).encode()
        status, headers, _body, _t = self.request(
            "POST",
            "/accounts/login/",
            body=form,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://{self.host}:{self.port}/accounts/login/",
            },
        )
        if status != 302:
            raise RuntimeError(f"signing in as {username} failed: HTTP {status}")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def server_timing(headers: dict) -> dict:
    from ledger.scale.timing import parse

    return parse(headers.get("Server-Timing", ""))


# -- statistics ---------------------------------------------------------------------------


def percentile(values, share: float) -> float:
    """Nearest-rank percentile (p95 of 20 samples is the 19th smallest)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class Page:
    key: str
    role: str
    path: str
    group: str
    label: str = ""
    # called with the role's personal token (the API) rather than its signed-in session
    bearer: bool = False


@dataclass
class PageResult:
    key: str
    role: str
    path: str
    group: str
    label: str
    status: int = 0
    times_ms: list = field(default_factory=list)
    sql_ms: list = field(default_factory=list)
    app_ms: list = field(default_factory=list)
    queries: list = field(default_factory=list)
    bytes: int = 0
    error: str = ""
    # the page's first request after the server started (the first pass), before warm-up
    first_ms: float | None = None

    def summary(self) -> dict:
        def stat(values, fn):
            return round(fn(values), 1) if values else None

        return {
            "key": self.key,
            "role": self.role,
            "path": self.path,
            "group": self.group,
            "label": self.label,
            "status": self.status,
            "requests": len(self.times_ms),
            "first_ms": round(self.first_ms, 1) if self.first_ms is not None else None,
            "p50_ms": stat(self.times_ms, statistics.median),
            "p95_ms": stat(self.times_ms, lambda v: percentile(v, 0.95)),
            "max_ms": stat(self.times_ms, max),
            "sql_p50_ms": stat(self.sql_ms, statistics.median),
            "app_p50_ms": stat(self.app_ms, statistics.median),
            "queries": int(statistics.median(self.queries)) if self.queries else None,
            "kb": round(self.bytes / 1024, 1),
            "error": self.error,
        }


def measure_page(
    session: Session, page: Page, requests: int, warmup: int = 1, budget: float | None = None
) -> PageResult:
    """`requests` requests one after another (fewer, but at least 5, once `budget` seconds
    are spent: a page that takes seconds must not hold the run up for minutes)."""
    result = PageResult(page.key, page.role, page.path, page.group, page.label or page.key)
    started = time.perf_counter()
    try:
        for _ in range(warmup):
            session.get(page.path)
        for done in range(requests):
            if budget and done >= 5 and time.perf_counter() - started > budget:
                break
            status, headers, body, seconds = session.get(page.path)
            result.status = status
            result.bytes = len(body)
            result.times_ms.append(seconds * 1000)
            timing = server_timing(headers)
            if "sql_ms" in timing:
                result.sql_ms.append(timing["sql_ms"])
            if "app_ms" in timing:
                result.app_ms.append(timing["app_ms"])
            if "queries" in timing:
                result.queries.append(timing["queries"])
            if status != 200:
                where = headers.get("Location")
                result.error = f"HTTP {status}" + (f" → {where}" if where else "")
                break
    except Exception as exc:  # a page that fails is reported, the run goes on
        result.error = f"{type(exc).__name__}: {exc}"
    return result


def mixed_load(
    host, port, users: list[tuple[str, str]], paths: dict, seconds: float, concurrency: int = 16
) -> dict:
    """`concurrency` signed-in users (cycling through `users`: (role, username)) each request
    random pages of their role's list in `paths` for `seconds`; throughput and latencies."""
    sessions = []
    for i in range(concurrency):
        role, username = users[i % len(users)]
        session = Session(host, port)
        session.login(username, PASSWORD)
        sessions.append((role, session))
    return mixed_run(sessions, paths, seconds)


def mixed_run(sessions: list, paths: dict, seconds: float) -> dict:
    """Each of `sessions` ((role, a signed-in Session or anything with get() and close()))
    requests random pages of its role's list in `paths` for `seconds`, in its own thread;
    throughput and latencies. Closes the sessions."""
    concurrency = len(sessions)
    latencies, errors = [], []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds
    start = time.perf_counter()

    def run(role, session, seed):
        rng = random.Random(seed)
        own, bad = [], []
        while time.perf_counter() < stop_at:
            path = rng.choice(paths[role])
            try:
                status, _h, _b, elapsed = session.get(path)
                own.append(elapsed * 1000)
                if status != 200:
                    bad.append(f"{status} {path}")
            except Exception as exc:
                bad.append(f"{type(exc).__name__} {path}")
        with lock:
            latencies.extend(own)
            errors.extend(bad)

    threads = [
        threading.Thread(target=run, args=(role, session, i))
        for i, (role, session) in enumerate(sessions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration = time.perf_counter() - start
    for _role, session in sessions:
        session.close()
    return {
        "concurrency": concurrency,
        "seconds": round(duration, 1),
        "requests": len(latencies),
        "throughput_rps": round(len(latencies) / duration, 1) if duration else 0,
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 0.95), 1) if latencies else None,
        "max_ms": round(max(latencies), 1) if latencies else None,
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:5],
    }


# -- the report -----------------------------------------------------------------------------


def _ok(value, limit, *, higher_is_better=False) -> str:
    if value is None or limit is None:
        return "–"
    return "✓" if (value >= limit if higher_is_better else value <= limit) else "✗"


def targets_table(pages: list[dict], export: dict | None, mixed: dict | None) -> list[dict]:
    """One row per target of issue 11: the worst p95 of its pages against the limit; then
    issue 19's first-pass targets (FIRST_PASS_TARGETS), each its page's first request."""
    rows = []
    for group, (label, limit) in TARGETS.items():
        members = [p for p in pages if p["group"] == group and p["p95_ms"] is not None]
        failed = [p for p in pages if p["group"] == group and (p["error"] or p["status"] != 200)]
        if not members and not failed:
            continue
        worst = max(members, key=lambda p: p["p95_ms"]) if members else None
        row = {
            "target": label,
            "limit": f"≤ {limit} ms" if limit else "—",
            "measured": f"{worst['p95_ms']:.0f} ms ({worst['key']})" if worst else "—",
            "ok": _ok(worst["p95_ms"] if worst else None, limit),
        }
        if failed:
            row["ok"] = "✗"
            row["measured"] += f"; errors: {', '.join(p['key'] for p in failed)}"
        rows.append(row)
    by_key = {p["key"]: p for p in pages}
    for key, (label, limit) in FIRST_PASS_TARGETS.items():
        page = by_key.get(key)
        if page is None or page.get("first_ms") is None:
            continue
        failed = page["error"] or page["status"] != 200
        rows.append(
            {
                "target": label,
                "limit": f"≤ {limit} ms",
                "measured": f"{page['first_ms']:.0f} ms ({key})"
                + (f"; error: {page['error'] or page['status']}" if failed else ""),
                "ok": "✗" if failed else _ok(page["first_ms"], limit),
            }
        )
    if export:
        seconds, mb = export.get("total_s"), export.get("peak_rss_mb")
        ok = (
            "✓"
            if (seconds is not None and mb is not None)
            and seconds <= EXPORT_TARGET[0]
            and mb <= EXPORT_TARGET[1]
            else "✗"
        )
        rows.append(
            {
                "target": f"export {export.get('rows', 0):,} rows",
                "limit": f"≤ {EXPORT_TARGET[0]:.0f} s, ≤ {EXPORT_TARGET[1]:.0f} MB",
                "measured": f"{seconds} s, {mb} MB"
                + (f"; {export['error']}" if export.get("error") else ""),
                "ok": ok if not export.get("error") else "✗",
            }
        )
    if mixed:
        ok = (
            "✓"
            if mixed["p95_ms"] is not None
            and mixed["throughput_rps"] >= MIXED_TARGET[0]
            and mixed["p95_ms"] <= MIXED_TARGET[1]
            and not mixed["errors"]
            else "✗"
        )
        rows.append(
            {
                "target": f"mixed load, {mixed['concurrency']} concurrent users",
                "limit": f"≥ {MIXED_TARGET[0]:.0f} req/s, p95 ≤ {MIXED_TARGET[1]:.0f} ms",
                "measured": f"{mixed['throughput_rps']} req/s, p95 {mixed['p95_ms']} ms"
                + (f", {mixed['errors']} errors" if mixed["errors"] else ""),
                "ok": ok,
            }
        )
    return rows


def _cell(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}" if value < 100 else f"{value:.0f}"
    return str(value).replace("|", "\\|")


def render_markdown(report: dict) -> str:
    meta, data = report["machine"], report["data"]
    lines = [
        f"# Pages at {data['issues']:,} issues — {report['date']}",
        "",
        report.get("note", ""),
        "",
        f"Machine: {meta.get('cores')} cores, {meta.get('ram_gb')} GB RAM, "
        f"{meta.get('postgresql', '?')}, Python {meta.get('python')}; "
        f"{server_words(meta)}, DEBUG off. "
        f"PostgreSQL settings: {meta.get('pg_settings') or '?'}."
        + (
            f" Load average (1, 5, 15 min) at the start {meta['load_start']}, at the end "
            f"{meta['load_end']}."
            if meta.get("load_start")
            else ""
        ),
        settings_words(report.get("settings")),
        f"Data: {data['issues']:,} issues, {data.get('events', 0):,} events, "
        f"{data.get('enterprises', 0):,} enterprises, {data.get('projects', 0):,} projects, "
        f"database {data.get('db_size', '?')}. "
        + (
            f"Seeded in {data['seed_s']} s."
            if data.get("seed_s") is not None
            else "The database was seeded before (REUSE=1)."
        ),
        f"Requests per page: {report.get('requests')} after warm-up (fewer, at least 5, for a "
        "page slower than the per-page budget); times are wall-clock at the "
        "client; SQL time and queries come from the Server-Timing header (median).",
        first_pass_words(report.get("first_pass")),
        "",
        "## Targets (issues 11 and 19)",
        "",
        "| target | limit (p95) | measured | |",
        "|---|---|---|---|",
    ]
    for row in report["targets"]:
        lines.append(f"| {row['target']} | {row['limit']} | {row['measured']} | {row['ok']} |")
    lines += [
        "",
        "## Pages",
        "",
        "| page | role | first pass ms | p50 ms | p95 ms | max ms | SQL ms | app ms | queries "
        "| KB | status |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in report["pages"]:
        status = p["error"] or p["status"]
        lines.append(
            f"| {_cell(p['label'])} `{_cell(p['path'])}` | {p['role']} "
            f"| {_cell(p.get('first_ms'))} | {_cell(p['p50_ms'])} "
            f"| {_cell(p['p95_ms'])} | {_cell(p['max_ms'])} | {_cell(p['sql_p50_ms'])} "
            f"| {_cell(p['app_p50_ms'])} | {_cell(p['queries'])} | {_cell(p['kb'])} "
            f"| {_cell(status)} |"
        )
    beside = api_beside_ledger(report["pages"])
    if beside:
        lines += [
            "",
            "## The API list beside the ledger",
            "",
            "| query | role | ledger p95 ms | API p95 ms | ledger queries | API queries |",
            "|---|---|---|---|---|---|",
        ]
        for row in beside:
            lines.append(
                f"| {_cell(row['query'])} | {row['role']} | {_cell(row['ledger_p95_ms'])} "
                f"| {_cell(row['api_p95_ms'])} | {_cell(row['ledger_queries'])} "
                f"| {_cell(row['api_queries'])} |"
            )
    export = report.get("export")
    if export:
        lines += [
            "",
            "## Export",
            "",
            "```",
            json.dumps(export, ensure_ascii=False, indent=1),
            "```",
        ]
    mixed = report.get("mixed")
    if mixed:
        lines += [
            "",
            "## Mixed load",
            "",
            "```",
            json.dumps(mixed, ensure_ascii=False, indent=1),
            "```",
        ]
    memory = report.get("memory")
    if memory:
        lines += [
            "",
            "## Memory",
            "",
            f"Peak RSS of one gunicorn worker: {memory.get('gunicorn_worker_peak_mb')} MB; "
            f"of the db_worker (export): {memory.get('db_worker_peak_mb')} MB.",
        ]
    if report.get("server_errors"):
        lines += [
            "",
            f"**{report['server_errors']} server errors (HTTP 500)** during the run; "
            f"log: `{report.get('server_log')}`.",
        ]
    plans = report.get("explain") or []
    if plans:
        lines += ["", "## Slowest query per page (EXPLAIN ANALYZE, BUFFERS)", ""]
        for plan in plans:
            lines += [
                f"### {plan['key']} — {plan.get('queries')} queries, slowest "
                f"{plan.get('slowest_ms')} ms",
                "",
                "```sql",
                (plan.get("sql") or "")[:1500],
                "```",
                "",
                "```",
                plan.get("plan") or plan.get("error") or "",
                "```",
                "",
            ]
    return "\n".join(lines) + "\n"


def first_pass_words(first_pass: dict | None) -> str:
    """The report's sentence on the first pass: what was cold when each page was first asked."""
    if not first_pass:
        return ""
    if first_pass.get("cold"):
        dropped = (
            "the OS page cache dropped"
            if first_pass.get("page_cache_dropped")
            else "the OS page cache NOT dropped (not permitted here)"
        )
        state = f"PostgreSQL restarted ({first_pass.get('cluster', '?')}), {dropped}"
    else:
        state = "PostgreSQL and the OS page cache as the runs before left them"
    return (
        f"First pass: each page's first request, one page after another in the table's order, "
        f"after gunicorn started and before any warm-up; {state}."
    )


def variant_suffix(report: dict) -> str:
    """What tells a run's report from the default run's (stock settings, 2 sync workers):
    -recommended, -gthread4 (threads per worker), -w4 (workers)."""
    meta, settings = report.get("machine", {}), report.get("settings") or {}
    suffix = "-recommended" if settings.get("mode") == "recommended" else ""
    if settings.get("server"):
        suffix += "-sb" + settings["server"].get("shared_buffers", "").lower()
    if (report.get("first_pass") or {}).get("cold"):
        suffix += "-cold"
    if meta.get("worker_class", "sync") != "sync":
        suffix += f"-{meta['worker_class']}{meta.get('threads', 1)}"
    if meta.get("workers", 2) != 2:
        suffix += f"-w{meta['workers']}"
    if meta.get("cache", "none") != "none":
        suffix += f"-{meta['cache']}"
    if meta.get("conn_max_age", 60) == 0:
        suffix += "-conn0"
    return suffix


def write_report(report: dict, directory: Path = RESULTS) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    size = report["data"]["issues"]
    label = (
        f"{size // 1_000_000}m"
        if size >= 1_000_000 and size % 1_000_000 == 0
        else (f"{size // 1000}k" if size >= 1000 and size % 1000 == 0 else str(size))
    )
    stem = f"{report['date']}-{label}{variant_suffix(report)}"
    md, js = directory / f"{stem}.md", directory / f"{stem}.json"
    md.write_text(render_markdown(report), encoding="utf-8")
    js.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return md, js


# -- the run --------------------------------------------------------------------------------


def load_average() -> str:
    """The machine's load average (1, 5 and 15 minutes), for the report: the bench runs on
    the machine it measures."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def machine() -> dict:
    info = {"cores": os.cpu_count(), "python": platform.python_version()}
    try:
        with open("/proc/meminfo") as handle:
            kb = int(handle.readline().split()[1])
        info["ram_gb"] = round(kb / 1024 / 1024, 1)
    except OSError:
        pass
    return info


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return found


class MemoryWatch(threading.Thread):
    """Samples the RSS of the gunicorn workers and the db_worker every 0.2 s."""

    def __init__(self, gunicorn_pid: int, worker_pid: int | None):
        super().__init__(daemon=True)
        self.gunicorn_pid, self.worker_pid = gunicorn_pid, worker_pid
        self.peak_gunicorn = 0.0
        self.peak_worker = 0.0
        self.running = True

    def reset_worker(self):
        self.peak_worker = 0.0

    def run(self):
        while self.running:
            for pid in children(self.gunicorn_pid):
                self.peak_gunicorn = max(self.peak_gunicorn, rss_mb(pid))
            if self.worker_pid:
                self.peak_worker = max(
                    self.peak_worker,
                    rss_mb(self.worker_pid) + sum(rss_mb(c) for c in children(self.worker_pid)),
                )
            time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg(dsn: str, sql: str, params=None, *, autocommit=False):
    import psycopg

    with psycopg.connect(dsn, autocommit=autocommit) as conn, conn.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else None


def base_env(database_url: str) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "DEBUG": "0",
            "SECRET_KEY": env.get(
                "BENCH_SECRET_KEY", "bench-secret-key-not-for-production-" + "x" * 20
            ),
            "EVENTS_KEY": env.get("BENCH_EVENTS_KEY", "bench-events-key-not-for-production"),
            "EVENTS_KEY_ID": "bench",
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_HSTS_SECONDS": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "LEDGER_SERVER_TIMING": "1",
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "MEDIA_ROOT": env.get("BENCH_MEDIA_ROOT", "/tmp/zz_bench_media"),
            "LOG_LEVEL": "WARNING",
            # the API's per-caller limit would answer 429 to a measurement's repeated requests
            "API_TOKEN_RATE_PER_MINUTE": "1000000",
            # the pages, not the sign-in policy (issue 18): with a second factor required of
            # the supervisor and a new password of everyone seeded, every page measured was
            # the 302 to the enrolment or password page
            "LEDGER_REQUIRE_2FA": "off",
            "PASSWORD_CHANGE_INITIAL": "0",
        }
    )
    return env


def settings_statements(database: str, mode: str) -> list[str]:
    """The ALTER DATABASE statements of a settings mode: `recommended` sets each of
    RECOMMENDED_SETTINGS on the bench database; `stock` resets them, so a database kept
    (REUSE=1) from a recommended run is measured on the server's own settings again."""
    if mode not in SETTINGS_MODES:
        raise ValueError(f"settings: one of {', '.join(SETTINGS_MODES)}")
    quoted = '"' + database.replace('"', '""') + '"'
    if mode == "recommended":
        return [
            f"ALTER DATABASE {quoted} SET {name} = '{value}'"
            for name, value in RECOMMENDED_SETTINGS.items()
        ]
    return [f"ALTER DATABASE {quoted} RESET {name}" for name in RECOMMENDED_SETTINGS]


def apply_settings(name: str, mode: str) -> dict:
    """Apply a settings mode to the bench database; what the report says of it: the mode,
    the settings the database now carries (pg_db_role_setting), and shared_buffers, the
    server's (not changed: it needs a restart)."""
    admin_dsn = "postgresql://postgres@127.0.0.1:5432/postgres"
    for statement in settings_statements(name, mode):
        pg(admin_dsn, statement, autocommit=True)
    rows = pg(
        admin_dsn,
        "SELECT unnest(s.setconfig) FROM pg_db_role_setting s"
        " JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = %s AND s.setrole = 0",
        [name],
    )
    return {
        "mode": mode,
        "database": sorted(row[0] for row in rows or []),
        "shared_buffers": pg(admin_dsn, "SHOW shared_buffers")[0][0],
    }


def settings_words(settings: dict | None) -> str:
    """The report's sentence on the settings mode (empty for a report without one)."""
    if not settings:
        return ""
    applied = ", ".join(settings.get("database") or []) or "none"
    if settings.get("server"):
        buffers = (
            f"shared_buffers {settings['server']['shared_buffers']} set on the server "
            "(ALTER SYSTEM, server restarted; reset and restarted again after the run)"
        )
    else:
        buffers = (
            f"shared_buffers {settings.get('shared_buffers', '?')} is the server's own, "
            "unchanged: it needs a restart"
        )
    return f"Settings: **{settings['mode']}** (set on the database: {applied}; {buffers})."


# -- the local PostgreSQL server: restarted for --cold and --shared-buffers ---------------


def local_cluster() -> tuple[str, str]:
    """(version, name) of the PostgreSQL cluster on this machine (pg_lsclusters): the bench's
    server restarts need Debian's cluster tools and root, as on the development machine."""
    done = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True)
    rows = [line.split() for line in done.stdout.splitlines() if line.strip()]
    if done.returncode or len(rows) != 1:
        raise RuntimeError("one local PostgreSQL cluster (pg_lsclusters) is needed to restart it")
    return rows[0][0], rows[0][1]


def restart_postgresql(admin_dsn: str = "postgresql://postgres@127.0.0.1:5432/postgres") -> str:
    """Restart the local cluster and wait until it answers; '15/main'."""
    version, name = local_cluster()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "restart"],
        check=True,
        capture_output=True,
    )
    for _ in range(100):
        try:
            pg(admin_dsn, "SELECT 1")
            break
        except Exception:
            time.sleep(0.2)
    else:
        raise RuntimeError(f"PostgreSQL {version}/{name} did not come back after its restart")
    return f"{version}/{name}"


def drop_page_cache() -> bool:
    """Write the dirty pages out and drop the OS page cache (root only); whether it was."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def set_shared_buffers(value: str | None) -> None:
    """ALTER SYSTEM SET shared_buffers (or RESET it with None): takes effect at the restart."""
    admin_dsn = "postgresql://postgres@127.0.0.1:5432/postgres"
    if value is None:
        pg(admin_dsn, "ALTER SYSTEM RESET shared_buffers", autocommit=True)
    else:
        if not re.fullmatch(r"\d+(kB|MB|GB)", value):
            raise ValueError("shared_buffers: a size such as 4GB or 512MB")
        pg(admin_dsn, f"ALTER SYSTEM SET shared_buffers = '{value}'", autocommit=True)


def gunicorn_args(port: int, workers: int, worker_class: str, threads: int) -> list[str]:
    """gunicorn's command-line arguments (after the executable)."""
    if worker_class not in WORKER_CLASSES:
        raise ValueError(f"worker class: one of {', '.join(WORKER_CLASSES)}")
    if worker_class == "sync" and threads != 1:
        # gunicorn would quietly run gthread workers instead
        raise ValueError("--threads needs --worker-class gthread")
    args = ["zhongzhan.wsgi:application", "--workers", str(workers)]
    args += ["--worker-class", worker_class]
    if worker_class == "gthread":
        args += ["--threads", str(threads)]
    return [*args, "--bind", f"127.0.0.1:{port}", "--timeout", "300", "--log-level", "warning"]


def server_words(meta: dict) -> str:
    """gunicorn 2 sync workers / gunicorn 2 gthread workers × 4 threads, and the cache."""
    words = f"gunicorn {meta.get('workers', 2)} {meta.get('worker_class', 'sync')} workers"
    if meta.get("worker_class") == "gthread":
        words += f" × {meta.get('threads', 1)} threads"
    if meta.get("cache") == "redis":
        words += ", figures cached in Redis (CACHE_URL)"
    elif "cache" in meta:
        words += ", no shared cache (figures counted on every request)"
    if "conn_max_age" in meta:
        words += (
            f", CONN_MAX_AGE={meta['conn_max_age']} ("
            + (
                "a new database connection for every request"
                if not meta["conn_max_age"]
                else "each worker keeps its database connection, as deploy/env.example"
            )
            + ")"
        )
    return words


def redis_empty(url: str) -> None:
    """Empty the bench's own Redis database: a run starts with a cold cache."""
    import redis

    redis.Redis.from_url(url).flushdb()


def manage(env, *args, check=True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
    )
    if check and done.returncode:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-5000:])
        raise SystemExit(f"manage.py {' '.join(args)} failed (exit {done.returncode})")
    return done


def api_tokens(env) -> dict[str, str]:
    """A personal token (one day) for each bench login, made in the bench database: role →
    the token, shown once (ledger/api/models.py PersonalToken)."""
    code = "\n".join(
        [
            "import datetime, json",
            "from django.utils import timezone",
            "from ledger.api.models import PersonalToken",
            "from ledger.api.secrets import PERSONAL, secret_make",
            "from ledger.models import User",
            "out = {}",
            f"for role, name in {LOGINS!r}.items():",
            "    new = secret_make(PERSONAL)",
            "    PersonalToken.objects.create(user=User.objects.get(username=name), name='bench',"
            " prefix=new.prefix, digest=new.digest,"
            " expires_at=timezone.now() + datetime.timedelta(days=1))",
            "    out[role] = new.plain",
            "print(json.dumps(out))",
        ]
    )
    done = manage(env, "shell", "-c", code)
    return json.loads(done.stdout.strip().splitlines()[-1])


def prepare_database(n: int, name: str, reuse: bool, log) -> tuple[str, float | None]:
    admin_dsn = "postgresql://postgres@127.0.0.1:5432/postgres"
    dsn = f"postgresql://postgres@127.0.0.1:5432/{name}"
    env = base_env(dsn.replace("postgresql://", "postgres://"))
    exists = bool(pg(admin_dsn, "SELECT 1 FROM pg_database WHERE datname = %s", [name]))
    if reuse and exists:
        try:
            count = pg(dsn, "SELECT count(*) FROM ledger_issue")[0][0]
        except Exception:
            count = -1
        if count == n:
            log(f"reusing {name} ({count:,} issues); migrating")
            manage(env, "migrate", "--noinput")
            return dsn, None
        log(f"{name} holds {count:,} issues, not {n:,}: seeding it afresh")
    if exists:
        pg(admin_dsn, f'DROP DATABASE "{name}" WITH (FORCE)', autocommit=True)
    pg(admin_dsn, f'CREATE DATABASE "{name}"', autocommit=True)
    log(f"created {name}; migrating")
    manage(env, "migrate", "--noinput")
    log(f"seeding {n:,} issues")
    start = time.monotonic()
    done = manage(env, "seed_bench", "--issues", str(n))
    seconds = time.monotonic() - start
    log(done.stdout.strip().splitlines()[-2] if done.stdout.strip() else "seeded")
    return dsn, round(seconds, 1)


def context_from_db(dsn: str, n: int) -> dict:
    """What the page list needs: ids, a 30-event issue, a year, an export range."""
    ctx = {}
    ctx["busiest"] = pg(
        dsn,
        "SELECT d.id FROM ledger_user u JOIN ledger_department d ON d.id = u.department_id"
        " WHERE u.username = %s",
        [LOGINS["staff"]],
    )[0][0]
    long_issue = pg(dsn, "SELECT number FROM ledger_issue WHERE version >= 30 LIMIT 1")
    ctx["long_issue"] = long_issue[0][0] if long_issue else None
    if ctx["long_issue"] is None:
        ctx["long_issue"] = pg(
            dsn, "SELECT number FROM ledger_issue ORDER BY version DESC LIMIT 1"
        )[0][0]
    ctx["year"] = pg(dsn, "SELECT max(year) FROM ledger_issue")[0][0]
    ctx["export_rows"] = min(n, 100_000)
    if n > 100_000:
        # raised since the day that leaves 100,000 issues
        day = pg(
            dsn,
            "SELECT (raised_at AT TIME ZONE 'Asia/Shanghai')::date FROM ledger_issue"
            " ORDER BY raised_at DESC OFFSET %s LIMIT 1",
            [100_000],
        )[0][0]
        ctx["export_query"] = f"raised_after={day + datetime.timedelta(days=1)}"
        ctx["export_rows"] = pg(
            dsn,
            "SELECT count(*) FROM ledger_issue"
            " WHERE raised_at >= (%s::date)::timestamp AT TIME ZONE 'Asia/Shanghai'",
            [day + datetime.timedelta(days=1)],
        )[0][0]
    else:
        ctx["export_query"] = ""
    for key, sql in {
        "issues": "SELECT count(*) FROM ledger_issue",
        "events": "SELECT count(*) FROM ledger_issueevent",
        "enterprises": "SELECT count(*) FROM ledger_enterprise",
        "projects": "SELECT count(*) FROM ledger_keyproject",
        "db_size": "SELECT pg_size_pretty(pg_database_size(current_database()))",
        "postgresql": "SELECT split_part(version(), ' on ', 1)",
        # the server's own settings decide much of the result: stated in the report
        "pg_settings": "SELECT string_agg(name || '=' || current_setting(name), ', ' "
        "ORDER BY name) FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', "
        "'effective_cache_size', 'jit', 'random_page_cost')",
    }.items():
        ctx[key] = pg(dsn, sql)[0][0]
    return ctx


def page_list(ctx: dict) -> list[Page]:
    y = ctx["year"]
    q = urllib.parse.quote
    pages = [
        Page("ledger", "supervisor", "/issues/", "ledger", "ledger, default"),
        Page("ledger_leader", "leader", "/issues/", "ledger", "ledger, default"),
        Page("ledger_staff", "staff", "/issues/", "ledger", "ledger, default"),
        Page("ledger_status", "supervisor", "/issues/?status=in_progress", "ledger", "status"),
        Page("ledger_health", "supervisor", "/issues/?health=red", "ledger", "health red"),
        Page(
            "ledger_department",
            "supervisor",
            f"/issues/?lead_department={ctx['busiest']}",
            "ledger",
            "lead department",
        ),
        Page(
            "ledger_range",
            "supervisor",
            f"/issues/?raised_after={y - 1}-03-01&raised_before={y - 1}-03-31",
            "ledger",
            "raised in a month",
        ),
        Page("ledger_deadline", "supervisor", "/issues/?sort=deadline", "ledger", "by deadline"),
        Page("ledger_health_sort", "supervisor", "/issues/?sort=health", "ledger", "by health"),
        Page("ledger_staff_deadline", "staff", "/issues/?sort=deadline", "ledger", "by deadline"),
        Page("ledger_staff_status", "staff", "/issues/?status=in_progress", "ledger", "status"),
        Page("search_yongdi", "supervisor", f"/issues/?q={q('用地')}", "search", "search 用地"),
        Page("search_rongzi", "supervisor", f"/issues/?q={q('融资')}", "search", "search 融资"),
        Page("search_paiwu", "supervisor", f"/issues/?q={q('排污')}", "search", "search 排污"),
        Page("search_4", "supervisor", f"/issues/?q={q('消防验收')}", "search", "search 消防验收"),
        Page(
            "search_printer", "supervisor", f"/issues/?q={q('打印机')}", "search", "search 打印机"
        ),
        Page("search_staff", "staff", f"/issues/?q={q('用地')}", "search", "search 用地"),
        # issue 19: the leader with the most 分包 (visible_to's OR over their subjects)
        Page(
            "search_4_leader", "leader", f"/issues/?q={q('消防验收')}", "search", "search 消防验收"
        ),
        Page("deep", "supervisor", "/issues/?page=2000", "deep", "page 2000"),
        Page("deep_staff", "staff", "/issues/?page=2000", "deep", "page 2000"),
        Page(
            "issue_30", "supervisor", f"/issues/{ctx['long_issue']}/", "issue", "issue, 30 events"
        ),
        Page("home", "supervisor", "/", "home", "home"),
        Page("home_staff", "staff", "/", "home", "home"),
        Page("home_leader", "leader", "/", "home", "home"),
        Page("leaders_me", "leader", "/leaders/me/", "home", "/leaders/me/"),
        Page("projects", "supervisor", "/projects/", "home", "/projects/"),
        Page("enterprises", "supervisor", "/enterprises/", "directory", "/enterprises/"),
        Page("admin_issues", "admin", "/admin/ledger/issue/", "directory", "admin issues"),
        Page("dashboard", "supervisor", "/dashboard/", "dashboard", "dashboard"),
        Page("assessment", "supervisor", f"/assessment/?year={y - 1}", "assessment", "assessment"),
        # the oversight room's reports (ledger/oversight/urls.py), this week and this month
        Page("report_weekly", "supervisor", "/reports/weekly/", "reports", "weekly report"),
        Page("report_monthly", "supervisor", "/reports/monthly/", "reports", "monthly report"),
        # the JSON API's list, called with the role's personal token, 50 rows a page
        Page("api_list", "supervisor", "/api/v1/issues/", "api", "API list, default", True),
        Page("api_list_staff", "staff", "/api/v1/issues/", "api", "API list, default", True),
        Page("api_list_leader", "leader", "/api/v1/issues/", "api", "API list, default", True),
        Page(
            "api_status",
            "supervisor",
            "/api/v1/issues/?status=in_progress",
            "api",
            "API status",
            True,
        ),
        Page(
            "api_deadline",
            "supervisor",
            "/api/v1/issues/?sort=deadline",
            "api",
            "API by deadline",
            True,
        ),
        Page("api_search", "supervisor", f"/api/v1/issues/?q={q('用地')}", "api", "API 用地", True),
    ]
    return pages


def api_beside_ledger(pages: list[dict]) -> list[dict]:
    """Each API list page's p95 beside its ledger page's (same role, same query)."""
    by_key = {p["key"]: p for p in pages}
    rows = []
    for api_key, ledger_key in API_BESIDE_LEDGER.items():
        api, ledger = by_key.get(api_key), by_key.get(ledger_key)
        if api is None or ledger is None:
            continue
        rows.append(
            {
                "query": api["label"],
                "role": api["role"],
                "ledger_p95_ms": ledger["p95_ms"],
                "api_p95_ms": api["p95_ms"],
                "api_queries": api["queries"],
                "ledger_queries": ledger["queries"],
            }
        )
    return rows


def export_run(session: Session, dsn: str, ctx: dict, watch: "MemoryWatch | None", log) -> dict:
    """Ask for the export of ~100,000 rows; follow the background job to the downloaded file."""
    path = "/issues/export.xlsx" + (f"?{ctx['export_query']}" if ctx["export_query"] else "")
    if watch:
        watch.reset_worker()
    start = time.perf_counter()
    result = {"rows": ctx["export_rows"], "path": path}
    status, headers, body, _t = session.get(path)
    if status == 302:
        match = re.search(r"/exports/(\d+)/", headers.get("Location", ""))
        if not match:
            return {**result, "error": f"redirect to {headers.get('Location')}"}
        job = int(match.group(1))
        result["background"] = True
        state = ""
        while time.perf_counter() - start < 600:
            state, done, total = pg(
                dsn, "SELECT state, done, total FROM exchange_exportjob WHERE id = %s", [job]
            )[0]
            if state in ("done", "failed"):
                break
            time.sleep(0.25)
        if state != "done":
            return {**result, "error": f"job {job} {state or 'timed out'}"}
        status, headers, body, _t = session.get(f"/exports/{job}/download/")
    else:
        result["background"] = False
    result["total_s"] = round(time.perf_counter() - start, 1)
    result["status"] = status
    result["file_mb"] = round(len(body) / 1024 / 1024, 1)
    if watch:
        result["peak_rss_mb"] = round(
            watch.peak_worker if result["background"] else watch.peak_gunicorn, 1
        )
    if status != 200:
        result["error"] = f"HTTP {status}"
    return result


def explain(env: dict, pages: list[Page]) -> list[dict]:
    """Each page once in-process: its queries, and EXPLAIN (ANALYZE, BUFFERS) of the slowest."""
    script = ROOT / "bench" / "explain.py"
    spec = json.dumps([{"key": p.key, "role": p.role, "path": p.path} for p in pages])
    done = subprocess.run(
        [sys.executable, str(script)],
        input=spec,
        cwd=ROOT,
        env={**env, "LEDGER_SERVER_TIMING": "0"},
        text=True,
        capture_output=True,
        timeout=900,
    )
    if done.returncode:
        return [{"key": "explain", "error": done.stderr[-2000:]}]
    return json.loads(done.stdout)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issues", type=int, default=int(os.environ.get("N", 10_000)))
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", ""))
    parser.add_argument("--reuse", action="store_true", default=os.environ.get("REUSE") == "1")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--mixed-seconds", type=float, default=20)
    parser.add_argument(
        "--page-budget",
        type=float,
        default=30,
        help="seconds per page after which measuring stops (at least 5 requests)",
    )
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument(
        "--settings",
        choices=SETTINGS_MODES,
        default=os.environ.get("BENCH_SETTINGS", "stock"),
        help="stock: the server's own PostgreSQL settings (default); recommended: "
        "docs/scaling.md's per-database ones set on the bench database (ALTER DATABASE)",
    )
    parser.add_argument(
        "--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", 2)), help="gunicorn"
    )
    parser.add_argument(
        "--worker-class",
        choices=WORKER_CLASSES,
        default=os.environ.get("BENCH_WORKER_CLASS", "sync"),
        help="gunicorn's worker class (gthread: --threads per worker)",
    )
    parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", 1)))
    parser.add_argument(
        "--cache",
        choices=("none", "redis"),
        default=os.environ.get("BENCH_CACHE", "none"),
        help="redis: CACHE_URL=" + BENCH_REDIS + " (emptied first), as docs/scaling.md "
        "recommends for production; none: no shared cache, so no figure is cached",
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        default=os.environ.get("BENCH_COLD") == "1",
        help="restart the local PostgreSQL and drop the OS page cache before the first pass "
        "(root, Debian's pg_ctlcluster; the machine's other users of the server are cut off)",
    )
    parser.add_argument(
        "--shared-buffers",
        default=os.environ.get("BENCH_SHARED_BUFFERS", ""),
        help="e.g. 4GB: set on the local server (ALTER SYSTEM) and restart it for the run; "
        "reset and restarted again afterwards (as --cold: root, pg_ctlcluster)",
    )
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=int(os.environ.get("BENCH_CONN_MAX_AGE", 60)),
        help="the web servers' CONN_MAX_AGE: 60 as deploy/env.example ships (a worker keeps "
        "its database connection); 0, the settings' own default, connects on every request",
    )
    parser.add_argument(
        "--only",
        default=os.environ.get("BENCH_ONLY", ""),
        help="comma-separated page keys (e.g. leaders_me,search_4_leader): measure those "
        "pages only, without the export, the mixed load and EXPLAIN (a quick look while "
        "working on a page; not a report of the targets)",
    )
    parser.add_argument("--note", default=os.environ.get("BENCH_NOTE", ""))
    args = parser.parse_args(argv)
    only = [key for key in args.only.split(",") if key]
    known = {page.key for page in page_list({"year": 2026, "busiest": 0, "long_issue": ""})}
    if set(only) - known:
        parser.error(f"--only: unknown page keys: {', '.join(sorted(set(only) - known))}")
    if args.shared_buffers and not re.fullmatch(r"\d+(kB|MB|GB)", args.shared_buffers):
        parser.error("--shared-buffers: a size such as 4GB or 512MB")
    if args.worker_class == "sync" and args.threads != 1:
        parser.error("--threads needs --worker-class gthread")
    n = args.issues
    name = args.db or f"zz_bench_{n}"
    started = time.monotonic()
    load_start = load_average()

    def log(text):
        print(f"[{time.monotonic() - started:6.1f}s] {text}", flush=True)

    dsn, seed_s = prepare_database(n, name, args.reuse, log)
    if args.shared_buffers:
        set_shared_buffers(args.shared_buffers)
        try:
            restart_postgresql()
        except Exception:
            set_shared_buffers(None)
            raise
        log(f"shared_buffers {args.shared_buffers} set on the server; restarted")
    try:
        return _run(args, n, name, dsn, seed_s, started, load_start, log)
    finally:
        if args.shared_buffers:
            # the server as it was: the machine's tests and CI use it after the bench
            set_shared_buffers(None)
            restart_postgresql()
            log("shared_buffers reset on the server; restarted")


def _run(args, n, name, dsn, seed_s, started, load_start, log) -> int:
    # before anything connects for the measurements: new connections take the settings
    settings_applied = apply_settings(name, args.settings)
    if args.shared_buffers:
        settings_applied["server"] = {"shared_buffers": args.shared_buffers}
    log(settings_words(settings_applied))
    env = base_env(dsn.replace("postgresql://", "postgres://"))
    env["CONN_MAX_AGE"] = str(args.conn_max_age)
    if args.cache == "redis":
        env["CACHE_URL"] = BENCH_REDIS
        redis_empty(BENCH_REDIS)
    static = ROOT / "staticfiles" / "staticfiles.json"
    if not static.exists():
        log("collectstatic")
        manage(env, "collectstatic", "--noinput")
    ctx = context_from_db(dsn, n)
    first_pass = {"cold": args.cold}
    if args.cold:
        # the last step before the server starts: nothing of the data is in memory
        first_pass["cluster"] = restart_postgresql()
        first_pass["page_cache_dropped"] = drop_page_cache()
        log(f"cold: PostgreSQL restarted, page cache dropped: {first_pass['page_cache_dropped']}")
    port = free_port()
    server_log = Path(f"/tmp/zz_bench_gunicorn_{port}.log")
    log(f"gunicorn and db_worker log: {server_log}")
    log_handle = server_log.open("w")
    gunicorn = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            *gunicorn_args(port, args.workers, args.worker_class, args.threads),
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=log_handle,
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "db_worker",
            "--no-startup-delay",
            "--interval",
            "0.2",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=log_handle,
        stderr=subprocess.STDOUT,
    )
    watch = None
    try:
        for _ in range(200):
            try:
                status = Session("127.0.0.1", port, timeout=5).get("/healthz")[0]
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not answer /healthz")
        watch = MemoryWatch(gunicorn.pid, worker.pid)
        watch.start()
        sessions = {}
        for role, username in LOGINS.items():
            sessions[role] = Session("127.0.0.1", port)
            sessions[role].login(username, PASSWORD)
        for role, token in api_tokens(env).items():
            sessions[f"api:{role}"] = Session("127.0.0.1", port)
            sessions[f"api:{role}"].bearer = token
        pages = page_list(ctx)
        if args.only:
            pages = [page for page in pages if page.key in args.only.split(",")]

        def session_of(page):
            return sessions[f"api:{page.role}" if page.bearer else page.role]

        log(f"gunicorn on :{port}; first pass")
        first = {}
        for page in pages:  # each page's first request: what the first user of the day waits
            with contextlib.suppress(Exception):
                first[page.key] = session_of(page).get(page.path)[3] * 1000
        log("warming up")
        for page in pages:  # warm-up: every page twice, so caches and plans are warm
            for _ in range(2):
                with contextlib.suppress(Exception):
                    session_of(page).get(page.path)
        results = []
        for page in pages:
            result = measure_page(
                session_of(page), page, args.requests, warmup=0, budget=args.page_budget
            )
            result.first_ms = first.get(page.key)
            summary = result.summary()
            results.append(summary)
            log(
                f"{page.key:22} first {summary['first_ms']} "
                f"p50 {summary['p50_ms']} p95 {summary['p95_ms']} ms, "
                f"sql {summary['sql_p50_ms']} ms, {summary['queries']} queries {summary['error']}"
            )
        export = mixed = None
        if not args.only:
            log("export")
            export = export_run(sessions["supervisor"], dsn, ctx, watch, log)
            log(f"export: {export}")
        mixed_paths = {
            "supervisor": [
                "/issues/",
                "/issues/?status=in_progress",
                "/issues/?sort=deadline",
                f"/issues/?q={urllib.parse.quote('融资')}",
                f"/issues/{ctx['long_issue']}/",
                "/",
            ],
            "leader": ["/issues/", "/", "/leaders/me/"],
            "staff": [
                "/issues/",
                "/",
                f"/issues/?q={urllib.parse.quote('用地')}",
                "/issues/?health=red",
            ],
        }
        if not args.only:
            log(f"mixed load: 16 users, {args.mixed_seconds:.0f} s")
            mixed = mixed_load(
                "127.0.0.1",
                port,
                [(r, LOGINS[r]) for r in ("supervisor", "leader", "staff")],
                mixed_paths,
                args.mixed_seconds,
            )
            log(f"mixed: {mixed}")
        memory = {
            "gunicorn_worker_peak_mb": round(watch.peak_gunicorn, 1),
            "db_worker_peak_mb": round(watch.peak_worker, 1),
        }
    finally:
        if watch:
            watch.running = False
        for process in (gunicorn, worker):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in (gunicorn, worker):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        for session in locals().get("sessions", {}).values():
            session.close()
    log_handle.close()
    server_errors = server_log.read_text(errors="replace").count("Internal Server Error")
    if server_errors:
        log(f"{server_errors} server errors (HTTP 500): see {server_log}")
    plans = []
    if not args.no_explain and not args.only:
        log("EXPLAIN of the slowest query per page")
        plans = explain(env, pages)
    report = {
        "date": datetime.date.today().isoformat(),
        "note": args.note,
        "machine": {
            **machine(),
            "postgresql": ctx["postgresql"],
            "pg_settings": ctx.get("pg_settings", ""),
            "workers": args.workers,
            "worker_class": args.worker_class,
            "threads": args.threads,
            "cache": args.cache,
            "conn_max_age": args.conn_max_age,
            "load_start": load_start,
            "load_end": load_average(),
        },
        "settings": settings_applied,
        "first_pass": first_pass,
        "data": {
            "issues": ctx["issues"],
            "events": ctx["events"],
            "enterprises": ctx["enterprises"],
            "projects": ctx["projects"],
            "db_size": ctx["db_size"],
            "seed_s": seed_s,
            "database": name,
        },
        "requests": args.requests,
        "pages": results,
        "export": export,
        "mixed": mixed,
        "memory": memory,
        "server_errors": server_errors,
        "server_log": str(server_log),
        "targets": targets_table(results, export, mixed),
        "explain": plans,
    }
    # a look at a few pages is no report of the targets: kept out of bench/results
    md, js = write_report(report, Path("/tmp/zz_bench_only") if args.only else RESULTS)
    log(f"report: {md} and {js.name}")
    for row in report["targets"]:
        log(f"{row['ok']} {row['target']}: {row['measured']} (limit {row['limit']})")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
