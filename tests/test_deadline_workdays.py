"""Deadlines and working days (issue 16, 2.10): a deadline on a weekend or holiday is warned
of and the next working day offered, on the assign, reassign, extension, reopen and batch
forms; the issue page's "还剩 N 个工作日" counts working days."""

import ast
import datetime
import json
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from ledger import workdays
from ledger.models import Holiday
from tests import factories as f


@pytest.fixture(autouse=True)
def fresh_calendar():
    workdays.calendar_cache_clear()
    yield
    workdays.calendar_cache_clear()


def act(issue, action) -> str:
    return reverse("issue_action", kwargs={"number": issue.number, "action": action})


def weekend_day(after_days: int = 14) -> datetime.date:
    """A Saturday from `after_days` on that is not a make-up working day."""
    day = timezone.localdate() + datetime.timedelta(days=after_days)
    while day.weekday() != 5 or workdays.is_working_day(day):
        day += datetime.timedelta(days=1)
    return day


def holiday_on_a_weekday(after_days: int = 21) -> datetime.date:
    """A Wednesday made a holiday for the test (an administrator's entry)."""
    day = timezone.localdate() + datetime.timedelta(days=after_days)
    while day.weekday() != 2 or Holiday.objects.filter(date=day).exists():
        day += datetime.timedelta(days=1)
    Holiday.objects.create(date=day, kind=Holiday.Kind.HOLIDAY, name="测试假日")
    workdays.calendar_cache_clear()
    return day


def warnings_after(response, client) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(response.url)
    return "".join(str(m) for m in page.context["messages"])


def test_weekend_warning_names_the_day_and_the_next_working_day(db):
    saturday = weekend_day()
    text = workdays.nonworking_warning("完成时限", saturday)
    monday = workdays.next_working_day(saturday)
    assert monday > saturday and workdays.is_working_day(monday)
    assert f"{saturday.isoformat()}（周六）不是工作日" in text
    assert f"下一个工作日是 {monday.isoformat()}" in text
    assert workdays.nonworking_warning("完成时限", monday) is None


def test_a_holiday_is_skipped_when_offering_the_next_working_day(db):
    holiday = holiday_on_a_weekday()
    text = workdays.nonworking_warning("完成时限", holiday)
    assert "（周三）不是工作日" in text
    assert f"下一个工作日是 {(holiday + datetime.timedelta(days=1)).isoformat()}（周四）" in text


def test_a_make_up_working_day_needs_no_warning(db):
    saturday = weekend_day()
    Holiday.objects.create(date=saturday, kind=Holiday.Kind.MAKEUP, name="调休")
    workdays.calendar_cache_clear()
    assert workdays.nonworking_warning("完成时限", saturday) is None


@pytest.mark.parametrize(
    ("action", "state", "field"),
    [
        ("assign", "raised", "deadline"),
        ("reassign", "assigned", "deadline"),
        ("reopen", "resolved", "deadline"),
        ("extension_request", "in_progress", "new_deadline"),
    ],
)
def test_deadline_pickers_carry_the_calendar_for_the_warning(client, world, action, state, field):
    holiday = holiday_on_a_weekday()
    issue = {
        "raised": world.raise_issue,
        "assigned": world.assigned_issue,
        "resolved": world.resolved_issue,
        "in_progress": world.in_progress_issue,
    }[state]()
    user = world.staff_b if action == "extension_request" else world.supervisor
    client.force_login(user)
    html = client.get(act(issue, action)).content.decode()
    picker = re.search(rf'<input[^>]*name="{field}"[^>]*>', html).group(0)
    assert "data-workday-check" in picker
    data = re.search(r'<script id="workday-calendar" type="application/json">(.*?)</script>', html)
    calendar = json.loads(data.group(1))
    assert holiday.isoformat() in calendar["holidays"]
    assert "不是工作日" in calendar["warning"] and "%(next)s" in calendar["offer"]
    assert "js/workdays.js" in html


def test_assigning_on_a_saturday_is_done_and_warned_with_the_next_working_day(client, world):
    issue = world.raise_issue()
    saturday = weekend_day()
    client.force_login(world.supervisor)
    response = client.post(
        act(issue, "assign"),
        {
            "version": issue.version,
            "leader": world.leader.pk,
            "lead_department": world.dept_b.pk,
            "deadline": saturday.isoformat(),
        },
    )
    text = warnings_after(response, client)
    issue.refresh_from_db()
    assert issue.status == "assigned" and issue.deadline == saturday
    monday = workdays.next_working_day(saturday)
    assert f"完成时限 {saturday.isoformat()}（周六）不是工作日" in text
    assert f"下一个工作日是 {monday.isoformat()}" in text


def test_reopen_and_extension_on_a_holiday_are_warned(client, world):
    holiday = holiday_on_a_weekday()
    issue = world.resolved_issue()
    client.force_login(world.supervisor)
    response = client.post(
        act(issue, "reopen"),
        {"version": issue.version, "deadline": holiday.isoformat(), "note": "企业反映仍有积水"},
    )
    assert f"新的完成时限 {holiday.isoformat()}（周三）不是工作日" in warnings_after(
        response, client
    )

    other = world.in_progress_issue()
    client.force_login(world.staff_b)
    response = client.post(
        act(other, "extension_request"),
        {"version": other.version, "new_deadline": holiday.isoformat(), "note": "需协调"},
    )
    assert f"申请延至 {holiday.isoformat()}（周三）不是工作日" in warnings_after(response, client)


