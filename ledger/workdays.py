"""Working-day arithmetic for deadlines, flags, reminders and escalation.

A day is a working day when it is Monday–Friday and not a public holiday, or when it
is a make-up working day (调休上班日). The exceptions live in the Holiday table
(ledger/models/calendar.py), seeded from the `chinesecalendar` package and edited by
the administrator.

The table is read once and kept in this process. A change saved through the ORM clears
the copy of the process that saved it at once (signals below); every other process (each
gunicorn worker, the task worker) re-reads it when its copy is older than
settings.LEDGER["CALENDAR_CACHE_SECONDS"] (default 60 s). An admin's correction therefore
reaches every process within that time, and no request pays a query to check.

The models import this module (deadlines), so it never imports them: the table is looked up
in the app registry when first read, and the clearing signals are connected by
LedgerConfig.ready() (calendar_signals_connect).
"""

import datetime
import threading
import time
from collections.abc import Iterator

from django.apps import apps
from django.conf import settings
from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext

_lock = threading.Lock()
_cache: dict = {"loaded_at": None, "holidays": frozenset(), "makeup": frozenset()}
HOLIDAY_MODEL = "ledger.Holiday"


def calendar_cache_clear(**kwargs) -> None:
    """Forget the cached table (connected to Holiday's post_save/post_delete)."""
    with _lock:
        _cache["loaded_at"] = None


def _settings_changed(*, setting, **kwargs) -> None:
    if setting == "LEDGER":
        calendar_cache_clear()


def calendar_signals_connect() -> None:
    """The process that saves or deletes a Holiday clears its copy at once (the others
    re-read after the TTL); so does a change of settings.LEDGER (tests)."""
    post_save.connect(calendar_cache_clear, sender=HOLIDAY_MODEL, dispatch_uid="holiday_saved")
    post_delete.connect(calendar_cache_clear, sender=HOLIDAY_MODEL, dispatch_uid="holiday_deleted")
    setting_changed.connect(_settings_changed, dispatch_uid="holiday_settings_changed")


def _calendar() -> tuple[frozenset, frozenset]:
    ttl = settings.LEDGER.get("CALENDAR_CACHE_SECONDS", 60)
    loaded_at = _cache["loaded_at"]
    if loaded_at is None or time.monotonic() - loaded_at >= ttl:
        holiday = apps.get_model(HOLIDAY_MODEL)
        holidays, makeup = set(), set()
        for day, kind in holiday.objects.values_list("date", "kind"):
            (makeup if kind == holiday.Kind.MAKEUP else holidays).add(day)
        with _lock:
            _cache["holidays"], _cache["makeup"] = frozenset(holidays), frozenset(makeup)
            _cache["loaded_at"] = time.monotonic()
    return _cache["holidays"], _cache["makeup"]


def is_working_day(day: datetime.date) -> bool:
    holidays, makeup = _calendar()
    if day in makeup:
        return True
    if day in holidays:
        return False
    return day.weekday() < 5


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date `days` working days after `start` (start itself is not counted)."""
    day = start
    remaining = days
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


class WorkdayCounter:
    """Counts working days; keeps W(day), the working days after a fixed origin up to and
    including `day`, so that many counts over nearby dates (the assessment's thousands of
    issues) cost one walk over the calendar: the working days after `a` up to `b` are
    W(b) - W(a). One counter per computation: it does not see a later change of the table."""

    def __init__(self):
        self.origin = None
        self.counts: dict = {}

    def upto(self, day: datetime.date) -> int:
        """W(day): working days after the origin (the first day asked) up to `day`."""
        if day in self.counts:
            return self.counts[day]
        if self.origin is None:
            self.origin = day
            self.counts[day] = 0
            return 0
        # walk from the nearest known day (days arrive roughly in order)
        known = min(self.counts, key=lambda d: abs((d - day).days))
        count, step = self.counts[known], datetime.timedelta(days=1)
        while known < day:
            known += step
            count += is_working_day(known)
            self.counts[known] = count
        while known > day:
            count -= is_working_day(known)
            known -= step
            self.counts[known] = count
        return count

    def between(self, start: datetime.date, end: datetime.date) -> int:
        """Working days after `start` up to and including `end` (0 when end <= start)."""
        if end <= start:
            return 0
        return self.upto(end) - self.upto(start)


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start).

    working_days_between(d, add_working_days(d, n)) == n. For many counts, one
    WorkdayCounter.
    """
    return WorkdayCounter().between(start, end)


