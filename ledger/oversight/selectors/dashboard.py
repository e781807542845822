"""The 督查看板: what is open, what is late, what came in and went out, by role.

Every figure is a ledger filter (the `query` of a Figure) and its count, aggregated in
SQL over the rows `selectors.ledger_queryset(user)` gives the ledger itself, so the
number on the dashboard is the number of rows its link opens (tests prove it).
"""

import datetime
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledger import summaries
from ledger.models import Category, Department, Health, Issue, Source, SummaryCount, User
from ledger.models.issues import HEALTH_ORDER
from ledger.oversight.charts import Bar, hbars, week_columns
from ledger.selectors import (
    OPEN_STATUS_VALUES,
    count_rows,
    first_rows,
    ledger_queryset,
    visible_to,
)
from ledger.selectors.issues import leader_id_of
from ledger.states import Status

WEEKS = 12
OVERDUE_LIST = 10
AGE_BUCKETS = [  # (label, youngest age in days, oldest age in days or None)
    (_("2 天以内"), 0, 2),
    (_("3–7 天"), 3, 7),
    (_("8–30 天"), 8, 30),
    (_("30 天以上"), 31, None),
]
RUNNING = [Status.ASSIGNED.value, Status.IN_PROGRESS.value]
# the statuses the tiles count
OPEN_TILE_STATUSES = [*OPEN_STATUS_VALUES, Status.RESOLVED.value]


@dataclass
class Figure:
    label: str
    count: int
    params: list
    tone: str = ""

    @property
    def query(self) -> str:
        return urlencode(self.params)


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), timezone.get_current_timezone())


def _span(field: str, first: datetime.date | None, last: datetime.date | None) -> Q:
    """`field` (a datetime) on local days first..last inclusive."""
    q = Q()
    if first is not None:
        q &= Q(**{f"{field}__gte": _day_start(first)})
    if last is not None:
        q &= Q(**{f"{field}__lt": _day_start(last + datetime.timedelta(days=1))})
    return q


def _dates(name: str, first, last) -> list:
    params = []
    if first is not None:
        params.append((f"{name}_after", first.isoformat()))
    if last is not None:
        params.append((f"{name}_before", last.isoformat()))
    return params


def _tile_names() -> list[str]:
    """The tiles counted by tiles(): open issues by status, by health light, and the
    unassigned ones by age."""
    return [
        *(f"status:{s}" for s in OPEN_TILE_STATUSES),
        *(f"health:{h.value}" for h in HEALTH_ORDER if h != Health.NONE),
        *(f"age:{index}" for index in range(len(AGE_BUCKETS))),
    ]


def _age_spans(today: datetime.date) -> list:
    spans = []
    for _label, young, old in AGE_BUCKETS:
        newest = today - datetime.timedelta(days=young)
        oldest = today - datetime.timedelta(days=old) if old is not None else None
        spans.append((oldest, newest))
    return spans


def tiles_from_issues(issues, today: datetime.date) -> dict:
    """The tiles' counts (see _tile_names) counted over the issues themselves: the
    definition the summary rows must equal, and the count of the few issues a staff member
    sees outside their department's rows (those they raised for another unit)."""
    counts = dict.fromkeys(_tile_names(), 0)
    for row in (
        issues.with_health(today)
        .filter(status__in=OPEN_TILE_STATUSES)
        .values("status", "health_code")
        .annotate(n=count_rows())
    ):
        counts[f"status:{row['status']}"] += row["n"]
        if row["status"] != Status.RESOLVED:
            counts[f"health:{row['health_code']}"] += row["n"]
    ages = {
        f"age:{index}": count_rows(filter=_span("raised_at", oldest, newest))
        for index, (oldest, newest) in enumerate(_age_spans(today))
    }
    counts.update(issues.filter(status=Status.RAISED).aggregate(**ages))
    return counts


