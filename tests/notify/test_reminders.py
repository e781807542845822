"""send_reminders on China's working-day calendar, with a frozen clock: around the 2026
Mid-autumn and National Day holidays (Sep 25–27 and Oct 1–7 off; Saturday Oct 10 a 调休
working day). A second run the same day writes and sends nothing."""

import datetime
import importlib
import io

import pytest
from django.apps import apps
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone
from django.utils.module_loading import import_string

from ledger import workflow
from ledger.models import Holiday, IssueEvent
from ledger.notify.models import Notification, ReminderLog
from ledger.notify.recipients import SYSTEM_USERNAME
from ledger.workdays import holidays_sync, is_working_day, working_days_between

D = datetime.date


@pytest.fixture
def calendar(db):
    # the migration seeds the table, but a transactional test elsewhere may have emptied it
    holidays_sync(Holiday)
    assert not is_working_day(D(2026, 10, 1)) and is_working_day(D(2026, 10, 10))


def at(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _assign(w, issue, *, on, deadline):
    workflow.transition(
        issue,
        actor=w.supervisor,
        action="assign",
        leader=w.leader,
        lead_department=w.dept_b,
        deadline=deadline,
        at=at(on),
    )


@pytest.fixture
def ledger(people, calendar, clock):
    """A: accepted, due Wed Sep 30. B: assigned Sep 30, never accepted, due Oct 30.
    C: raised Tue Sep 29, never assigned."""
    w = people
    clock.set(D(2026, 9, 23), 8)
    a = w.raise_issue(title="A 到期未办结", at=at(D(2026, 9, 22)))
    _assign(w, a, on=D(2026, 9, 23), deadline=D(2026, 9, 30))
    workflow.transition(a, actor=w.staff_b, action="accept", at=at(D(2026, 9, 23), 15))
    clock.set(D(2026, 9, 29), 8)
    c = w.raise_issue(title="C 未交办", at=at(D(2026, 9, 29)))
    clock.set(D(2026, 9, 30), 8)
    b = w.raise_issue(title="B 未签收", at=at(D(2026, 9, 28)))
    _assign(w, b, on=D(2026, 9, 30), deadline=D(2026, 10, 30))
    Notification.objects.all().delete()
    return {"a": a, "b": b, "c": c}


def run(clock, committed, day, hour=9) -> str:
    clock.set(day, hour)
    out = io.StringIO()
    committed(call_command, "send_reminders", stdout=out)
    return out.getvalue()


def told(issue, kind, day):
    return set(
        Notification.objects.filter(issue=issue, kind=kind, created_at__date=day).values_list(
            "recipient__username", flat=True
        )
    )


def snapshot():
    return (
        ReminderLog.objects.count(),
        Notification.objects.count(),
        IssueEvent.objects.count(),
        len(mail.outbox),
    )


def test_the_calendar_the_scenario_relies_on(calendar):
    assert [is_working_day(D(2026, 9, d)) for d in (25, 26, 27, 28)] == [False, False, False, True]
    assert working_days_between(D(2026, 10, 8), D(2026, 10, 14)) == 5  # Sat Oct 10 counts


def test_reminders_over_the_holidays(ledger, clock, committed):
    a, b, c = ledger["a"], ledger["b"], ledger["c"]
    lead = {"staff_b", "staff_b2"}

    # Tue Sep 29: A is due within 3 days; B not yet assigned; C raised today
    run(clock, committed, D(2026, 9, 29))
    assert told(a, "due_soon", D(2026, 9, 29)) == lead
    assert not Notification.objects.filter(issue=c).exists()

    # Wed Sep 30: A due today (reminded again, once); B assigned today is not late
    run(clock, committed, D(2026, 9, 30))
    assert told(a, "due_soon", D(2026, 9, 30)) == lead
    assert not Notification.objects.filter(issue=b, kind="not_accepted").exists()

    # the holidays and the weekend inside them: nothing at all
    before = snapshot()
    for day in range(1, 8):
        assert "Not a working day" in run(clock, committed, D(2026, 10, day))
    assert snapshot() == before

    # Thu Oct 8, the first working day after A's deadline: an automatic 催办 by the system,
    # copied to the responsible leader; C has waited 2 working days (Sep 30, Oct 8): the office
    run(clock, committed, D(2026, 10, 8))
    urge = a.events.get(action="urge")
    assert urge.actor.username == SYSTEM_USERNAME
    assert timezone.localtime(urge.created_at).date() == D(2026, 10, 8)
    assert told(a, "urge", D(2026, 10, 8)) == lead | {"leader1"}
    assert told(c, "not_assigned", D(2026, 10, 8)) == {"supervisor", "supervisor2"}
    # B was assigned Sep 30: its one working day for acceptance is Oct 8, not yet over
    assert not Notification.objects.filter(issue=b, kind="not_accepted").exists()

    # the same day again (a second timer, a retry by hand): nothing new
    before = snapshot()
    run(clock, committed, D(2026, 10, 8), hour=17)
    assert snapshot() == before

    # Fri Oct 9: B not accepted after a full working day
    run(clock, committed, D(2026, 10, 9))
    assert told(b, "not_accepted", D(2026, 10, 9)) == lead
    assert a.events.filter(action="urge").count() == 1  # urged once per deadline

    # Sat Oct 10 is a 调休 working day: reminders go out; Sunday nothing
    run(clock, committed, D(2026, 10, 10))
    assert told(c, "not_assigned", D(2026, 10, 10)) == {"supervisor", "supervisor2"}
    before = snapshot()
    run(clock, committed, D(2026, 10, 11))
    assert snapshot() == before

    # 5 working days after the urge (Oct 9, 10, 12, 13, 14) A is still late: 督办 on Oct 14,
    # not on Oct 13 — and not on Oct 15, as it would be if Saturday were not counted
    run(clock, committed, D(2026, 10, 13))
    assert not a.events.filter(action="escalate").exists()
    run(clock, committed, D(2026, 10, 14))
    escalation = a.events.get(action="escalate")
    assert escalation.actor.username == SYSTEM_USERNAME
    a.refresh_from_db()
    assert a.is_escalated
    assert told(a, "escalate", D(2026, 10, 14)) == lead | {"leader1", "supervisor", "supervisor2"}

    before = snapshot()
    run(clock, committed, D(2026, 10, 14), hour=18)
    assert snapshot() == before
    # once escalated, no second 督办 and no second 催办 for the same deadline
    run(clock, committed, D(2026, 10, 15))
    assert a.events.filter(action__in=["urge", "escalate"]).count() == 2


def test_a_new_deadline_is_urged_again_after_it_passes(people, calendar, clock, committed):
    w = people
    clock.set(D(2026, 11, 2), 8)
    issue = w.raise_issue(at=at(D(2026, 11, 2)))
    _assign(w, issue, on=D(2026, 11, 2), deadline=D(2026, 11, 4))
    workflow.transition(issue, actor=w.staff_b, action="accept", at=at(D(2026, 11, 2), 11))
    run(clock, committed, D(2026, 11, 5))
    assert issue.events.filter(action="urge").count() == 1
    clock.set(D(2026, 11, 5), 11)
    workflow.transition(
        issue, actor=w.supervisor, action="reassign", deadline=D(2026, 11, 9), at=clock.moment
    )
    run(clock, committed, D(2026, 11, 6))
    assert issue.events.filter(action="urge").count() == 1  # the new deadline has not passed
    run(clock, committed, D(2026, 11, 10))
    assert issue.events.filter(action="urge").count() == 2


def test_a_resolved_issue_is_left_alone(people, calendar, clock, committed):
    w = people
    clock.set(D(2026, 11, 2), 8)
    issue = w.raise_issue(at=at(D(2026, 11, 2)))
    _assign(w, issue, on=D(2026, 11, 2), deadline=D(2026, 11, 4))
    workflow.transition(issue, actor=w.staff_b, action="accept", at=at(D(2026, 11, 2), 11))
    workflow.transition(
        issue, actor=w.staff_b, action="resolve", resolution="已办", at=at(D(2026, 11, 3))
    )
    run(clock, committed, D(2026, 11, 5))
    assert not ReminderLog.objects.exists()


def test_date_option(people, calendar, clock, committed):
    clock.set(D(2026, 11, 29), 9)
    out = io.StringIO()
    call_command("send_reminders", "--date", "2026-10-03", stdout=out)
    assert "Not a working day" in out.getvalue()
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_reminders", "--date", "3.10.2026")


def test_the_daily_task_needs_a_backend_that_can_wait(people, calendar, settings):
    with pytest.raises(CommandError, match="cron"):
        call_command("send_reminders", "--schedule")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    out = io.StringIO()
    call_command("send_reminders", "--schedule", stdout=out)
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.get(task_path="ledger.notify.reminders.reminders_daily")
    local = timezone.localtime(queued.run_after)
    assert (local.hour, local.minute) == (settings.NOTIFY["REMINDER_HOUR"], 0)
    assert queued.run_after > timezone.now()


def test_an_urge_by_hand_does_not_put_the_escalation_off(people, calendar, clock, committed):
    w = people
    clock.set(D(2026, 11, 2), 8)
    issue = w.raise_issue(at=at(D(2026, 11, 2)))
    _assign(w, issue, on=D(2026, 11, 2), deadline=D(2026, 11, 4))
    workflow.transition(issue, actor=w.staff_b, action="accept", at=at(D(2026, 11, 2), 11))
    run(clock, committed, D(2026, 11, 5))  # automatic urge (Thu)
    clock.set(D(2026, 11, 9), 11)
    workflow.transition(issue, actor=w.supervisor, action="urge", at=clock.moment)  # Mon
    run(clock, committed, D(2026, 11, 11))  # 4 working days after Nov 5
    assert not issue.events.filter(action="escalate").exists()
    run(clock, committed, D(2026, 11, 12))  # 5 working days after Nov 5, 3 after Nov 9
    assert issue.events.filter(action="escalate").count() == 1


def test_the_daily_task_runs_and_enqueues_itself_for_tomorrow(
    people, calendar, clock, committed, settings
):
    from django_tasks_db.models import DBTaskResult

    from ledger.notify.reminders import reminders_daily, reminders_schedule

    from .test_reminder_schedule import queued_run

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    w = people
    clock.set(D(2026, 11, 2), 8)
    issue = w.raise_issue(at=at(D(2026, 11, 2)))
    _assign(w, issue, on=D(2026, 11, 2), deadline=D(2026, 11, 4))
    clock.set(D(2026, 11, 4), 8)
    committed(reminders_schedule, run_at=clock.moment)
    scheduled = DBTaskResult.objects.get(task_path=reminders_daily.module_path)
    counts = committed(queued_run, scheduled)
    # not accepted after a full working day: that reminder, not also the due-soon one
    assert (counts.get("not_accepted", 0), counts.get("due_soon", 0)) == (1, 0)
    queued = DBTaskResult.objects.get(
        task_path="ledger.notify.reminders.reminders_daily", status="READY"
    )
    assert timezone.localtime(queued.run_after) == timezone.localtime(at(D(2026, 11, 5), 8))


@pytest.mark.django_db
def test_a_daily_run_queued_under_the_old_task_path_is_found_after_the_move():
    """The daily task moved from notify/tasks.py to notify/reminders.py: a run already queued
    in the task database under the old path is pointed at the new one by the migration, and
    the new path names the task."""
    from django_tasks_db.models import DBTaskResult

    from ledger.notify.reminders import reminders_daily

    migration = importlib.import_module(
        "ledger.notify.migrations.0004_selectors_reminders_task_path"
    )
    queued = DBTaskResult.objects.create(
        task_path=migration.OLD,
        priority=0,
        queue_name="default",
        backend_name="default",
        run_after=timezone.now(),
        args_kwargs={"args": [], "kwargs": {}},
    )
    migration.task_path_forward(apps, None)
    queued.refresh_from_db()
    assert queued.task_path == migration.NEW == reminders_daily.module_path
    assert import_string(queued.task_path) is reminders_daily