def next_working_day(day: datetime.date) -> datetime.date:
    """The first working day after `day`."""
    return add_working_days(day, 1)


def calendar_exceptions(start: datetime.date, end: datetime.date) -> tuple[list, list]:
    """(holidays, make-up working days) from `start` to `end`, sorted: what a date picker
    needs, besides Monday–Friday, to tell a working day (static/js/workdays.js)."""
    holidays, makeup = _calendar()
    return (
        sorted(day for day in holidays if start <= day <= end),
        sorted(day for day in makeup if start <= day <= end),
    )


def next_working_day_from(day: datetime.date) -> datetime.date:
    """`day` itself when it is a working day, else the first working day after it."""
    return day if is_working_day(day) else next_working_day(day)


def weekday_name(day: datetime.date) -> str:
    names = [gettext("周一"), gettext("周二"), gettext("周三"), gettext("周四")]
    names += [gettext("周五"), gettext("周六"), gettext("周日")]
    return names[day.weekday()]


def nonworking_warning(label: str, day: datetime.date) -> str | None:
    """What a person is told of a deadline on a weekend or holiday (None on a working day):
    the day, and the next working day offered instead."""
    if day is None or day == datetime.date.max or is_working_day(day):
        return None
    offered = next_working_day(day)
    return gettext(
        "%(label)s %(day)s（%(weekday)s）不是工作日（周末或节假日）；"
        "下一个工作日是 %(next)s（%(next_weekday)s）。"
    ) % {
        "label": label,
        "day": day.isoformat(),
        "weekday": weekday_name(day),
        "next": offered.isoformat(),
        "next_weekday": weekday_name(offered),
    }


# -- the chinesecalendar package ----------------------------------------------------

# the package names its holidays in English; the table holds what offices call them
PACKAGE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def package_days() -> Iterator[tuple[datetime.date, str, str]]:
    """(date, kind, name) for every holiday and make-up working day the package knows."""
    # import here: it takes ~40 ms, and only the sync command and a migration need it
    import chinese_calendar

    for day, name in sorted(chinese_calendar.holidays.items()):
        # the package lists ordinary weekends too (without a name): those need no row
        if name is None and day.weekday() >= 5:
            continue
        yield day, "holiday", PACKAGE_NAMES.get(str(name), str(name or ""))
    for day, name in sorted(chinese_calendar.workdays.items()):
        if day.weekday() >= 5:  # a weekend day made a working day: 调休上班日
            yield day, "makeup", PACKAGE_NAMES.get(str(name), str(name or ""))


def package_years() -> tuple[int, int]:
    days = [day for day, _kind, _name in package_days()]
    return min(days).year, max(days).year


def holidays_sync(model, *, dry_run: bool = False) -> dict[str, int]:
    """Bring the table (`model`: the Holiday model, historical in migrations) up to the package.

    Adds the days the table lacks and corrects rows still as the package gave them
    (`from_package`); a row an administrator added or edited is never touched.
    Returns counts: created, updated, kept (edited by an administrator), unchanged.
    """
    existing = {row.date: row for row in model.objects.all()}
    counts = {"created": 0, "updated": 0, "kept": 0, "unchanged": 0}
    new = []
    for day, kind, name in package_days():
        row = existing.get(day)
        if row is None:
            new.append(model(date=day, kind=kind, name=name, from_package=True))
            counts["created"] += 1
        elif not row.from_package:
            counts["kept"] += 1
        elif (row.kind, row.name) != (kind, name):
            counts["updated"] += 1
            if not dry_run:
                row.kind, row.name = kind, name
                row.save(update_fields=["kind", "name", "updated_at"])
        else:
            counts["unchanged"] += 1
    if new and not dry_run:
        model.objects.bulk_create(new)
    return counts
