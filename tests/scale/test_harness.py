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


# -- issue 19: the reports' pages, the recommended settings, sync or threaded workers -------


def test_the_page_list_has_the_weekly_and_monthly_reports_with_their_target():
    from django.urls import resolve

    ctx = {"year": 2026, "busiest": 1, "long_issue": "ZZ-2026-000001"}
    reports = [p for p in harness.page_list(ctx) if p.group == "reports"]
    assert [(p.key, p.role) for p in reports] == [
        ("report_weekly", "supervisor"),
        ("report_monthly", "supervisor"),
    ]
    assert [resolve(p.path).view_name for p in reports] == [
        "oversight:report_weekly",
        "oversight:report_monthly",
    ]
    pages = [
        {"key": key, "group": "reports", "p95_ms": p95, "error": "", "status": 200}
        for key, p95 in (("report_weekly", 640.0), ("report_monthly", 1210.0))
    ]
    (row,) = harness.targets_table(pages, None, None)
    assert row == {
        "target": "weekly and monthly reports (issue 19)",
        "limit": "≤ 1000 ms",
        "measured": "1210 ms (report_monthly)",
        "ok": "✗",
    }


def test_recommended_settings_are_set_on_the_bench_database_and_stock_resets_them():
    assert harness.settings_statements("zz_bench_1m", "recommended") == [
        "ALTER DATABASE \"zz_bench_1m\" SET effective_cache_size = '16GB'",
        "ALTER DATABASE \"zz_bench_1m\" SET jit = 'off'",
        "ALTER DATABASE \"zz_bench_1m\" SET random_page_cost = '1.1'",
        "ALTER DATABASE \"zz_bench_1m\" SET work_mem = '16MB'",
    ]
    assert harness.settings_statements('zz"x', "stock") == [
        f'ALTER DATABASE "zz""x" RESET {name}'
        for name in ("effective_cache_size", "jit", "random_page_cost", "work_mem")
    ]
    # shared_buffers needs a server restart: never among them
    assert "shared_buffers" not in harness.RECOMMENDED_SETTINGS
    with pytest.raises(ValueError):
        harness.settings_statements("zz_bench_1m", "tuned")


def test_gunicorn_runs_sync_or_threaded_workers():
    assert harness.gunicorn_args(8000, 2, "sync", 1) == [
        "zhongzhan.wsgi:application",
        "--workers",
        "2",
        "--worker-class",
        "sync",
        "--bind",
        "127.0.0.1:8000",
        "--timeout",
        "300",
        "--log-level",
        "warning",
    ]
    threaded = harness.gunicorn_args(8000, 3, "gthread", 4)
    assert threaded[:7] == [
        "zhongzhan.wsgi:application",
        "--workers",
        "3",
        "--worker-class",
        "gthread",
        "--threads",
        "4",
    ]
    # gunicorn would quietly turn sync workers with threads into gthread ones
    with pytest.raises(ValueError):
        harness.gunicorn_args(8000, 2, "sync", 4)
    with pytest.raises(SystemExit):
        harness.main(["--threads", "4"])


def test_the_report_names_its_settings_and_workers(tmp_path):
    report = {
        "date": "2026-12-06",
        "note": "",
        "machine": {
            "cores": 2,
            "workers": 2,
            "worker_class": "gthread",
            "threads": 4,
            "pg_settings": "jit=off, shared_buffers=128MB, work_mem=16MB",
        },
        "settings": {
            "mode": "recommended",
            "database": ["jit=off", "work_mem=16MB"],
            "shared_buffers": "128MB",
        },
        "data": {"issues": 10_000},
        "requests": 2,
        "pages": [],
        "targets": [],
    }
    md, _js = harness.write_report(report, tmp_path)
    assert md.name == "2026-12-06-10k-recommended-gthread4.md"
    text = md.read_text(encoding="utf-8")
    assert "gunicorn 2 gthread workers × 4 threads, DEBUG off" in text
    assert (
        "Settings: **recommended** (set on the database: jit=off, work_mem=16MB; "
        "shared_buffers 128MB is the server's own, unchanged: it needs a restart)."
    ) in text
    # the default run keeps its plain name and says so
    report["machine"].update(worker_class="sync", threads=1)
    report["settings"] = {"mode": "stock", "database": [], "shared_buffers": "128MB"}
    md, _js = harness.write_report(report, tmp_path)
    assert md.name == "2026-12-06-10k.md"
    assert "gunicorn 2 sync workers, DEBUG off" in md.read_text(encoding="utf-8")
    assert "Settings: **stock** (set on the database: none;" in md.read_text(encoding="utf-8")


def test_the_report_names_its_cache_and_load(tmp_path):
    report = {
        "date": "2026-12-06",
        "note": "",
        "machine": {
            "cores": 2,
            "workers": 2,
            "worker_class": "sync",
            "threads": 1,
            "cache": "redis",
            "load_start": "0.50 0.40 0.30",
            "load_end": "2.10 1.00 0.60",
        },
        "data": {"issues": 1_000_000},
        "requests": 2,
        "pages": [],
        "targets": [],
    }
    md, _js = harness.write_report(report, tmp_path)
    assert md.name == "2026-12-06-1m-redis.md"
    text = md.read_text(encoding="utf-8")
    assert "gunicorn 2 sync workers, figures cached in Redis (CACHE_URL), DEBUG off" in text
    assert "Load average (1, 5, 15 min) at the start 0.50 0.40 0.30, at the end 2.10" in text
    report["machine"]["cache"] = "none"
    md, _js = harness.write_report(report, tmp_path)
    assert md.name == "2026-12-06-1m.md"
    assert "no shared cache (figures counted on every request)" in md.read_text(encoding="utf-8")


