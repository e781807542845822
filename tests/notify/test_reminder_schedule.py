"""The daily reminder run queued in the task worker (`send_reminders --schedule`): one chain
whatever is run twice, a failed run queued again and reported, and what it did kept for the
admin and /healthz."""

import datetime
import importlib
import io
import logging

import pytest
from django.apps import apps
from django.core import mail
from django.core.management import CommandError, call_command
from django.tasks import TaskContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ledger.notify import reminders
from ledger.notify.models import ReminderSchedule
from ledger.notify.reminders import reminders_daily

D = datetime.date
PATH = "ledger.notify.reminders.reminders_daily"


def queued_run(row: DBTaskResult):
    """Run a queued task as the worker does (claimed, with its context, its row marked
    successful or failed), without the worker's loop."""
    row.claim("test-worker")
    result = row.task_result
    try:
        value = row.task.call(TaskContext(task_result=result), *result.args, **result.kwargs)
    except Exception as error:
        row.set_failed(error)
        raise
    row.set_successful(value)
    return value


def queued():
    return list(DBTaskResult.objects.filter(task_path=PATH, status="READY"))


@pytest.fixture
def db_tasks(db, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.ADMINS = ["it@example.gov.cn"]


def test_scheduling_twice_leaves_one_chain_and_says_it_replaced_one(db_tasks):
    out = io.StringIO()
    call_command("send_reminders", "--schedule", stdout=out)
    assert "replaced 0" in out.getvalue()
    first = queued()
    call_command("send_reminders", "--schedule", stdout=out)
    assert "replaced 1" in out.getvalue()
    (row,) = queued()
    assert row.pk != first[0].pk
    schedule = ReminderSchedule.objects.get()
    assert schedule.task_id == str(row.pk)
    assert schedule.next_run_at == row.run_after
    assert row.args_kwargs["kwargs"] == {"day": schedule.next_run_day.isoformat()}


def test_a_run_that_is_not_the_scheduled_one_stops_without_running(db_tasks, monkeypatch):
    call_command("send_reminders", "--schedule", stdout=io.StringIO())
    stray = DBTaskResult.objects.create(
        task_path=PATH,
        backend_name="default",
        args_kwargs={"args": [], "kwargs": {}},
        run_after=timezone.now(),
    )
    sent = []
    monkeypatch.setattr(reminders, "reminders_send", lambda **kw: sent.append(kw))
    assert queued_run(stray) == {"superseded": 1}
    assert sent == []
    # the stray queued nothing; the scheduled run is still the one queued
    (row,) = queued()
    assert ReminderSchedule.objects.get().task_id == str(row.pk) != str(stray.pk)


def test_a_scheduled_run_records_its_result_and_queues_the_next_day(db_tasks, monkeypatch):
    monkeypatch.setattr(reminders, "reminders_send", lambda **kw: {"due_soon": 3})
    call_command("send_reminders", "--schedule", stdout=io.StringIO())
    (row,) = queued()
    assert queued_run(row) == {"due_soon": 3}
    (following,) = queued()
    schedule = ReminderSchedule.objects.get()
    assert schedule.task_id == str(following.pk) != str(row.pk)
    assert schedule.last_outcome == "ok" and schedule.last_counts == {"due_soon": 3}
    assert schedule.failures == 0 and schedule.last_run_at is not None
    local = timezone.localtime(following.run_after)
    assert (local.hour, local.minute) == (8, 0) and following.run_after > timezone.now()


def test_a_failed_run_is_queued_again_logged_and_mailed_to_the_admins(
    db_tasks, monkeypatch, caplog
):
    def broken(**kwargs):
        raise RuntimeError("the calendar table is locked")

    monkeypatch.setattr(reminders, "reminders_send", broken)
    call_command("send_reminders", "--schedule", stdout=io.StringIO())
    (row,) = queued()
    day = row.args_kwargs["kwargs"]["day"]
    before = timezone.now()
    with caplog.at_level(logging.ERROR), pytest.raises(RuntimeError):
        queued_run(row)  # raised: the task's own row is marked failed by the worker
    (retry,) = queued()
    assert retry.args_kwargs["kwargs"] == {"day": day}  # the same day again
    wait = (retry.run_after - before).total_seconds()
    assert 30 * 60 - 5 <= wait <= 30 * 60 + 5
    schedule = ReminderSchedule.objects.get()
    assert schedule.last_outcome == "failed" and schedule.failures == 1
    assert "the calendar table is locked" in schedule.last_error
    assert schedule.task_id == str(retry.pk)
    assert any(
        r.levelno == logging.ERROR and "reminder run" in r.getMessage() for r in caplog.records
    )
    (alert,) = mail.outbox
    assert alert.to == ["it@example.gov.cn"] and day in alert.subject
    # the retry succeeds: back to ok and to the daily hour
    monkeypatch.setattr(reminders, "reminders_send", lambda **kw: {})
    queued_run(retry)
    schedule.refresh_from_db()
    assert schedule.last_outcome == "ok" and schedule.failures == 0


def test_unschedule_removes_the_chain(db_tasks):
    call_command("send_reminders", "--schedule", stdout=io.StringIO())
    out = io.StringIO()
    call_command("send_reminders", "--unschedule", stdout=out)
    assert "removed: 1" in out.getvalue()
    assert queued() == [] and ReminderSchedule.objects.get().task_id == ""
    with pytest.raises(CommandError):
        call_command("send_reminders", "--schedule", "--unschedule")


def test_the_schedule_shows_in_the_admin(db_tasks, admin_client):
    call_command("send_reminders", "--schedule", stdout=io.StringIO())
    response = admin_client.get("/admin/notify/reminderschedule/")
    assert response.status_code == 200
    assert "每日提醒计划" in response.content.decode()
    page = admin_client.get("/admin/notify/reminderschedule/1/change/")
    assert page.status_code == 200
    local = timezone.localtime(ReminderSchedule.objects.get().next_run_at)
    assert f"{local:%H:%M}" in page.content.decode()


def test_the_migration_shrinks_two_old_chains_to_one(db_tasks):
    migration = importlib.import_module("ledger.notify.migrations.0005_reminder_schedule")
    ReminderSchedule.objects.all().delete()
    for hours in (2, 1):
        DBTaskResult.objects.create(
            task_path=PATH,
            backend_name="default",
            args_kwargs={"args": [], "kwargs": {}},
            run_after=timezone.now() + datetime.timedelta(hours=hours),
        )
    migration.schedule_create(apps, None)
    (kept,) = queued()
    assert ReminderSchedule.objects.get().task_id == str(kept.pk)
    assert kept.run_after < timezone.now() + datetime.timedelta(hours=1, minutes=1)
    assert reminders_daily.module_path == PATH