def _rows_of(user) -> Q | None:
    """The summary rows of what `user` sees (visible_to), but for a staff member's own
    raises in other units (see tiles); None if the user sees nothing."""
    kind = SummaryCount.Kind
    if not user.is_active:
        return None
    if user.is_superuser or user.role in (User.Role.ADMIN, User.Role.SUPERVISOR):
        return Q(kind=kind.ALL, unit=0)
    if user.role == User.Role.LEADER and leader_id_of(user) is not None:
        return summaries.subjects_rows(leader_id_of(user))
    if user.role == User.Role.STAFF and user.department_id:
        return Q(kind=kind.INVOLVED, unit=user.department_id)
    return None


def tiles(user, today: datetime.date) -> dict:
    """The tiles' counts for `user`: the summary rows of their set added up, plus, for staff,
    the issues they raised for units other than their own (visible_to shows them too; a
    handful, counted from the issues), cached until the next event commits."""

    def compute():
        rows = _rows_of(user)
        if rows is None:
            return dict.fromkeys(_tile_names(), 0)
        counts = dict.fromkeys(_tile_names(), 0)
        bounds, spans = summaries.day_bounds(today), list(enumerate(_age_spans(today)))
        for _kind, status, day, _pending, n in summaries.grouped(rows):
            if status not in OPEN_TILE_STATUSES:
                continue
            counts[f"status:{status}"] += n
            if status == Status.RESOLVED:
                continue
            counts[f"health:{summaries.row_health(status, day, today, bounds)}"] += n
            if status == Status.RAISED:
                for index, (oldest, newest) in spans:
                    # a raised row's day is its local raise date
                    if day <= newest and (oldest is None or day >= oldest):
                        counts[f"age:{index}"] += n
        if rows == Q(kind=SummaryCount.Kind.INVOLVED, unit=user.department_id):
            co = Issue.co_departments.through.objects.filter(
                issue_id=OuterRef("pk"), department_id=user.department_id
            )
            elsewhere = Issue.objects.filter(raised_by_id=user.pk).exclude(
                Q(raising_department_id=user.department_id)
                | Q(lead_department_id=user.department_id)
                | Exists(co)
            )
            for name, n in tiles_from_issues(elsewhere.order_by(), today).items():
                counts[name] += n
        return counts

    name = (
        f"tiles:{user.pk}:{user.is_active}:{user.is_superuser}:{user.role}:"
        f"{user.department_id}:{leader_id_of(user)}:{today}"
    )
    return summaries.cached(name, compute)