def test_a_working_day_deadline_brings_no_warning(client, world):
    issue = world.raise_issue()
    monday = workdays.next_working_day(weekend_day())
    client.force_login(world.supervisor)
    response = client.post(
        act(issue, "assign"),
        {
            "version": issue.version,
            "leader": world.leader.pk,
            "lead_department": world.dept_b.pk,
            "deadline": monday.isoformat(),
        },
    )
    assert "不是工作日" not in warnings_after(response, client)


def test_batch_assign_on_a_weekend_is_warned_and_its_picker_checked(client, world):
    issue = world.raise_issue()
    saturday = weekend_day()
    client.force_login(world.supervisor)
    html = client.get(f"/issues/batch/?numbers={issue.number}&action=assign").content.decode()
    assert "data-workday-check" in re.search(r'<input[^>]*name="deadline"[^>]*>', html).group(0)
    assert 'id="workday-calendar"' in html
    response = client.post(
        "/issues/batch/",
        {
            "numbers": [issue.number],
            "action": "assign",
            "leader": world.leader.pk,
            "lead_department": world.dept_b.pk,
            "deadline": saturday.isoformat(),
            # the version the confirmation page carried (a batch without versions is refused)
            f"version-{issue.number}": str(issue.version),
        },
    )
    assert f"{saturday.isoformat()}（周六）不是工作日" in warnings_after(response, client)


def test_days_left_on_the_issue_page_are_working_days(client, world):
    holiday = holiday_on_a_weekday()
    deadline = holiday + datetime.timedelta(days=7)  # the Wednesday after the holiday
    issue = world.assigned_issue(deadline_days=(deadline - timezone.localdate()).days)
    assert issue.deadline == deadline
    today = timezone.localdate()
    working = workdays.working_days_between(today, deadline)
    calendar_days = (deadline - today).days
    assert working < calendar_days - 4  # weekends and the holiday are left out
    client.force_login(world.supervisor)
    html = client.get(issue.get_absolute_url()).content.decode()
    left = re.search(r'data-testid="working-days-left"[^>]*>([^<]*)<', html).group(1)
    assert left == f"还剩 {working} 个工作日"
    assert f"还剩 {calendar_days} 天" not in html
    assert f.days_from_today(calendar_days) == deadline


# -- one working-day counter ------------------------------------------------------------------


def _counted_day_by_day(start: datetime.date, end: datetime.date) -> int:
    """The definition, written out: the working days after `start` up to and including `end`."""
    days = (end - start).days
    return sum(
        workdays.is_working_day(start + datetime.timedelta(days=n)) for n in range(1, days + 1)
    )


# the seeded calendar's holidays and make-up days (the 2024–2026 Spring Festivals, National Days …)
CALENDAR_DATES = st.dates(
    min_value=datetime.date(2023, 12, 1), max_value=datetime.date(2026, 12, 31)
)


@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pairs=st.lists(st.tuples(CALENDAR_DATES, CALENDAR_DATES), min_size=1, max_size=12))
def test_the_counters_agree_with_counting_day_by_day(db, pairs):
    assert Holiday.objects.filter(kind=Holiday.Kind.MAKEUP, date__year=2025).exists()
    shared = workdays.WorkdayCounter()  # one counter over many pairs, as the assessment uses it
    for start, end in pairs:
        expected = _counted_day_by_day(start, end)
        assert workdays.working_days_between(start, end) == expected
        assert shared.between(start, end) == expected
        assert shared.upto(end) - shared.upto(start) == _counted_day_by_day(
            start, end
        ) - _counted_day_by_day(end, start)


@hsettings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(start=CALENDAR_DATES, n=st.integers(min_value=0, max_value=40))
def test_counting_undoes_adding_working_days(db, start, n):
    assert workdays.working_days_between(start, workdays.add_working_days(start, n)) == n


def test_a_saved_holiday_is_counted_at_once_without_waiting_for_the_cache(db, settings):
    settings.LEDGER = {**settings.LEDGER, "CALENDAR_CACHE_SECONDS": 3600}
    wednesday = datetime.date(2031, 6, 11)
    assert workdays.working_days_between(wednesday - datetime.timedelta(days=1), wednesday) == 1
    holiday = Holiday.objects.create(date=wednesday, kind=Holiday.Kind.HOLIDAY, name="测试假日")
    assert workdays.working_days_between(wednesday - datetime.timedelta(days=1), wednesday) == 0
    holiday.delete()
    assert workdays.is_working_day(wednesday)


def test_workdays_never_imports_the_models():
    """The models import workdays (deadlines); the reverse would be an import cycle."""
    tree = ast.parse(Path(workdays.__file__).read_text())
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not {name for name in imported if name and name.startswith("ledger")}
