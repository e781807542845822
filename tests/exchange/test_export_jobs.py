"""Large exports run in the background: job, progress page, download, who may see them."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from ledger.exchange import export as export_module
from ledger.exchange import tasks
from ledger.exchange.columns import LEDGER_COLUMN_KEYS
from ledger.exchange.models import ExportJob
from tests.exchange.conftest import workbook_of
from tests.test_views_ledger import VISIBLE

URL = "/issues/export.xlsx"
NUMBER = LEDGER_COLUMN_KEYS.index("number")


@pytest.fixture
def small_threshold(settings):
    settings.EXCHANGE = {**settings.EXCHANGE, "EXPORT_BACKGROUND_ROWS": 3}


def numbers_of(book):
    return [row[NUMBER] for row in book.worksheets[0].iter_rows(min_row=3, values_only=True)]


def start_export(client, query, capture):
    """Ask for an export over the threshold; the task runs when the request commits."""
    with capture(execute=True):
        response = client.get(URL + query)
    assert response.status_code == 302
    match = re.fullmatch(r"/exports/(\d+)/", response.url)
    assert match, response.url
    return ExportJob.objects.get(pk=int(match[1]))


def test_default_threshold_is_20000(settings):
    assert settings.EXCHANGE["EXPORT_BACKGROUND_ROWS"] == 20000


def test_export_at_the_threshold_is_answered_at_once(client, export_ledger, settings):
    settings.EXCHANGE = {**settings.EXCHANGE, "EXPORT_BACKGROUND_ROWS": 8}
    client.force_login(export_ledger.w.supervisor)  # sees all 8
    response = client.get(URL)
    assert response.status_code == 200
    assert not ExportJob.objects.exists()


def test_export_over_the_threshold_becomes_a_job_with_the_ledgers_rows(
    client, export_ledger, small_threshold, django_capture_on_commit_callbacks, settings
):
    w = export_ledger.w
    client.force_login(w.supervisor)
    query = "?status=assigned&status=in_progress&status=raised&sort=deadline"
    ledger = client.get("/issues/" + query)
    expected = [issue.number for issue in ledger.context["issues"]]
    assert len(expected) > 3

    job = start_export(client, query, django_capture_on_commit_callbacks)
    assert job.requested_by == w.supervisor
    assert job.kind == "ledger"
    assert job.state == ExportJob.State.DONE
    assert (job.total, job.done, job.percent) == (len(expected), len(expected), 100)
    assert job.params == {"query": "status=assigned&status=in_progress&status=raised&sort=deadline"}
    assert job.language == "zh-hans"
    # stored under MEDIA_ROOT/exports, never under a public URL
    path = Path(job.file.path)
    assert path.is_file()
    assert Path(settings.MEDIA_ROOT) / "exports" in path.parents

    response = client.get(reverse("exchange:export_job_download", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    book = workbook_of(response)
    assert numbers_of(book) == expected
    title = book.worksheets[0]["A1"].value
    assert "状态：" in title and f"共 {len(expected)} 条" in title


def test_a_job_exports_only_what_its_requester_sees(
    client, export_ledger, small_threshold, django_capture_on_commit_callbacks
):
    w = export_ledger.w
    client.force_login(w.staff_a)
    job = start_export(client, "", django_capture_on_commit_callbacks)
    book = workbook_of(client.get(reverse("exchange:export_job_download", args=[job.pk])))
    assert export_ledger.keys(numbers_of(book)) == VISIBLE["staff_a"]


def test_the_job_follows_the_language_it_was_asked_in(
    client, export_ledger, small_threshold, django_capture_on_commit_callbacks
):
    client.force_login(export_ledger.w.supervisor)
    client.cookies["django_language"] = "en"
    job = start_export(client, "", django_capture_on_commit_callbacks)
    assert job.language == "en"
    book = workbook_of(client.get(reverse("exchange:export_job_download", args=[job.pk])))
    assert book.worksheets[0].cell(2, NUMBER + 1).value == "Number"


# -- the progress page -------------------------------------------------------------------


def pending_job(user, **fields):
    return ExportJob.objects.create(
        kind="ledger", requested_by=user, language="zh-hans", params={"query": ""}, **fields
    )


def test_progress_page_polls_while_the_job_runs(client, world):
    job = pending_job(world.supervisor, state="running", total=200, done=50)
    client.force_login(world.supervisor)
    response = client.get(reverse("exchange:export_job", args=[job.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'hx-get="/exports/{job.pk}/"' in html
    assert 'hx-trigger="every 2s"' in html
    assert 'hx-swap="outerHTML"' in html
    assert '<progress class="w-100" max="200" value="50"' in html
    assert "50 / 200" in html and "25%" in html
    # strict CSP: no inline script or style on the page
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "style=" not in html and "<style" not in html


def test_htmx_gets_only_the_status_fragment(client, world):
    job = pending_job(world.supervisor, state="running", total=10, done=4)
    client.force_login(world.supervisor)
    response = client.get(
        reverse("exchange:export_job", args=[job.pk]), headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "<html" not in html
    assert html.strip().startswith("<div") or 'id="export-job-status"' in html
    assert 'id="export-job-status"' in html and 'hx-trigger="every 2s"' in html


def test_a_finished_job_stops_polling_and_offers_the_file(
    client, export_ledger, small_threshold, django_capture_on_commit_callbacks
):
    client.force_login(export_ledger.w.supervisor)
    job = start_export(client, "", django_capture_on_commit_callbacks)
    html = client.get(
        reverse("exchange:export_job", args=[job.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "hx-trigger" not in html
    assert f'href="/exports/{job.pk}/download/"' in html
    assert job.filename in html
    assert "导出完成，共 8 行" in html


def test_a_failed_job_says_so_clearly(
    client, export_ledger, small_threshold, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(export_module, "ledger_write", broken)
    w = export_ledger.w
    client.force_login(w.supervisor)
    job = start_export(client, "", django_capture_on_commit_callbacks)
    assert job.state == ExportJob.State.FAILED
    assert job.error == "OSError: disk full"
    assert not job.file
    response = client.get(reverse("exchange:export_job", args=[job.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "导出未能完成" in html and 'hx-trigger="every 2s"' not in html
    assert "disk full" not in html  # the technical detail is for administrators
    assert client.get(reverse("exchange:export_job_download", args=[job.pk])).status_code == 404
    client.force_login(w.admin)
    assert (
        "OSError: disk full"
        in client.get(reverse("exchange:export_job", args=[job.pk])).content.decode()
    )


def test_download_before_the_file_is_ready_is_404(client, world):
    job = pending_job(world.supervisor)
    client.force_login(world.supervisor)
    assert client.get(reverse("exchange:export_job_download", args=[job.pk])).status_code == 404


def test_a_job_runs_once(
    client, export_ledger, small_threshold, django_capture_on_commit_callbacks
):
    client.force_login(export_ledger.w.supervisor)
    job = start_export(client, "", django_capture_on_commit_callbacks)
    name = job.file.name
    assert tasks.export_job_run.call(job.pk) == "skipped"
    job.refresh_from_db()
    assert job.file.name == name


def test_progress_is_recorded_while_writing(world, monkeypatch):
    from tests.test_views_ledger import _bulk_issues

    _bulk_issues(world, 7)
    job = pending_job(world.supervisor)
    seen = []
    monkeypatch.setattr(export_module, "CHUNK_SIZE", 2)
    original = export_module.ledger_write

    def write(output, issues, *, title, progress=None, progress_every=1000):
        def record(done):
            progress(done)
            seen.append(ExportJob.objects.get(pk=job.pk).done)

        return original(output, issues, title=title, progress=record, progress_every=3)

    monkeypatch.setattr(export_module, "ledger_write", write)
    assert tasks.export_job_run.call(job.pk) == "done"
    assert seen == [3, 6]
    job.refresh_from_db()
    assert (job.state, job.done, job.total) == ("done", 7, 7)


# -- who may see a job -------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, allowed",
    [
        ("staff_a", True),  # the requester
        ("admin", True),  # administrators
        ("staff_b", False),
        ("supervisor", False),
        ("leader", False),
    ],
)
def test_only_the_requester_and_administrators_may_see_or_download_a_job(
    client, export_ledger, small_threshold, django_capture_on_commit_callbacks, who, allowed
):
    w = export_ledger.w
    client.force_login(w.staff_a)
    job = start_export(client, "", django_capture_on_commit_callbacks)
    user = getattr(w, who)
    client.force_login(getattr(user, "user", user))
    expected = 200 if allowed else 404  # a stranger learns nothing, not even that it exists
    assert client.get(reverse("exchange:export_job", args=[job.pk])).status_code == expected
    assert (
        client.get(reverse("exchange:export_job_download", args=[job.pk])).status_code == expected
    )


def test_anonymous_user_is_sent_to_login_for_jobs(client, world):
    job = pending_job(world.supervisor)
    for url in (
        reverse("exchange:export_job", args=[job.pk]),
        reverse("exchange:export_job_download", args=[job.pk]),
        reverse("exchange:export_job_list"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_missing_job_is_404(client, world):
    client.force_login(world.admin)
    assert client.get("/exports/999999/").status_code == 404
    assert client.get("/exports/999999/download/").status_code == 404


def test_my_exports_lists_only_my_own_jobs(client, world, django_assert_max_num_queries):
    mine = [pending_job(world.staff_a, state="done", total=5, done=5, filename="mine.xlsx")]
    mine += [pending_job(world.staff_a) for _ in range(4)]
    theirs = pending_job(world.staff_b, state="done", total=5, done=5, filename="theirs.xlsx")
    client.force_login(world.staff_a)
    with django_assert_max_num_queries(4):
        html = client.get(reverse("exchange:export_job_list")).content.decode()
    for job in mine:
        assert f'href="/exports/{job.pk}/"' in html
    assert f'href="/exports/{theirs.pk}/"' not in html and "theirs.xlsx" not in html
    assert "mine.xlsx" in html


def test_a_file_in_storage_is_not_reachable_by_a_public_url(
    client, export_ledger, small_threshold, django_capture_on_commit_callbacks, settings
):
    client.force_login(export_ledger.w.staff_a)
    job = start_export(client, "", django_capture_on_commit_callbacks)
    client.force_login(export_ledger.w.staff_b)
    assert client.get(settings.MEDIA_URL + job.file.name).status_code == 404