def dashboard(user, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    issues = visible_to(user).order_by()
    open_statuses = OPEN_TILE_STATUSES

    # 1. open issues by status and by deadline health, 2. unassigned by age in calendar
    # days: the summary rows (one query, cached)
    counted = tiles(user, today)
    by_status = {s: counted[f"status:{s}"] for s in open_statuses}
    by_health = {h.value: counted[f"health:{h.value}"] for h in HEALTH_ORDER if h != Health.NONE}
    statuses = [
        Figure(Status(s).label, by_status.get(s, 0), [("status", s)]) for s in open_statuses
    ]
    health = [
        Figure(h.label, by_health.get(h.value, 0), [("health", h.value)], h.value)
        for h in HEALTH_ORDER
        if h != Health.NONE
    ]
    unassigned = []
    for index, ((label, _young, _old), (oldest, newest)) in enumerate(
        zip(AGE_BUCKETS, _age_spans(today), strict=True)
    ):
        unassigned.append(
            Figure(
                label,
                counted[f"age:{index}"],
                [("status", Status.RAISED.value), *_dates("raised", oldest, newest)],
            )
        )

    # 3. new and resolved per week, the last twelve ISO weeks (two queries)
    monday = today - datetime.timedelta(days=today.weekday())
    weeks, raised, resolved = [], {}, {}
    for index in range(WEEKS):
        start = monday - datetime.timedelta(weeks=WEEKS - 1 - index)
        end = start + datetime.timedelta(days=6)
        weeks.append({"start": start, "end": end})
        raised[f"n{index}"] = count_rows(filter=_span("raised_at", start, end))
        resolved[f"r{index}"] = count_rows(filter=_span("resolved_at", start, end))
    # only issues raised or resolved in the twelve weeks can count: each count reads its
    # own index (raised_at, resolved_at) alone, not the table
    counted = {
        **issues.filter(_span("raised_at", weeks[0]["start"], None)).aggregate(**raised),
        **issues.filter(_span("resolved_at", weeks[0]["start"], None)).aggregate(**resolved),
    }
    for index, week in enumerate(weeks):
        week["label"] = week["start"].strftime("%m-%d")
        week["new"] = Bar(
            _("新登记"),
            counted[f"n{index}"],
            urlencode(_dates("raised", week["start"], week["end"])),
            tone="new",
        )
        week["resolved"] = Bar(
            _("办结"),
            counted[f"r{index}"],
            urlencode(_dates("resolved", week["start"], week["end"])),
            tone="resolved",
        )

    # 4. open issues by category and by source, running ones by lead department: one
    # grouped query over the open issues (one index holds the four columns), added up here
    # — three scans of that index cost about twice as much at a million issues
    counts = {"category": Counter(), "source": Counter(), "lead_department": Counter()}
    for status, category, source, department, n in (
        issues.filter(status__in=OPEN_STATUS_VALUES)
        .values_list("status", "category", "source", "lead_department")
        .annotate(n=count_rows())
        .order_by()
    ):
        counts["category"][category] += n
        counts["source"][source] += n
        if status in RUNNING:
            counts["lead_department"][department] += n

    def grouped(field, model, extra):
        names = model.objects.filter(pk__in=list(counts[field])).order_by("order", "name")
        bars = []
        for obj in names:
            label = obj.label if isinstance(obj, Department) else obj.name
            params = [(field, str(obj.pk)), *extra]
            bars.append(Bar(label, counts[field][obj.pk], urlencode(params)))
        bars.sort(key=lambda bar: -bar.value)
        return hbars(bars)

    open_params = [("status", s) for s in OPEN_STATUS_VALUES]
    by_category = grouped("category", Category, open_params)
    by_source = grouped("source", Source, open_params)
    by_department = grouped("lead_department", Department, [("status", s) for s in RUNNING])

    # 5. satisfaction of closed issues (one query)
    rated = dict(
        issues.filter(status=Status.CLOSED).values_list("satisfaction").annotate(n=count_rows())
    )
    satisfaction = hbars(
        [
            Bar(
                choice.label,
                rated.get(choice.value, 0),
                urlencode([("status", "closed"), ("satisfaction", choice.value)]),
                tone=choice.value,
            )
            for choice in Issue.Satisfaction
        ]
    )
    satisfied = rated.get("satisfied", 0) + rated.get("basically", 0)
    total_rated = sum(rated.get(c.value, 0) for c in Issue.Satisfaction)

    # 6. the overdue list and what awaits 销号 (each its ids, then its rows: first_rows)
    rows = ledger_queryset(user)
    overdue = first_rows(
        rows.filter(status__in=RUNNING, deadline__lt=today).order_by(
            F("deadline").asc(), "-year", "-seq"
        ),
        OVERDUE_LIST,
    )
    awaiting = first_rows(
        rows.filter(status=Status.RESOLVED).order_by(
            F("resolved_at").asc(nulls_last=True), "-year", "-seq"
        ),
        OVERDUE_LIST,
    )
    return {
        "today": today,
        "statuses": statuses,
        "health": health,
        "unassigned": unassigned,
        "weeks": week_columns(weeks),
        "by_category": by_category,
        "by_source": by_source,
        "by_department": by_department,
        "satisfaction": satisfaction,
        "satisfaction_rate": (round(100 * satisfied / total_rated, 1) if total_rated else None),
        "overdue": overdue,
        "overdue_count": by_health.get(Health.RED.value, 0),
        "awaiting": awaiting,
        "awaiting_count": by_status.get(Status.RESOLVED.value, 0),
    }
