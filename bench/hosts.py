"""Beyond one host (issue 19, point 7): the same code as two application hosts against one
PostgreSQL, and the figures read from a replica — checked for what must hold across hosts,
then measured.

    .venv/bin/python bench/hosts.py --issues 100000            # seeds zz_bench_hosts_100000
    .venv/bin/python bench/hosts.py --issues 100000 --reuse    # the database is seeded

Two hosts are two gunicorn processes on two ports of this machine, each with its own
workers and memory; the bench's client is the round-robin balancer: every request of a
signed-in user goes to the next host in turn, with the same cookies, as a proxy without
sticky sessions would send it. The replica is a snapshot of the bench database (CREATE
DATABASE … TEMPLATE) on the same server: it shows the routing over real HTTP — a write made
after the snapshot is seen by the ledger (primary) and not by the dashboard (replica) — and
what a second connection costs; it measures no replication.

Checks (each PASS or FAIL in the report):
1. a session signed in on host A is signed in on host B (sessions in the database);
2. the API's per-caller limit counts across hosts with a shared cache (Redis), and — shown,
   not required — per host without one;
3. a figure cached by host A is not served after an issue raised on host B (the summaries'
   generation in the shared cache);
4. with DATABASE_REPLICA_URL set, the dashboard's figures come from the replica and the
   ledger from the primary.
Then the mixed load (16 users, the page mix of bench/pages.py) on: one host; two hosts;
two hosts with the replica. Report: bench/results/<date>-hosts-<size>.md and .json.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pages import (  # noqa: E402 - after the path above
    LOGINS,
    PASSWORD,
    RESULTS,
    ROOT,
    Session,
    api_tokens,
    base_env,
    free_port,
    load_average,
    machine,
    manage,
    mixed_run,
    pg,
    prepare_database,
)

REDIS = "redis://127.0.0.1:6379/11"
ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


class RoundRobin:
    """One user behind a round-robin balancer: a Session per host sharing one cookie jar
    (and bearer token); each request goes to the next host."""

    def __init__(self, ports: list[int]):
        self.sessions = [Session("127.0.0.1", port) for port in ports]
        self.cookies: dict[str, str] = {}
        for session in self.sessions:
            session.cookies = self.cookies  # one jar: what host A sets, host B is sent
        self.turn = 0

    @property
    def bearer(self) -> str:
        return self.sessions[0].bearer

    @bearer.setter
    def bearer(self, token: str) -> None:
        for session in self.sessions:
            session.bearer = token

    def next(self) -> Session:
        session = self.sessions[self.turn % len(self.sessions)]
        self.turn += 1
        return session

    def request(self, method, path, body=None, headers=None):
        return self.next().request(method, path, body=body, headers=headers)

    def get(self, path: str):
        return self.request("GET", path)

    def login(self, username: str, password: str) -> None:
        self.next().login(username, password)

    def close(self) -> None:
        for session in self.sessions:
            session.close()


class Hosts:
    """`count` gunicorn processes (each `workers` workers) on their own ports, started with
    `env`, stopped on exit."""

    def __init__(self, env: dict, count: int, workers: int, log):
        self.env, self.count, self.workers, self.log = env, count, workers, log
        self.ports: list[int] = []
        self.processes: list[subprocess.Popen] = []

    def __enter__(self) -> Hosts:
        for _ in range(self.count):
            port = free_port()
            handle = Path(f"/tmp/zz_bench_host_{port}.log").open("w")
            self.processes.append(
                subprocess.Popen(
                    [
                        str(Path(sys.executable).parent / "gunicorn"),
                        "zhongzhan.wsgi:application",
                        "--workers",
                        str(self.workers),
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--timeout",
                        "300",
                        "--log-level",
                        "warning",
                    ],
                    cwd=ROOT,
                    env=self.env,
                    start_new_session=True,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                )
            )
            self.ports.append(port)
        for port in self.ports:
            for _ in range(300):
                with contextlib.suppress(OSError):
                    if Session("127.0.0.1", port, timeout=5).get("/healthz")[0] == 200:
                        break
                time.sleep(0.2)
            else:
                raise RuntimeError(f"gunicorn on :{port} did not answer /healthz")
        return self

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)

    def user(self, role: str) -> RoundRobin:
        balancer = RoundRobin(self.ports)
        balancer.login(LOGINS[role], PASSWORD)
        return balancer


def redis_flush() -> None:
    import redis

    redis.Redis.from_url(REDIS).flushdb()


# -- the checks ---------------------------------------------------------------------------------


def check_session(hosts: Hosts) -> dict:
    """Signed in through host A (the balancer's first turn), the home page on host B."""
    user = RoundRobin(hosts.ports)
    user.login(LOGINS["staff"], PASSWORD)  # host A
    status, headers, _body, _t = user.get("/")  # host B
    ok = status == 200
    return {
        "check": "a session signed in on host A is signed in on host B",
        "ok": ok,
        "detail": f"host B answered HTTP {status}"
        + (f" → {headers.get('Location')}" if not ok else ""),
    }


def check_rate_limit(hosts: Hosts, token: str, limit: int, *, shared: bool) -> dict:
    redis_flush()
    caller = RoundRobin(hosts.ports)
    caller.bearer = token
    codes = [caller.get("/api/v1/departments/")[0] for _ in range(limit + 10)]
    served = codes.count(200)
    refused = codes.count(429)
    expected = limit if shared else min(limit * len(hosts.ports), limit + 10)
    return {
        "check": f"the API's per-caller limit ({limit}/min) over {len(hosts.ports)} hosts, "
        + ("with a shared cache (Redis)" if shared else "without a shared cache"),
        "ok": served == expected,
        "required": shared,
        "detail": f"{limit + 10} calls: {served} served, {refused} refused with 429",
    }


def _figures_total(session) -> int:
    status, _h, body, _t = session.get("/api/v1/figures/dashboard/")
    if status != 200:
        raise RuntimeError(f"figures: HTTP {status}")
    return sum(item["count"] for item in json.loads(body)["statuses"])


def _raise_issue(session, title: str) -> str:
    categories = json.loads(session.get("/api/v1/categories/")[2])["results"]
    sources = json.loads(session.get("/api/v1/sources/")[2])["results"]
    body = {
        "title": title,
        "description": "多主机核对：在一台主机登记，在另一台主机读取。",
        "category": categories[0]["id"],
        "source": sources[0]["id"],
        "confirm_duplicates": True,
    }
    status, _h, answer, _t = session.request(
        "POST",
        "/api/v1/issues/",
        body=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json"},
    )
    if status != 201:
        raise RuntimeError(f"raising: HTTP {status} {answer[:300]!r}")
    return json.loads(answer)["number"]


def check_figures_fresh(hosts: Hosts, token: str) -> dict:
    a, b = (Session("127.0.0.1", port) for port in hosts.ports[:2])
    a.bearer = b.bearer = token
    before = _figures_total(a)
    assert _figures_total(a) == before  # now cached on the shared cache
    number = _raise_issue(b, f"多主机核对 {datetime.datetime.now():%H%M%S%f}")
    after = _figures_total(a)
    return {
        "check": "a figure cached through host A, then an issue raised on host B",
        "ok": after == before + 1,
        "detail": f"host A's open-issue count {before} → {after} after {number} on host B",
    }


def check_replica(hosts: Hosts, token: str) -> dict:
    """The replica is a snapshot: an issue raised now is on the primary only."""
    session = Session("127.0.0.1", hosts.ports[0])
    session.bearer = token
    before = _figures_total(session)
    number = _raise_issue(session, f"副本核对 {datetime.datetime.now():%H%M%S%f}")
    after = _figures_total(session)
    seen = session.get(f"/api/v1/issues/{number}/")[0]
    return {
        "check": "with DATABASE_REPLICA_URL: the figures from the replica, the issue from "
        "the primary",
        "ok": after == before and seen == 200,
        "detail": f"figures {before} → {after} (the snapshot has not the new issue); "
        f"{number} on the primary: HTTP {seen}",
    }


# -- the load -----------------------------------------------------------------------------------


def page_mix(dsn: str) -> dict[str, list[str]]:
    """The mixed load's pages per role (as bench/pages.py's mixed load)."""
    year = pg(dsn, "SELECT max(year) FROM ledger_issue")[0][0]
    number = pg(dsn, "SELECT number FROM ledger_issue ORDER BY version DESC LIMIT 1")[0][0]
    return {
        "supervisor": [
            "/",
            "/issues/",
            "/issues/?status=in_progress",
            f"/issues/{number}/",
            "/dashboard/",
            f"/assessment/?year={year}",
        ],
        "leader": ["/", "/issues/", "/leaders/me/"],
        "staff": ["/", "/issues/", "/issues/?sort=deadline"],
    }


def mixed(hosts: Hosts, paths: dict, seconds: float, concurrency: int = 16) -> dict:
    """bench/pages.py's mixed load, each user behind the round-robin balancer."""
    roles = ["supervisor", "leader", "staff"]
    users = [(roles[i % 3], hosts.user(roles[i % 3])) for i in range(concurrency)]
    return mixed_run(users, paths, seconds)


# -- the run ------------------------------------------------------------------------------------


def replica_snapshot(name: str) -> str:
    replica = f"{name}_replica"
    pg(ADMIN_DSN, f'DROP DATABASE IF EXISTS "{replica}" WITH (FORCE)', autocommit=True)
    pg(ADMIN_DSN, f'CREATE DATABASE "{replica}" TEMPLATE "{name}"', autocommit=True)
    return f"postgres://postgres@127.0.0.1:5432/{replica}"


def _machine_words(meta: dict) -> str:
    return f"{meta.get('cores')} cores, {meta.get('ram_gb')} GB RAM, Python {meta.get('python')}"


def render(report: dict) -> str:
    lines = [
        f"# Several hosts, one PostgreSQL — {report['date']}",
        "",
        f"Machine: {_machine_words(report['machine'])}; load average at the start "
        f"{report['load_start']}, "
        f"at the end {report['load_end']}. PostgreSQL settings: {report['pg_settings']}.",
        f"Data: {report['issues']:,} issues (`{report['database']}`). Hosts are gunicorn "
        f"processes on this machine ({report['workers']} sync workers each); the client "
        "balances round-robin per request with one cookie jar (no sticky sessions); the "
        f"shared cache is Redis ({REDIS}). The replica is a snapshot of the database on the "
        "same server (routing, not replication).",
        "",
        "## Checks",
        "",
        "| check | result | detail |",
        "|---|---|---|",
    ]
    for check in report["checks"]:
        shown = "PASS" if check["ok"] else ("FAIL" if check.get("required", True) else "shown")
        lines.append(f"| {check['check']} | {shown} | {check['detail']} |")
    lines += [
        "",
        f"## Mixed load ({report['concurrency']} users, {report['seconds']:.0f} s each)",
        "",
        "| setup | req/s | p50 ms | p95 ms | errors | load after |",
        "|---|---|---|---|---|---|",
    ]
    for row in report["loads"]:
        lines.append(
            f"| {row['setup']} | {row['throughput_rps']} | {row['p50_ms']} | {row['p95_ms']} | "
            f"{row['errors']} | {row['load']} |"
        )
    lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--db", default="")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2, help="sync workers per host")
    parser.add_argument("--limit", type=int, default=30, help="API calls/min for check 2")
    args = parser.parse_args(argv)

    def log(text):
        print(f"[{datetime.datetime.now():%H:%M:%S}] {text}", flush=True)

    name = args.db or f"zz_bench_hosts_{args.issues}"
    dsn, _seeded = prepare_database(args.issues, name, args.reuse, log)
    env = base_env(dsn.replace("postgresql://", "postgres://"))
    if not (ROOT / "staticfiles" / "staticfiles.json").exists():
        manage(env, "collectstatic", "--noinput")
    tokens = api_tokens(env)
    shared = {**env, "CACHE_URL": REDIS}
    report = {
        "date": datetime.date.today().isoformat(),
        "machine": machine(),
        "load_start": load_average(),
        "database": name,
        "issues": pg(dsn, "SELECT count(*) FROM ledger_issue")[0][0],
        "pg_settings": pg(
            dsn,
            "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) "
            "FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', "
            "'effective_cache_size', 'jit', 'random_page_cost')",
        )[0][0],
        "workers": args.workers,
        "concurrency": 16,
        "seconds": args.seconds,
        "checks": [],
        "loads": [],
    }
    checks = report["checks"]
    limited = {"API_TOKEN_RATE_PER_MINUTE": str(args.limit)}
    log("checks: two hosts with the shared cache")
    with Hosts({**shared, **limited}, 2, 1, log) as hosts:
        checks.append(check_session(hosts))
        checks.append(check_rate_limit(hosts, tokens["staff"], args.limit, shared=True))
        redis_flush()
        checks.append(check_figures_fresh(hosts, tokens["staff"]))
    log("checks: two hosts without a shared cache")
    with Hosts({**env, **limited}, 2, 1, log) as hosts:
        checks.append(check_rate_limit(hosts, tokens["staff"], args.limit, shared=False))
    log("checks: the replica")
    replica_url = replica_snapshot(name)
    with_replica = {**shared, "DATABASE_REPLICA_URL": replica_url}
    with Hosts(with_replica, 1, 1, log) as hosts:
        checks.append(check_replica(hosts, tokens["staff"]))
    for check in checks:
        log(f"{'PASS' if check['ok'] else 'FAIL'} {check['check']}: {check['detail']}")

    paths = page_mix(dsn)
    for setup, count, host_env in (
        ("one host", 1, shared),
        ("two hosts", 2, shared),
        ("two hosts, figures from the replica", 2, with_replica),
    ):
        redis_flush()
        with Hosts(host_env, count, args.workers, log) as hosts:
            for role in paths:  # warm-up: each page once on each host
                warm = hosts.user(role)
                for _ in hosts.ports:
                    for path in paths[role]:
                        warm.get(path)
                warm.close()
            result = mixed(hosts, paths, args.seconds)
        result.update(setup=setup, load=load_average())
        report["loads"].append(result)
        log(f"{setup}: {result}")
    report["load_end"] = load_average()
    pg(ADMIN_DSN, f'DROP DATABASE IF EXISTS "{name}_replica" WITH (FORCE)', autocommit=True)

    RESULTS.mkdir(parents=True, exist_ok=True)
    size = f"{args.issues // 1000}k" if args.issues < 1_000_000 else f"{args.issues // 10**6}m"
    stem = RESULTS / f"{report['date']}-hosts-{size}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    stem.with_suffix(".md").write_text(render(report))
    log(f"report: {stem}.md")
    return 0 if all(c["ok"] for c in checks if c.get("required", True)) else 1


if __name__ == "__main__":
    sys.exit(main())