# -- issue 19: the first pass (cold), the leader's 4-character search, shared_buffers --------


def test_the_page_list_has_the_leaders_search_and_the_staffs_deep_page():
    from django.urls import resolve

    ctx = {"year": 2026, "busiest": 1, "long_issue": "ZZ-2026-000001"}
    by_key = {p.key: p for p in harness.page_list(ctx)}
    assert (by_key["search_4_leader"].role, by_key["search_4_leader"].group) == (
        "leader",
        "search",
    )
    assert by_key["search_4_leader"].path == "/issues/?q=%E6%B6%88%E9%98%B2%E9%AA%8C%E6%94%B6"
    assert (by_key["deep_staff"].role, by_key["deep_staff"].path) == (
        "staff",
        "/issues/?page=2000",
    )
    # every first-pass target names a page the bench measures
    assert set(harness.FIRST_PASS_TARGETS) <= set(by_key)
    assert resolve("/issues/").view_name == "issue_list"


def test_first_pass_targets_judge_each_pages_first_request():
    pages = [
        {"key": "search_4_leader", "group": "search", "p95_ms": 180.0, "first_ms": 310.4},
        {"key": "deep_staff", "group": "deep", "p95_ms": 120.0, "first_ms": 250.0},
        {"key": "dashboard", "group": "dashboard", "p95_ms": 190.0, "first_ms": None},
    ]
    for page in pages:
        page.update(error="", status=200)
    rows = {row["target"]: row for row in harness.targets_table(pages, None, None)}
    leader = rows["4-character search, the leader with the most 分包, first pass"]
    assert leader == {
        "target": "4-character search, the leader with the most 分包, first pass",
        "limit": "≤ 300 ms",
        "measured": "310 ms (search_4_leader)",
        "ok": "✗",
    }
    assert rows["deep page 2000, staff of the busiest department, first pass"]["ok"] == "✓"
    # a page without a first request has no first-pass row; its warm row stays
    assert "dashboard, first pass" not in rows
    assert rows["dashboard"]["ok"] == "✓"
    # a page that failed fails its first-pass row, whatever its time
    pages[1].update(error="HTTP 404", status=404)
    rows = {row["target"]: row for row in harness.targets_table(pages, None, None)}
    row = rows["deep page 2000, staff of the busiest department, first pass"]
    assert row["ok"] == "✗" and "HTTP 404" in row["measured"]


def test_the_report_says_how_cold_the_first_pass_was_and_names_the_server_settings(tmp_path):
    report = {
        "date": "2026-12-06",
        "note": "",
        "machine": {"cores": 2, "workers": 2, "worker_class": "sync", "threads": 1},
        "settings": {
            "mode": "recommended",
            "database": ["jit=off"],
            "shared_buffers": "4GB",
            "server": {"shared_buffers": "4GB"},
        },
        "first_pass": {"cold": True, "cluster": "15/main", "page_cache_dropped": True},
        "data": {"issues": 1_000_000},
        "requests": 2,
        "pages": [
            {
                "key": "dashboard",
                "role": "supervisor",
                "path": "/dashboard/",
                "group": "dashboard",
                "label": "dashboard",
                "status": 200,
                "first_ms": 812.34,
                "p50_ms": 180.0,
                "p95_ms": 190.0,
                "max_ms": 200.0,
                "sql_p50_ms": 20.0,
                "app_p50_ms": 150.0,
                "queries": 12,
                "kb": 40.0,
                "error": "",
            }
        ],
        "targets": [],
    }
    md, _js = harness.write_report(report, tmp_path)
    assert md.name == "2026-12-06-1m-recommended-sb4gb-cold.md"
    text = md.read_text(encoding="utf-8")
    assert "PostgreSQL restarted (15/main), the OS page cache dropped." in text
    assert "shared_buffers 4GB set on the server (ALTER SYSTEM, server restarted;" in text
    assert "| dashboard `/dashboard/` | supervisor | 812 | 180 | 190 |" in text
    report["first_pass"] = {"cold": True, "cluster": "15/main", "page_cache_dropped": False}
    md, _js = harness.write_report(report, tmp_path)
    assert "the OS page cache NOT dropped (not permitted here)" in md.read_text(encoding="utf-8")
    report["first_pass"] = {"cold": False}
    report["settings"] = {"mode": "stock", "database": [], "shared_buffers": "128MB"}
    md, _js = harness.write_report(report, tmp_path)
    assert md.name == "2026-12-06-1m.md"
    assert "PostgreSQL and the OS page cache as the runs before left them" in md.read_text(
        encoding="utf-8"
    )


def test_shared_buffers_takes_only_a_size():
    for bad in ("4GB'; DROP DATABASE x; --", "lots", "4 GB"):
        with pytest.raises(ValueError):
            harness.set_shared_buffers(bad)
        with pytest.raises(SystemExit):
            harness.main(["--shared-buffers", bad])
