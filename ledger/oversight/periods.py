"""Periods the oversight screens report on, parsed from the URL with clear messages.

Dates are the local calendar (settings.TIME_ZONE, Asia/Shanghai): a period's instants
run from its first day 00:00 local time up to (not including) the day after its last.
"""

import datetime
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.utils import timezone
from django.utils.translation import gettext as _

MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_CUSTOM_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date  # inclusive
    kind: str  # year, quarter, month, range, week
    label: str
    params: tuple  # the URL parameters that name it, as (key, value) pairs

    def instants(self) -> tuple[datetime.datetime, datetime.datetime]:
        """[first day 00:00, day after the last 00:00) in the current (local) time zone."""
        tz = timezone.get_current_timezone()
        after = self.end + datetime.timedelta(days=1)
        return (
            datetime.datetime.combine(self.start, datetime.time(), tz),
            datetime.datetime.combine(after, datetime.time(), tz),
        )

    @property
    def query(self) -> str:
        return urlencode(self.params)


class PeriodError(ValueError):
    pass


def _int(value: str, what: str, low: int, high: int) -> int:
    value = (value or "").strip()
    if not re.fullmatch(r"\d{1,4}", value) or not low <= int(value) <= high:
        raise PeriodError(
            _("%(what)s“%(value)s”无效，应为 %(low)s 至 %(high)s 之间的整数。")
            % {"what": what, "value": value[:20], "low": low, "high": high}
        )
    return int(value)


def _date(value: str, what: str) -> datetime.date:
    value = (value or "").strip()
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise PeriodError(
            _("%(what)s“%(value)s”无效，请使用 YYYY-MM-DD 格式的日期。")
            % {"what": what, "value": value[:20]}
        ) from None


def month_period(year: int, month: int) -> Period:
    start = datetime.date(year, month, 1)
    nxt = datetime.date(year + month // 12, month % 12 + 1, 1)
    label = _("%(year)s年%(month)s月") % {"year": year, "month": month}
    return Period(
        start, nxt - datetime.timedelta(days=1), "month", label, (("year", year), ("month", month))
    )


def quarter_period(year: int, quarter: int) -> Period:
    first = month_period(year, quarter * 3 - 2)
    last = month_period(year, quarter * 3)
    label = _("%(year)s年第%(quarter)s季度") % {"year": year, "quarter": quarter}
    return Period(first.start, last.end, "quarter", label, (("year", year), ("quarter", quarter)))


def year_period(year: int) -> Period:
    label = _("%(year)s年") % {"year": year}
    return Period(
        datetime.date(year, 1, 1), datetime.date(year, 12, 31), "year", label, (("year", year),)
    )


def assessment_period(query, today: datetime.date) -> tuple[Period, str]:
    """The period asked for by ?year=…[&month=…|&quarter=…] or ?start=…&end=…; without
    parameters the current year. Invalid input gives the default and a message."""
    default = year_period(today.year)
    try:
        return _assessment_period(query, default), ""
    except PeriodError as error:
        return default, str(error)


def _assessment_period(query, default: Period) -> Period:
    start, end = query.get("start", "").strip(), query.get("end", "").strip()
    year, month, quarter = (query.get(k, "").strip() for k in ("year", "month", "quarter"))
    if start or end:
        if year or month or quarter:
            raise PeriodError(_("请选择按年、季、月统计，或填写起止日期，二者不能同时使用。"))
        if not (start and end):
            raise PeriodError(_("自定义期间须同时填写开始日期和结束日期。"))
        first, last = _date(start, _("开始日期")), _date(end, _("结束日期"))
        if last < first:
            raise PeriodError(_("结束日期不能早于开始日期。"))
        if (last - first).days > MAX_CUSTOM_DAYS:
            raise PeriodError(_("自定义期间最长三年。"))
        label = _("%(start)s 至 %(end)s") % {"start": first.isoformat(), "end": last.isoformat()}
        return Period(first, last, "range", label, (("start", start), ("end", end)))
    if not year:
        if month or quarter:
            raise PeriodError(_("按月或按季统计时请同时选择年份。"))
        return default
    year = _int(year, _("年份"), MIN_YEAR, MAX_YEAR)
    if month and quarter:
        raise PeriodError(_("月份和季度只能选择其一。"))
    if month:
        return month_period(year, _int(month, _("月份"), 1, 12))
    if quarter:
        return quarter_period(year, _int(quarter, _("季度"), 1, 4))
    return year_period(year)


def week_period(year: int, week: int) -> Period:
    start = datetime.date.fromisocalendar(year, week, 1)
    label = _("%(year)s年第%(week)s周（%(start)s 至 %(end)s）") % {
        "year": year,
        "week": week,
        "start": start.isoformat(),
        "end": (start + datetime.timedelta(days=6)).isoformat(),
    }
    return Period(
        start,
        start + datetime.timedelta(days=6),
        "week",
        label,
        (("week", f"{year}-W{week:02d}"),),
    )


def report_week(query, today: datetime.date) -> tuple[Period, str]:
    """?week=2026-W48 (ISO week); by default the last complete week."""
    last = today - datetime.timedelta(days=today.isoweekday() + 6)
    iso = last.isocalendar()
    default = week_period(iso.year, iso.week)
    value = (query.get("week") or "").strip()
    if not value:
        return default, ""
    match = re.fullmatch(r"(\d{4})-?W(\d{1,2})", value, flags=re.IGNORECASE)
    if match:
        year, week = int(match[1]), int(match[2])
        if MIN_YEAR <= year <= MAX_YEAR:
            try:
                return week_period(year, week), ""
            except ValueError:
                pass
    message = _("周次“%(value)s”无效，请使用 2026-W48 这样的 ISO 周次。") % {"value": value[:20]}
    return default, message


def _report_month(year: int, month: int) -> Period:
    period = month_period(year, month)
    return Period(
        period.start, period.end, "month", period.label, (("month", f"{year}-{month:02d}"),)
    )


def report_month(query, today: datetime.date) -> tuple[Period, str]:
    """?month=2026-11; by default the last complete month."""
    last = today.replace(day=1) - datetime.timedelta(days=1)
    default = _report_month(last.year, last.month)
    value = (query.get("month") or "").strip()
    if not value:
        return default, ""
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", value)
    if match and MIN_YEAR <= int(match[1]) <= MAX_YEAR and 1 <= int(match[2]) <= 12:
        return _report_month(int(match[1]), int(match[2])), ""
    message = _("月份“%(value)s”无效，请使用 2026-11 这样的年月。") % {"value": value[:20]}
    return default, message
