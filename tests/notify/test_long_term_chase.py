"""The reminder run chases a long-term item (长期坚持) whose reporting cycle passed without a
progress report: an automatic 催办 by the system account through workflow.transition, told to
the lead department and the leader in the bell with its own wording; once per missed cycle;
never for an item assigned during that cycle, nor one that reported (even late)."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from ledger import workflow
from ledger.models import Holiday, IssueEvent
from ledger.notify.models import Notification
from ledger.notify.recipients import SYSTEM_USERNAME
from ledger.notify.services import notification_text
from ledger.workdays import holidays_sync, is_working_day

D = datetime.date


@pytest.fixture
def calendar(db):
    holidays_sync(Holiday)
    assert is_working_day(D(2026, 12, 1)) and not is_working_day(D(2026, 10, 1))


def at(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def long_term(w, clock, title, *, on):
    clock.set(on, 8)
    issue = w.raise_issue(title=title, at=at(on, 9))
    workflow.transition(
        issue,
        actor=w.supervisor,
        action="assign",
        leader=w.leader,
        lead_department=w.dept_b,
        is_long_term=True,
        at=at(on, 10),
    )
    workflow.transition(issue, actor=w.staff_b, action="accept", at=at(on, 11))
    return issue


def report(w, clock, issue, *, on):
    clock.set(on, 8)
    workflow.transition(
        issue,
        actor=w.staff_b,
        action="progress",
        progress="smooth",
        note="本月推进顺利。",
        at=at(on, 9),
    )


def run(clock, committed, day, hour=9) -> str:
    clock.set(day, hour)
    out = io.StringIO()
    committed(call_command, "send_reminders", stdout=out)
    return out.getvalue()


def urges(issue):
    return list(IssueEvent.objects.filter(issue=issue, action="urge").order_by("seq"))


def test_a_missed_monthly_report_is_chased_once_by_the_system(people, calendar, clock, committed):
    w = people
    silent = long_term(w, clock, "园区污水管网持续改造", on=D(2026, 10, 12))
    reported = long_term(w, clock, "安全生产常态化检查", on=D(2026, 10, 12))
    fresh = long_term(w, clock, "营商环境持续优化", on=D(2026, 11, 16))
    report(w, clock, reported, on=D(2026, 11, 20))
    Notification.objects.all().delete()

    out = run(clock, committed, D(2026, 12, 1))  # the first working day after November

    [urge] = urges(silent)
    assert urge.actor.username == SYSTEM_USERNAME
    assert "2026年11月" in urge.note and "未报送进展" in urge.note
    assert not urges(reported)  # reported in November
    assert not urges(fresh)  # assigned during November: first due at the end of December
    assert "长期坚持周期催办" in out
    told = Notification.objects.filter(issue=silent, kind="urge").select_related("issue", "actor")
    assert {n.recipient.username for n in told} >= {"staff_b", "staff_b2", w.leader.user.username}
    assert {notification_text(n) for n in told} == {
        "长期坚持事项上一周期未报送进展，系统自动催办，请及时报送进展。"
    }
    silent.refresh_from_db()
    assert silent.urge_count == 1 and silent.deadline is None

    # the next working days of December: chased once for November, not every day
    run(clock, committed, D(2026, 12, 2))
    run(clock, committed, D(2026, 12, 15))
    assert len(urges(silent)) == 1 and not urges(reported) and not urges(fresh)

    # January: December passed without a report from any of them
    report(w, clock, silent, on=D(2026, 12, 10))
    run(clock, committed, D(2027, 1, 4))
    assert len(urges(silent)) == 1  # reported in December
    assert len(urges(reported)) == 1 and "2026年12月" in urges(reported)[0].note
    assert len(urges(fresh)) == 1


def test_a_late_report_before_the_run_spares_the_item(people, calendar, clock, committed):
    w = people
    issue = long_term(w, clock, "园区绿化持续推进", on=D(2026, 10, 12))
    report(w, clock, issue, on=D(2026, 12, 1))  # early on 1 December, before the run
    run(clock, committed, D(2026, 12, 1), hour=10)
    assert not urges(issue)


def test_nothing_is_chased_on_a_non_working_day_and_dated_issues_are_left_alone(
    people, calendar, clock, committed
):
    w = people
    issue = long_term(w, clock, "节后持续推进", on=D(2026, 8, 10))
    clock.set(D(2026, 8, 10), 8)
    dated = w.raise_issue(title="有时限的问题", at=at(D(2026, 8, 10)))
    workflow.transition(
        dated,
        actor=w.supervisor,
        action="assign",
        leader=w.leader,
        lead_department=w.dept_b,
        deadline=D(2026, 12, 31),
        at=at(D(2026, 8, 10)),
    )
    assert "Not a working day" in run(clock, committed, D(2026, 10, 1))
    assert not urges(issue)
    run(clock, committed, D(2026, 10, 8))  # the first working day of October
    assert len(urges(issue)) == 1 and "2026年9月" in urges(issue)[0].note
    assert not urges(dated)


def test_a_quarterly_cycle_is_chased_after_the_quarter(
    people, calendar, clock, committed, settings
):
    settings.LEDGER = {**settings.LEDGER, "LONG_TERM_CYCLE_MONTHS": 3}
    w = people
    issue = long_term(w, clock, "季度报送的长期事项", on=D(2026, 6, 15))
    report(w, clock, issue, on=D(2026, 6, 30))  # in the second quarter: not the third
    run(clock, committed, D(2026, 9, 1))  # inside the third quarter: nothing yet
    assert not urges(issue)
    run(clock, committed, D(2026, 10, 8))
    [urge] = urges(issue)
    assert "2026年7月至2026年9月" in urge.note
