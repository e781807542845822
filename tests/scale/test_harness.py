"""The benchmark harness's own parts (issue 11): the Server-Timing middleware, the HTTP
measuring code against a live server, and the report writer — on any database."""

import json

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from bench import pages as harness
from ledger.scale import timing
from tests import factories as f

TIMING = "ledger.scale.timing.ServerTimingMiddleware"


@pytest.fixture
def supervisor(db):
    oversight = f.DepartmentFactory(name="督查室", kind="oversight")
    return f.SupervisorFactory(username="bench_supervisor", department=oversight)


@pytest.mark.django_db
def test_server_timing_header_counts_the_queries(client, supervisor):
    client.force_login(supervisor)
    with override_settings(LEDGER_SERVER_TIMING=True, MIDDLEWARE=[TIMING, *settings.MIDDLEWARE]):
        response = client.get("/issues/")
    assert response.status_code == 200
    found = timing.parse(response["Server-Timing"])
    assert found["queries"] >= 2  # the session and the user at least
    assert 0 <= found["sql_ms"] <= found["app_ms"]


@pytest.mark.django_db
def test_server_timing_is_off_by_default(client, supervisor):
    client.force_login(supervisor)
    assert settings.LEDGER_SERVER_TIMING is False
    with override_settings(MIDDLEWARE=[TIMING, *settings.MIDDLEWARE]):
        response = client.get("/issues/")
    assert "Server-Timing" not in response


def test_parse_reads_what_header_writes():
    found = timing.parse(timing.header(0.0123, 7, 0.0456))
    assert found == {"sql_ms": 12.3, "queries": 7, "app_ms": 45.6}
    assert timing.parse("") == {}


def test_percentile_is_nearest_rank():
    values = list(range(1, 21))
    assert harness.percentile(values, 0.95) == 19
    assert harness.percentile(values, 0.5) == 10
    assert harness.percentile([5], 0.95) == 5


@pytest.mark.django_db(transaction=True)
def test_harness_measures_a_live_server_and_writes_the_report(live_server, tmp_path):
    oversight = f.DepartmentFactory(name="督查室", kind="oversight")
    f.SupervisorFactory(
        username="bench_supervisor", department=oversight, password=harness.PASSWORD
    )
    host, port = live_server.url.removeprefix("http://").split(":")
    session = harness.Session(host, int(port))
    session.login("bench_supervisor", harness.PASSWORD)
    results = [
        harness.measure_page(session, harness.Page(key, "supervisor", path, group), 2)
        for key, path, group in [
            ("ledger", "/issues/", "ledger"),
            ("search_yongdi", "/issues/?q=%E7%94%A8%E5%9C%B0", "search"),
            ("home", "/", "home"),
            ("api_list", "/api/v1/issues/", "api"),
        ]
    ]
    session.close()
    summaries = [r.summary() for r in results]
    for summary in summaries:
        assert summary["status"] == 200, summary
        assert summary["requests"] == 2
        assert summary["p95_ms"] >= summary["p50_ms"] > 0
    mixed = harness.mixed_load(
        host,
        int(port),
        [("supervisor", "bench_supervisor")],
        {"supervisor": ["/issues/", "/"]},
        seconds=1,
        # Django's live server shares the test's one in-memory SQLite connection among its
        # request threads, so two requests at once may collide there; PostgreSQL takes two
        concurrency=2 if connection.vendor == "postgresql" else 1,
    )
    assert mixed["requests"] > 0 and mixed["errors"] == 0, mixed["error_samples"]
    report = {
        "date": "2026-11-30",
        "note": "smoke",
        "machine": harness.machine(),
        "data": {"issues": 300, "events": 1400},
        "requests": 2,
        "pages": summaries,
        "export": {"rows": 300, "total_s": 0.5, "peak_rss_mb": 120.0},
        "mixed": mixed,
        "targets": harness.targets_table(
            summaries, {"rows": 300, "total_s": 0.5, "peak_rss_mb": 120.0}, mixed
        ),
    }
    md, js = harness.write_report(report, tmp_path)
    assert md.name == "2026-11-30-300.md"
    text = md.read_text(encoding="utf-8")
    assert "| ledger first page, any single filter, any sort, any role | ≤ 150 ms |" in text
    assert "ledger free-text search" in text and "export 300 rows" in text
    assert "`/issues/?q=%E7%94%A8%E5%9C%B0`" in text
    # the API list's p95 beside the ledger's (bench/pages.py API_BESIDE_LEDGER)
    assert "## The API list beside the ledger" in text
    assert "| API issue list /api/v1/issues/ (beside the ledger's) | ≤ 150 ms |" in text
    assert json.loads(js.read_text(encoding="utf-8"))["pages"][0]["key"] == "ledger"
    for row in report["targets"]:
        assert row["ok"] in {"✓", "✗", "–"}
