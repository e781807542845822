"""Assessment (目标考核) per lead department and per responsible leader for a period.

The formulas are written out in docs/assessment.md and on
the page. An issue belongs to the period in which its deadline in force (Issue.deadline,
moved by approved extensions and reopening) falls; withdrawn issues never count.

Every figure is computed in a fixed number of queries whatever the number of units or
issues: counts are aggregated in SQL grouped by unit; the two figures that need the
working-day calendar (timely acceptance, working days to resolve) are decided in Python
over one list of rows.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledger.models import Department, Issue, IssueEvent, Leader
from ledger.oversight.models import DayFact, Dimension
from ledger.rates import Rate
from ledger.selectors import count_rows, visible_to
from ledger.states import RUNNING_STATUSES, Action, Status
from ledger.workdays import WorkdayCounter, add_working_days

DONE = [Status.RESOLVED, Status.CLOSED]
# statuses of an issue that counts for its lead department / leader (not raised, not withdrawn)
COUNTED = [Status.ASSIGNED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED]
NOT_WITHDRAWN = [Status.RAISED, *COUNTED]
SATISFIED = [Issue.Satisfaction.SATISFIED, Issue.Satisfaction.BASICALLY]
RATED = [s.value for s in Issue.Satisfaction]

DEPARTMENT, LEADER = "department", "leader"


# rate key -> (label, weight setting, higher is better)
RATES = {
    "done": (_("办结率"), "WEIGHT_DONE", True),
    "on_time": (_("按时办结率"), "WEIGHT_ON_TIME", True),
    "accepted": (_("及时签收率"), "WEIGHT_ACCEPTED", True),
    "returned": (_("退回率"), "WEIGHT_RETURNED", False),
    "reopened": (_("重办率"), "WEIGHT_REOPENED", False),
    "callback": (_("回访率"), "WEIGHT_CALLBACK", True),
    "satisfied": (_("满意率"), "WEIGHT_SATISFIED", True),
}


@dataclass
class UnitRow:
    """One department or leader in the assessment table."""

    kind: str
    unit: object
    name: str
    due: int = 0
    done: int = 0
    on_time: int = 0
    accepted: int = 0
    returned: int = 0
    returned_away: int = 0
    reopened: int = 0
    resolved_ever: int = 0
    rated: int = 0
    satisfied: int = 0
    escalated: int = 0
    late_open: int = 0
    overdue_now: int = 0
    working_days: list = field(default_factory=list)
    # the same figure summed in SQL-grouped form: total working days and how many issues
    working_days_total: int = 0
    working_days_count: int = 0
    score: Decimal | None = None
    rank: int | None = None
    deductions: Decimal = Decimal(0)
    links: dict = field(default_factory=dict)

    @property
    def assigned(self) -> int:
        """Issues of the period given to the unit: those it still leads plus those it returned."""
        return self.due + self.returned_away

    @property
    def rates(self) -> dict[str, Rate]:
        return {
            "done": Rate(self.done, self.due),
            "on_time": Rate(self.on_time, self.due),
            "accepted": Rate(self.accepted, self.due),
            "returned": Rate(self.returned, self.assigned),
            "reopened": Rate(self.reopened, self.resolved_ever),
            "callback": Rate(self.rated, self.done),
            "satisfied": Rate(self.satisfied, self.rated),
        }

    @property
    def rate_cells(self) -> list[tuple[str, Rate, str]]:
        """(key, rate, ledger query of its numerator) in the table's column order."""
        return [(key, rate, self.links.get(key, "")) for key, rate in self.rates.items()]

    @property
    def avg_days(self) -> Decimal | None:
        count = len(self.working_days) + self.working_days_count
        if not count:
            return None
        total = Decimal(sum(self.working_days) + self.working_days_total) / count
        return total.quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass
