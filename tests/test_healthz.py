"""/healthz: database reachability and the worker's last sign of life, for the load
balancer and monitoring; no login, no internals, cheap.
"""

import datetime
import io
import json
from unittest import mock

from django.core.management import call_command
from django.db import DatabaseError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max


def _task(**fields):
    values = {
        "args_kwargs": {"args": [], "kwargs": {}},
        "task_path": "ledger.notify.tasks.email_send",
        "backend_name": "default",
        "run_after": get_date_max(),
    }
    values.update(fields)
    return DBTaskResult.objects.create(**values)


def test_healthy_is_200_without_login_and_without_internals(
    client, db, django_assert_max_num_queries
):
    finished = timezone.now() - datetime.timedelta(seconds=5)
    _task(status="SUCCESSFUL", finished_at=finished)
    with django_assert_max_num_queries(4):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    body = json.loads(response.content)
    assert body == {
        "status": "ok",
        "database": "ok",
        "worker": {"status": "ok", "last_finished": finished.isoformat(timespec="seconds")},
    }


def test_a_worker_that_never_ran_a_task_is_not_ok_and_the_whole_is_degraded(client, db, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    response = client.get("/healthz")
    assert response.status_code == 200  # the web serves: the load balancer keeps it
    body = json.loads(response.content)
    assert body["status"] == "degraded"
    assert body["worker"] == {"status": "never_ran", "last_finished": None}
    # a monitor that reads only the status code asks for ?strict=1
    assert client.get("/healthz?strict=1").status_code == 503
    # the worker's unit queues the ping as it starts; the worker runs it: ok
    call_command("healthz_ping", stdout=io.StringIO())
    ping = DBTaskResult.objects.get(task_path="ledger.security.tasks.healthz_ping")
    ping.set_successful(ping.task.call())
    body = json.loads(client.get("/healthz").content)
    assert body["status"] == "ok" and body["worker"]["status"] == "ok"
    assert client.get("/healthz?strict=1").status_code == 200


def test_the_database_down_is_503_and_says_nothing_of_why(client, db):
    secret = "could not connect to server at /var/run/postgresql 16.2 password=hunter2"
    with mock.patch("django.db.backends.base.base.BaseDatabaseWrapper.cursor") as cursor:
        cursor.side_effect = DatabaseError(secret)
        response = client.get("/healthz")
    assert response.status_code == 503
    text = response.content.decode()
    assert json.loads(text) == {"status": "error", "database": "unreachable"}
    for leak in ("postgresql", "16.2", "hunter2", "/var/run", "Traceback", "DatabaseError"):
        assert leak not in text


def test_the_worker_reports_its_last_finished_task_and_stale_queued_work(client, db):
    finished = timezone.now() - datetime.timedelta(minutes=3)
    _task(status="SUCCESSFUL", finished_at=finished)
    body = json.loads(client.get("/healthz").content)
    assert body["worker"] == {
        "status": "ok",
        "last_finished": finished.isoformat(timespec="seconds"),
    }
    # a task ready to run for more than HEALTHZ_WORKER_STALE_SECONDS: the worker is down
    waiting = _task()
    DBTaskResult.objects.filter(pk=waiting.pk).update(
        enqueued_at=timezone.now() - datetime.timedelta(hours=1)
    )
    response = client.get("/healthz")
    assert response.status_code == 200  # the web still serves; monitoring alerts on "stale"
    body = json.loads(response.content)
    assert body["worker"]["status"] == "stale"
    assert body["status"] == "degraded"
    assert client.get("/healthz?strict=1").status_code == 503


def test_healthz_is_exempt_from_the_https_redirect(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301


def test_healthz_only_answers_get(client, db):
    assert client.post("/healthz").status_code == 405


def test_the_queued_daily_reminders_show_their_next_run_and_a_failed_last_run(client, db, settings):
    from ledger.notify.models import ReminderSchedule
    from ledger.notify.reminders import reminders_schedule

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    _task(status="SUCCESSFUL", finished_at=timezone.now())
    assert "reminders" not in json.loads(client.get("/healthz").content)  # none queued
    schedule = reminders_schedule()
    body = json.loads(client.get("/healthz").content)
    assert body["status"] == "ok"
    assert body["reminders"] == {
        "status": "ok",
        "next_run": schedule.next_run_at.isoformat(timespec="seconds"),
        "last_run": None,
        "last_result": None,
    }
    ReminderSchedule.objects.update(
        last_outcome=ReminderSchedule.Outcome.FAILED, last_run_at=timezone.now()
    )
    body = json.loads(client.get("/healthz").content)
    assert body["reminders"]["status"] == "failed"
    assert body["reminders"]["last_result"] == "failed"
    assert body["status"] == "degraded"
