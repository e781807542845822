"""周报 / 月报: what happened in a week or a month, as the offices report it upward.

Periods are local calendar days (Asia/Shanghai): an issue raised at 23:30 on the last
day belongs to the period, one raised at 00:30 the day after does not. Each figure is a
ledger filter; counts are aggregated in SQL over the issues the user may see.
"""

import datetime
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledger.models import Category, Department, IssueEvent
from ledger.oversight.models import DayFact, Dimension
from ledger.selectors import count_rows, ledger_queryset, visible_to
from ledger.states import RUNNING_STATUSES, Action, Status

LATE_CASES = 15


@dataclass
class Line:
    """One row of a breakdown: a category or a department with its figures and links."""

    label: str
    counts: dict = field(default_factory=dict)
    links: dict = field(default_factory=dict)

    @property
    def cells(self) -> list[dict]:
        return [
            {"label": label, "count": self.counts[key], "query": self.links[key]}
            for key, label in FIGURES.items()
        ]


# figure key -> label; the order of the report's columns
FIGURES = {
    "new": _("新登记"),
    "assigned": _("交办"),
    "resolved": _("办结"),
    "closed": _("销号"),
    "late": _("逾期"),
    "escalated": _("督办"),
}


def _conditions(period, today: datetime.date) -> dict:
    """figure key -> (Q over issues, ledger filter params) for the period."""
    start, after = period.instants()
    first, last = period.start.isoformat(), period.end.isoformat()
    escalated = Exists(
        IssueEvent.objects.filter(
            issue_id=OuterRef("pk"),
            action=Action.ESCALATE,
            created_at__gte=start,
            created_at__lt=after,
        )
    )
    late = Q(status__in=RUNNING_STATUSES, deadline__lt=today) | Q(
        status__in=[Status.RESOLVED, Status.CLOSED], resolved_on_time=False
    )
    return {
        "new": (
            Q(raised_at__gte=start, raised_at__lt=after),
            [("raised_after", first), ("raised_before", last)],
        ),
        "assigned": (
            Q(assigned_at__gte=start, assigned_at__lt=after),
            [("assigned_after", first), ("assigned_before", last)],
        ),
        "resolved": (
            Q(resolved_at__gte=start, resolved_at__lt=after),
            [("resolved_after", first), ("resolved_before", last)],
        ),
        "closed": (
            Q(closed_at__gte=start, closed_at__lt=after),
            [("closed_after", first), ("closed_before", last)],
        ),
        # due in the period and not resolved by the deadline (still open, or resolved late)
        "late": (
            Q(deadline__gte=period.start, deadline__lte=period.end) & late,
            [("deadline_after", first), ("deadline_before", last), ("late", "1")],
        ),
        "escalated": (
            Q(escalated),
            [("escalated_on_after", first), ("escalated_on_before", last)],
        ),
    }


def report(user, period, today: datetime.date | None = None) -> dict:
    """The report of `period`: figures from the day-level facts for who sees every issue,
    counted from the issues they may see for anyone else (the same figures either way)."""
    today = today or timezone.localdate()
    if getattr(user, "sees_everything", False):
        totals, lines = figures_from_facts(period, today)
    else:
        totals, lines = figures_by_query(user, period, today)
    return _report(user, period, today, totals, lines)


def figures_by_query(user, period, today: datetime.date) -> tuple[dict, dict]:
    """(totals, {field: {pk: counts}}) counted from the issues `user` may see: the
    definition the facts must equal."""
    conditions = _conditions(period, today)
    # only the issues something happened to in the period can count in any figure: read
    # those (indexes on each date, the escalations from the events), not every issue with
    # a per-row EXISTS — at a million issues that took seconds
    start, after = period.instants()
    escalated_ids = IssueEvent.objects.filter(
        action=Action.ESCALATE, created_at__gte=start, created_at__lt=after
    ).values("issue_id")
    touched = (
        Q(raised_at__gte=start, raised_at__lt=after)
        | Q(assigned_at__gte=start, assigned_at__lt=after)
        | Q(resolved_at__gte=start, resolved_at__lt=after)
        | Q(closed_at__gte=start, closed_at__lt=after)
        | Q(deadline__gte=period.start, deadline__lte=period.end)
        | Q(pk__in=escalated_ids)
    )
    issues = visible_to(user).filter(touched).order_by()
    counts = {key: count_rows(filter=q) for key, (q, _params) in conditions.items()}
    totals = issues.aggregate(**counts)
    lines = {}
    for field_name in BREAKDOWNS:
        lines[field_name] = {
            row.pop(field_name): row
            for row in issues.filter(**{f"{field_name}__isnull": False})
            .values(field_name)
            .annotate(**counts)
        }
    return totals, lines


