"""Working-day arithmetic for deadlines and flags (Mon–Fri, minus configured holidays,
plus configured make-up working days, 调休)."""

import datetime
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _parse(dates: tuple[str, ...]) -> frozenset[datetime.date]:
    return frozenset(datetime.date.fromisoformat(d) for d in dates)


def is_working_day(day: datetime.date) -> bool:
    holidays = _parse(tuple(settings.LEDGER.get("HOLIDAYS", ())))
    makeup = _parse(tuple(settings.LEDGER.get("MAKEUP_WORKDAYS", ())))
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
