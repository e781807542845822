"""Password-reset e-mail goes through the task worker with the notifications' retries: with
the mail server down nothing is lost, and the link is built on SITE_URL, not on the Host the
request came in at."""

import logging
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests import factories as f

RESET = reverse("password_reset")
PATH = "ledger.security.password_reset.password_reset_email_send"
FAILING = {"default": {"BACKEND": "tests.notify.mailers.FailingBackend"}}
WORKING = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


@pytest.fixture
def person(db):
    user = f.StaffFactory(username="li", email="li@example.com", department=f.DepartmentFactory())
    user.set_password("旧密码-Old-2026")
    user.save()
    return user


@pytest.fixture
def worker_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.SITE_URL = "https://ledger.example.gov.cn"
    settings.NOTIFY = {**settings.NOTIFY, "EMAIL_MAX_ATTEMPTS": 3, "EMAIL_RETRY_SECONDS": 60}


def run_next():
    """What the worker does with the next queued reset e-mail: claim, run, record."""
    row = DBTaskResult.objects.filter(task_path=PATH, status="READY").order_by("enqueued_at")[0]
    row.claim("test-worker")
    try:
        value = row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
    except Exception as error:
        row.set_failed(error)
        raise
    row.set_successful(value)
    return value


def test_the_request_only_queues_the_mail_and_a_known_address_looks_like_any(
    client, person, worker_tasks
):
    response = client.post(RESET, {"email": "li@example.com"})
    assert response["Location"] == reverse("password_reset_done")
    assert not mail.outbox  # not sent in the request
    (row,) = DBTaskResult.objects.filter(task_path=PATH)
    assert row.args_kwargs["args"][0] == person.pk
    assert "token" not in str(row.args_kwargs)  # no secret waits in the task table
    unknown = client.post(RESET, {"email": "nobody@example.com"})
    assert unknown["Location"] == response["Location"]
    assert DBTaskResult.objects.filter(task_path=PATH).count() == 1


def test_with_the_mail_server_down_the_reset_mail_is_retried_then_delivered(
    client, person, worker_tasks, settings, caplog
):
    client.post(RESET, {"email": "li@example.com"})
    settings.MAILERS = FAILING
    before = timezone.now()
    with caplog.at_level(logging.WARNING):
        assert run_next() == "retrying"
    (retry,) = DBTaskResult.objects.filter(task_path=PATH, status="READY")
    assert retry.args_kwargs["args"][2] == 2  # the second attempt
    assert 55 <= (retry.run_after - before).total_seconds() <= 65
    assert "failed (attempt 1)" in caplog.text
    # the server is back: the retry delivers it, once, with a link on SITE_URL that opens
    settings.MAILERS = WORKING
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    assert run_next() == "sent"
    (message,) = mail.outbox
    assert message.to == ["li@example.com"]
    link = re.search(r"https://ledger\.example\.gov\.cn(/accounts/reset/\S+)", message.body)
    assert link, message.body
    assert client.get(link.group(1)).status_code == 302  # to the set-password form
    assert not DBTaskResult.objects.filter(task_path=PATH, status="READY").exists()


def test_a_mail_that_fails_every_attempt_is_logged_as_an_error_and_the_task_fails(
    client, person, worker_tasks, settings, caplog
):
    client.post(RESET, {"email": "li@example.com"})
    settings.MAILERS = FAILING
    assert run_next() == "retrying"
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    assert run_next() == "retrying"
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    with caplog.at_level(logging.ERROR), pytest.raises(ConnectionRefusedError):
        run_next()
    assert "failed 3 times, given up" in caplog.text
    assert DBTaskResult.objects.filter(task_path=PATH, status="FAILED").count() == 1
    assert not DBTaskResult.objects.filter(task_path=PATH, status="READY").exists()