class Assessment:
    kind: str
    period: object
    rows: list  # ranked first (by rank), then units with nothing due
    today: datetime.date

    @property
    def ranked(self) -> list:
        return [row for row in self.rows if row.rank is not None]

    @property
    def red_board(self) -> list:
        """红榜: the top five ranked units."""
        return self.ranked[: settings.ASSESSMENT["BOARD_SIZE"]]

    @property
    def black_board(self) -> list:
        """黑榜: the bottom five ranked units not already on the 红榜, worst first."""
        size = settings.ASSESSMENT["BOARD_SIZE"]
        ranked = self.ranked
        rest = ranked[len(self.red_board) :]
        return list(reversed(rest[-size:]))


def accepted_on_time(assigned_on: datetime.date, accepted_on: datetime.date) -> bool:
    """filters.accepted_in_time() on local days: 签收 no later than
    ACCEPT_WITHIN_WORKING_DAYS working days after the day of assignment."""
    return accepted_on <= add_working_days(
        assigned_on, settings.LEDGER["ACCEPT_WITHIN_WORKING_DAYS"]
    )


def _score(row: UnitRow) -> tuple[Decimal | None, Decimal]:
    """100 × the weighted mean of the rates that have a base (退回率 and 重办率 count as
    1 − rate), less the deductions; never below 0. None when nothing was due."""
    if not row.due:
        return None, Decimal(0)
    rules = settings.ASSESSMENT
    total = weight_sum = Decimal(0)
    for key, rate in row.rates.items():
        _label, weight_key, higher_is_better = RATES[key]
        weight = Decimal(rules[weight_key])
        if rate.den == 0 or weight == 0:
            continue
        share = Decimal(rate.num) / Decimal(rate.den)
        total += weight * (share if higher_is_better else 1 - share)
        weight_sum += weight
    base = total * 100 / weight_sum if weight_sum else Decimal(100)
    deductions = (
        Decimal(rules["DEDUCT_OVERDUE"]) * row.late_open
        + Decimal(rules["DEDUCT_ESCALATED"]) * row.escalated
    )
    score = max(base - deductions, Decimal(0)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return score, deductions


def _rank(rows: list[UnitRow]) -> list[UnitRow]:
    """Competition ranking (1, 1, 3) by score; units with nothing due come last, unranked."""
    scored = sorted(
        (row for row in rows if row.score is not None),
        key=lambda row: (-row.score, -row.due, row.name),
    )
    previous, rank = None, 0
    for position, row in enumerate(scored, start=1):
        if row.score != previous:
            rank, previous = position, row.score
        row.rank = rank
    unscored = [row for row in rows if row.score is None]
    return scored + unscored


def _links(row: UnitRow, period) -> dict[str, str]:
    """The ledger query behind each figure of the row (see ledger/filters.py)."""
    key = "lead_department" if row.kind == DEPARTMENT else "leader"
    span = [
        ("deadline_after", period.start.isoformat()),
        ("deadline_before", period.end.isoformat()),
    ]
    unit = [(key, str(row.unit.pk))]
    base = unit + span + [("status", s.value) for s in map(Status, COUNTED)]
    done = unit + span + [("status", s.value) for s in map(Status, DONE)]
    if row.kind == DEPARTMENT:
        returned = [("returned_by", str(row.unit.pk))] + span
    else:
        returned = unit + span + [("returned", "1")]
    returned += [("status", s.value) for s in map(Status, NOT_WITHDRAWN)]
    return {
        name: urlencode(params)
        for name, params in {
            "due": base,
            "done": done,
            "on_time": done + [("resolved_on_time", "1")],
            "accepted": base + [("accepted_in_time", "1")],
            "returned": returned,
            "reopened": base + [("reopened", "1")],
            "callback": base + [("satisfaction", s) for s in RATED],
            "satisfied": base + [("satisfaction", str(s)) for s in SATISFIED],
            "late_open": unit
            + span
            + [("status", "assigned"), ("status", "in_progress")]
            + [("health", "red")],
            "escalated": base + [("escalated", "1")],
            "overdue_now": unit + [("health", "red")],
        }.items()
    }


def assessment(user, period, *, kind: str = DEPARTMENT, today: datetime.date | None = None):
    """The assessment table for `period` (periods.Period) by department or by leader.

    Only issues `user` may see are counted (the view lets only the oversight office and
    administrators in, who see all of them). Who sees every issue gets the figures from the
    day-level facts (ledger/oversight/facts.py); anyone else, from the issues they may see."""
    today = today or timezone.localdate()
    if getattr(user, "sees_everything", False):
        return assessment_from_facts(period, kind=kind, today=today)
    return assessment_by_query(user, period, kind=kind, today=today)


def _unit_rows(kind: str) -> dict:
    if kind == DEPARTMENT:
        units = Department.objects.exclude(kind=Department.Kind.OVERSIGHT)
    else:
        units = Leader.objects.select_related("user")
    rows: dict[int, UnitRow] = {}
    for unit in units:
        name = unit.label if kind == DEPARTMENT else unit.name
        rows[unit.pk] = UnitRow(kind=kind, unit=unit, name=name)
    return rows


def _table(rows: dict, kind: str, period, today) -> Assessment:
    # units that are inactive and have nothing in the period or overdue are left out
    shown = [
        row
        for row in rows.values()
        if row.unit.is_active or row.due or row.overdue_now or row.returned
    ]
    for row in shown:
        row.score, row.deductions = _score(row)
        row.links = _links(row, period)
    return Assessment(kind=kind, period=period, rows=_rank(shown), today=today)


# DayFact column -> UnitRow attribute, for the figures summed over the period's days
FACT_FIGURES = {
    "due": "due",
    "done": "done",
    "on_time": "on_time",
    "accepted": "accepted",
    "reopened": "reopened",
    "resolved_ever": "resolved_ever",
    "rated": "rated",
    "satisfied": "satisfied",
    "escalated": "escalated",
    "returned": "returned",
    "returned_away": "returned_away",
    "wd_total": "working_days_total",
    "wd_count": "working_days_count",
}


def assessment_from_facts(period, *, kind: str = DEPARTMENT, today: datetime.date | None = None):
    """The assessment of every issue from the day rows: two grouped sums over
    (days × units) rows, whatever the number of issues. Equal to assessment_by_query for a
    user who sees everything (tests/oversight/test_facts.py proves it on random histories)."""
    today = today or timezone.localdate()
    dimension = Dimension.DEPARTMENT if kind == DEPARTMENT else Dimension.LEADER
    facts = DayFact.objects.filter(dimension=dimension).order_by().values("unit")
    sums = {column: Sum(column) for column in FACT_FIGURES}
    sums["late_open"] = Sum("running", filter=Q(day__lt=today))
    in_period = facts.filter(day__gte=period.start, day__lte=period.end).annotate(**sums)
    overdue = facts.filter(day__lt=today, running__gt=0).annotate(n=Sum("running"))
    rows = _unit_rows(kind)
    for item in in_period:
        row = rows.get(item["unit"])
        if row is None:
            continue
        for column, attribute in FACT_FIGURES.items():
            setattr(row, attribute, item[column] or 0)
        row.late_open = item["late_open"] or 0
    for item in overdue:
        row = rows.get(item["unit"])
        if row is not None:
            row.overdue_now = item["n"] or 0
    return _table(rows, kind, period, today)


def assessment_by_query(
    user, period, *, kind: str = DEPARTMENT, today: datetime.date | None = None
):
    """The assessment counted from the issues `user` may see: the definition the facts
    must equal (and the path for anyone who does not see every issue)."""
    today = today or timezone.localdate()
    key = "lead_department" if kind == DEPARTMENT else "leader"
    issues = visible_to(user)
    in_period = Q(deadline__gte=period.start, deadline__lte=period.end)
    counted = issues.filter(in_period, status__in=COUNTED, **{f"{key}__isnull": False})
    reopened = Exists(IssueEvent.objects.filter(issue_id=OuterRef("pk"), action=Action.REOPEN))

    # 1. the counts, grouped by unit
    counts = (
        counted.order_by()
        .values(key)
        .annotate(
            due=count_rows(),
            done=count_rows(filter=Q(status__in=DONE)),
            on_time=count_rows(filter=Q(status__in=DONE, resolved_on_time=True)),
            reopened=count_rows(filter=Q(reopened)),
            resolved_ever=count_rows(filter=Q(status__in=DONE) | Q(reopened)),
            rated=count_rows(filter=Q(satisfaction__in=RATED)),
            satisfied=count_rows(filter=Q(satisfaction__in=SATISFIED)),
            escalated=count_rows(filter=Q(is_escalated=True)),
            late_open=count_rows(filter=Q(status__in=RUNNING_STATUSES, deadline__lt=today)),
        )
    )
    # 2. returns: by the returning department (the actor's) or by the issue's leader
    returns = IssueEvent.objects.filter(
        action=Action.RETURN,
        issue__in=issues.filter(in_period, status__in=NOT_WITHDRAWN),
    ).order_by()
    if kind == DEPARTMENT:
        returns = (
            returns.filter(actor_department__isnull=False)
            .values(unit_id=F("actor_department"))
            .annotate(
                returned=Count("issue", distinct=True),
                returned_away=Count(
                    "issue",
                    distinct=True,
                    filter=~Q(issue__lead_department=F("actor_department"))
                    | Q(issue__lead_department__isnull=True),
                ),
            )
        )
    else:
        returns = (
            returns.filter(issue__leader__isnull=False)
            .values(unit_id=F("issue__leader"))
            .annotate(
                returned=Count("issue", distinct=True),
                returned_away=Count("issue", distinct=True, filter=Q(issue__status=Status.RAISED)),
            )
        )
    # 3. the timings that need the working-day calendar, grouped by local day in SQL (a
    # year of a million-issue ledger is ~200,000 rows; the calendar is applied per day)
    local = timezone.get_current_timezone()
    assigned_day = TruncDate("assigned_at", tzinfo=local)
    acceptances = (
        counted.filter(assigned_at__isnull=False, accepted_at__isnull=False)
        .order_by()
        .values_list(key, assigned_day, TruncDate("accepted_at", tzinfo=local))
        .annotate(n=count_rows())
    )
    finished = counted.filter(
        status__in=DONE, assigned_at__isnull=False, resolved_at__isnull=False
    ).order_by()
    # working days from assignment to resolution = W(resolved day) - W(assigned day), W the
    # running count of working days: summed per unit from two day histograms
    assigned_days = finished.values_list(key, assigned_day).annotate(n=count_rows())
    resolved_days = finished.values_list(key, TruncDate("resolved_at", tzinfo=local)).annotate(
        n=count_rows()
    )
    # 4. overdue now, whatever the period
    overdue = (
        issues.overdue(today)
        .filter(**{f"{key}__isnull": False})
        .order_by()
        .values(key)
        .annotate(n=count_rows())
    )
    # 5. the units
    rows = _unit_rows(kind)

    def row_for(pk):
        return rows.get(pk)

    for item in counts:
        row = row_for(item.pop(key))
        if row is not None:
            for name, value in item.items():
                setattr(row, name, value)
    for item in returns:
        row = row_for(item["unit_id"])
        if row is not None:
            row.returned, row.returned_away = item["returned"], item["returned_away"]
    in_time: dict = {}
    for pk, assigned_on, accepted_on, n in acceptances:
        row = row_for(pk)
        if row is None:
            continue
        if (assigned_on, accepted_on) not in in_time:
            in_time[assigned_on, accepted_on] = accepted_on_time(assigned_on, accepted_on)
        row.accepted += n * in_time[assigned_on, accepted_on]
    running = WorkdayCounter()
    for pk, day, n in assigned_days:
        row = row_for(pk)
        if row is not None:
            row.working_days_total -= n * running.upto(day)
            row.working_days_count += n
    for pk, day, n in resolved_days:
        row = row_for(pk)
        if row is not None:
            row.working_days_total += n * running.upto(day)
    for item in overdue:
        row = row_for(item[key])
        if row is not None:
            row.overdue_now = item["n"]

    return _table(rows, kind, period, today)
