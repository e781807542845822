"""/healthz: database reachability and the worker's last sign of life, for the load
balancer and monitoring; no login, no internals, cheap.
"""

import datetime
import json
from unittest import mock

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
    with django_assert_max_num_queries(3):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    body = json.loads(response.content)
    assert body == {
        "status": "ok",
        "database": "ok",
        "worker": {"status": "ok", "last_finished": None},
    }


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
    assert json.loads(response.content)["worker"]["status"] == "stale"


def test_healthz_is_exempt_from_the_https_redirect(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301


def test_healthz_only_answers_get(client, db):
    assert client.post("/healthz").status_code == 405
