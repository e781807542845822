"""bench/hosts.py's balancer and report (the run itself needs PostgreSQL, gunicorn and Redis:
`bench/hosts.py`, docs/scaling.md)."""

from bench import hosts
from bench import pages as harness
from tests import factories as f


def test_the_balancer_sends_each_request_to_the_next_host_with_one_cookie_jar(
    live_server, monkeypatch
):
    f.StaffFactory(username="bench_staff_01", password=harness.PASSWORD)
    port = int(live_server.url.rsplit(":", 1)[1])
    balancer = hosts.RoundRobin([port, port])  # the same server twice: two "hosts"
    sent = []
    for session in balancer.sessions:
        original = session.request
        monkeypatch.setattr(
            session,
            "request",
            lambda *a, _o=original, _s=session, **k: sent.append(id(_s)) or _o(*a, **k),
        )
    balancer.login("bench_staff_01", harness.PASSWORD)  # GET and POST on the first host
    status, _headers, _body, _t = balancer.get("/")  # the second host, the same cookies
    balancer.close()
    assert status == 200
    first, second = (id(s) for s in balancer.sessions)
    assert sent == [first, first, second]
    assert balancer.sessions[0].cookies is balancer.sessions[1].cookies


def test_the_report_says_which_checks_failed_and_which_are_only_shown():
    report = {
        "date": "2026-12-06",
        "machine": {"cores": 2, "ram_gb": 23.5, "python": "3.13.0"},
        "load_start": "1.0",
        "load_end": "2.0",
        "pg_settings": "jit=on",
        "issues": 100_000,
        "database": "zz",
        "workers": 2,
        "concurrency": 16,
        "seconds": 20,
        "checks": [
            {"check": "sessions", "ok": True, "detail": "200"},
            {"check": "limit shared", "ok": False, "detail": "40 served"},
            {"check": "limit per host", "ok": False, "required": False, "detail": "x"},
        ],
        "loads": [
            {"setup": "one host", "throughput_rps": 12.0, "p50_ms": 900, "p95_ms": 1500,
             "errors": 0, "load": "2.0"},
        ],
    }  # fmt: skip
    text = hosts.render(report)
    assert "Machine: 2 cores, 23.5 GB RAM, Python 3.13.0; load average at the start 1.0" in text
    assert "| sessions | PASS | 200 |" in text
    assert "| limit shared | FAIL | 40 served |" in text
    assert "| limit per host | shown | x |" in text
    assert "| one host | 12.0 | 900 | 1500 | 0 | 2.0 |" in text