BREAKDOWNS = {"category": Dimension.CATEGORY, "lead_department": Dimension.DEPARTMENT}


def figures_from_facts(period, today: datetime.date) -> tuple[dict, dict]:
    """The same figures from the day rows of every issue: new, assigned, resolved and closed
    by the day they happened, 逾期 by the deadline's day (running with the deadline before
    today, or resolved late); 督办 from the period's escalation events (an issue escalated
    on two days of the period counts once)."""
    in_period = Q(day__gte=period.start, day__lte=period.end)
    sums = {
        "new": Sum("raised", filter=in_period),
        "assigned": Sum("assigned", filter=in_period),
        "resolved": Sum("resolved", filter=in_period),
        "closed": Sum("closed", filter=in_period),
        "late_running": Sum("running", filter=in_period & Q(day__lt=today)),
        "late_done": Sum("late_done", filter=in_period),
    }
    rows = DayFact.objects.filter(in_period).order_by().values("dimension", "unit").annotate(**sums)
    start, after = period.instants()
    escalations = IssueEvent.objects.filter(
        action=Action.ESCALATE, created_at__gte=start, created_at__lt=after
    ).order_by()
    escalated = {
        (Dimension.TOTAL.value, 0): escalations.aggregate(n=Count("issue", distinct=True))["n"]
    }
    for field_name, dimension in BREAKDOWNS.items():
        grouped = (
            escalations.filter(**{f"issue__{field_name}__isnull": False})
            .values(f"issue__{field_name}")
            .annotate(n=Count("issue", distinct=True))
        )
        for item in grouped:
            escalated[dimension.value, item[f"issue__{field_name}"]] = item["n"]

    def counts_of(row):
        return {
            "new": row.get("new") or 0,
            "assigned": row.get("assigned") or 0,
            "resolved": row.get("resolved") or 0,
            "closed": row.get("closed") or 0,
            "late": (row.get("late_running") or 0) + (row.get("late_done") or 0),
            "escalated": 0,
        }

    found = {(row.pop("dimension"), row.pop("unit")): counts_of(row) for row in rows}
    for key, n in escalated.items():
        found.setdefault(key, counts_of({}))["escalated"] = n
    totals = found.get((Dimension.TOTAL.value, 0), counts_of({}))
    lines = {
        field_name: {
            unit: counts for (dim, unit), counts in found.items() if dim == dimension.value
        }
        for field_name, dimension in BREAKDOWNS.items()
    }
    return totals, lines


def _report(user, period, today, totals: dict, lines: dict) -> dict:
    conditions = _conditions(period, today)
    summary = [
        {
            "key": key,
            "label": FIGURES[key],
            "count": totals[key],
            "query": urlencode(conditions[key][1]),
        }
        for key in FIGURES
    ]

    def breakdown(field_name, model, label_of):
        found = lines[field_name]
        result = []
        for obj in model.objects.filter(pk__in=list(found)).order_by("order", "name"):
            row = found[obj.pk]
            if not any(row.values()):
                continue
            result.append(
                Line(
                    label_of(obj),
                    counts=row,
                    links={
                        key: urlencode([(field_name, str(obj.pk)), *conditions[key][1]])
                        for key in FIGURES
                    },
                )
            )
        return result

    by_category = breakdown("category", Category, lambda c: c.name)
    by_department = breakdown("lead_department", Department, lambda d: d.label)

    late_q, late_params = conditions["late"]
    late_cases = list(
        ledger_queryset(user)
        .filter(late_q)
        .order_by("-is_escalated", "deadline", "-year", "-seq")[:LATE_CASES]
    )
    for issue in late_cases:
        end = timezone.localdate(issue.resolved_at) if issue.resolved_at else today
        issue.days_late = (end - issue.deadline).days
    return {
        "period": period,
        "today": today,
        "summary": summary,
        "by_category": by_category,
        "by_department": by_department,
        "late_cases": late_cases,
        "late_count": totals["late"],
        "late_query": urlencode(late_params),
        "figures": FIGURES,
    }
