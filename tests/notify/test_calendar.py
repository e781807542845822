"""The working-day calendar: the Holiday table, its sync from chinesecalendar, the cache."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from ledger import workdays
from ledger.models import Holiday
from ledger.workdays import (
    add_working_days,
    holidays_sync,
    is_working_day,
    next_working_day,
    package_years,
    working_days_between,
)

D = datetime.date


@pytest.fixture
def empty_calendar(db):
    Holiday.objects.all().delete()


def test_without_rows_monday_to_friday_are_working_days(empty_calendar):
    assert [is_working_day(D(2030, 1, d)) for d in range(7, 14)] == [True] * 5 + [False] * 2


def test_a_holiday_is_off_and_a_makeup_saturday_is_on(empty_calendar):
    Holiday.objects.create(date=D(2030, 1, 8), kind="holiday", name="测试假日")
    Holiday.objects.create(date=D(2030, 1, 12), kind="makeup", name="测试调休")
    assert not is_working_day(D(2030, 1, 8))
    assert is_working_day(D(2030, 1, 12))
    assert add_working_days(D(2030, 1, 7), 1) == D(2030, 1, 9)
    assert add_working_days(D(2030, 1, 11), 1) == D(2030, 1, 12)
    assert working_days_between(D(2030, 1, 7), D(2030, 1, 14)) == 5  # 9–12 and 14
    assert working_days_between(D(2030, 1, 14), D(2030, 1, 7)) == 0
    assert next_working_day(D(2030, 1, 7)) == D(2030, 1, 9)


def test_the_sync_covers_the_package_and_keeps_an_administrators_edit(empty_calendar):
    counts = holidays_sync(Holiday)
    assert counts["created"] == Holiday.objects.count() > 700
    assert package_years() == (2004, 2026)
    national_day = Holiday.objects.get(date=D(2026, 10, 1))
    assert (national_day.kind, national_day.name, national_day.from_package) == (
        "holiday",
        "国庆节",
        True,
    )
    assert Holiday.objects.get(date=D(2026, 10, 10)).kind == "makeup"  # 调休 Saturday
    # ordinary weekends need no row
    assert not Holiday.objects.filter(date=D(2026, 11, 28)).exists()
    # an administrator's correction survives; a package row that drifted is put back
    Holiday.objects.filter(date=D(2026, 10, 7)).delete()
    Holiday.objects.create(date=D(2026, 10, 7), kind="holiday", name="国庆节（本地调整）")
    Holiday.objects.filter(date=D(2026, 10, 2)).update(name="旧名")
    counts = holidays_sync(Holiday)
    assert counts["kept"] == 1 and counts["updated"] == 1 and counts["created"] == 0
    assert Holiday.objects.get(date=D(2026, 10, 7)).name == "国庆节（本地调整）"
    assert Holiday.objects.get(date=D(2026, 10, 2)).name == "国庆节"


def test_holidays_sync_command_reports_and_is_idempotent(empty_calendar):
    out = io.StringIO()
    call_command("holidays_sync", "--dry-run", stdout=out)
    assert "dry run" in out.getvalue() and not Holiday.objects.exists()
    call_command("holidays_sync", stdout=io.StringIO())
    count = Holiday.objects.count()
    out = io.StringIO()
    call_command("holidays_sync", stdout=out)
    assert "新增 0" in out.getvalue() and Holiday.objects.count() == count


def test_a_save_clears_this_process_cache_at_once(empty_calendar):
    day = D(2030, 3, 4)
    assert is_working_day(day)
    Holiday.objects.create(date=day, kind="holiday", name="临时")
    assert not is_working_day(day)
    Holiday.objects.filter(date=day).delete()  # a queryset delete sends post_delete too
    assert is_working_day(day)


def test_another_process_change_is_seen_after_the_ttl(empty_calendar, monkeypatch, settings):
    """A row written by another process (no signal here): stale until the TTL has passed."""
    day = D(2030, 3, 5)
    clock = [1000.0]
    monkeypatch.setattr(workdays.time, "monotonic", lambda: clock[0])
    assert is_working_day(day)
    Holiday.objects.bulk_create([Holiday(date=day, kind="holiday")])  # bulk: no signal
    assert is_working_day(day)  # still the cached copy
    clock[0] += settings.LEDGER["CALENDAR_CACHE_SECONDS"] + 1
    assert not is_working_day(day)


def test_reading_the_calendar_costs_one_query_per_ttl(empty_calendar, django_assert_num_queries):
    workdays.calendar_cache_clear()
    with django_assert_num_queries(1):
        add_working_days(D(2030, 1, 1), 200)
        is_working_day(D(2031, 1, 1))


def test_admin_lists_by_year_and_an_edit_is_kept_from_the_sync(admin_client, empty_calendar):
    Holiday.objects.create(date=D(2026, 10, 1), kind="holiday", name="国庆节", from_package=True)
    changelist = reverse("admin:ledger_holiday_changelist")
    assert admin_client.get(changelist + "?date__year=2026&kind=holiday&q=国庆").status_code == 200
    holiday = Holiday.objects.get()
    response = admin_client.post(
        reverse("admin:ledger_holiday_change", args=[holiday.pk]),
        {"date": "2026-10-01", "kind": "holiday", "name": "国庆节（本地）"},
    )
    assert response.status_code == 302
    holiday.refresh_from_db()
    assert holiday.name == "国庆节（本地）" and not holiday.from_package
