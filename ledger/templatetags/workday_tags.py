"""The working-day calendar for date pickers: {% workday_calendar %} writes it once per page
as JSON (a <script type="application/json">, allowed by the strict CSP), with the texts
static/js/workdays.js shows when a deadline falls on a weekend or holiday."""

import datetime

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.html import json_script
from django.utils.translation import gettext as _

from ledger import workdays

register = template.Library()


@register.simple_tag(takes_context=True)
def workday_calendar(context):
    if context.render_context.get("workday_calendar_written"):
        return ""
    context.render_context["workday_calendar_written"] = True
    today = timezone.localdate()
    years = settings.LEDGER["DEADLINE_HORIZON_YEARS"]
    end = today + datetime.timedelta(days=366 * years + 31)
    holidays, makeup = workdays.calendar_exceptions(today - datetime.timedelta(days=31), end)
    data = {
        "holidays": [day.isoformat() for day in holidays],
        "makeup": [day.isoformat() for day in makeup],
        "weekdays": [workdays.weekday_name(datetime.date(2024, 1, d)) for d in range(1, 8)],
        # %(day)s, %(weekday)s, %(next)s and %(next_weekday)s are filled in by the script
        "warning": _(
            "%(day)s（%(weekday)s）不是工作日（周末或节假日）；"
            "下一个工作日是 %(next)s（%(next_weekday)s）。"
        ),
        "offer": _("改为 %(next)s"),
    }
    return json_script(data, "workday-calendar")
