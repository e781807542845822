"""Reads of the service room: which visits a user sees, what they may visit, visit coverage
(in SQL, a fixed number of queries however many leaders and subjects), and late procedures.

visits_visible_to() agrees with rules.can_view_visit; a test proves it.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from ledger.models import Enterprise, KeyProject, Leader
from ledger.rules import is_leader, is_staff_member

from .models import ProjectProcedure, Visit
from .rules import _leader_id


def visits_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    queryset = Visit.objects.all() if queryset is None else queryset
    if not (user.is_authenticated and user.is_active):
        return queryset.none()
    if user.sees_everything:
        return queryset
    if is_leader(user):
        return queryset.filter(leader_id=_leader_id(user))
    if is_staff_member(user):
        department = user.department_id
        went = Visit.companions.through.objects.filter(user_id=user.pk).values("visit_id")
        return queryset.filter(
            Q(created_by_id=user.pk)
            | Q(pk__in=went)
            | Q(enterprise__subdistrict_id=department)
            | Q(project__lead_department_id=department)
            | Q(leader__user__department_id=department)
        )
    return queryset.none()


def subjects_recordable(user) -> tuple[QuerySet, QuerySet]:
    """(enterprises, projects) the user may record visits for (rules.can_record_visit)."""
    enterprises = Enterprise.objects.filter(leader__isnull=False)
    projects = KeyProject.objects.filter(leader__isnull=False)
    if not (user.is_authenticated and user.is_active):
        return enterprises.none(), projects.none()
    if user.sees_everything:
        return enterprises, projects
    if is_leader(user):
        mine = _leader_id(user)
        return enterprises.filter(leader_id=mine), projects.filter(leader_id=mine)
    if is_staff_member(user):
        department = user.department_id
        return (
            enterprises.filter(
                Q(subdistrict_id=department) | Q(leader__user__department_id=department)
            ),
            projects.filter(
                Q(lead_department_id=department) | Q(leader__user__department_id=department)
            ),
        )
    return enterprises.none(), projects.none()


# -- coverage ------------------------------------------------------------------------------


def visit_months() -> int:
    return settings.LEDGER["VISIT_EVERY_MONTHS"]


def visit_period(
    day: datetime.date, months: int | None = None
) -> tuple[datetime.date, datetime.date]:
    """The calendar visit period holding `day`: [first day, last day] (a quarter by default)."""
    months = months or visit_months()
    first_month = (day.month - 1) // months * months + 1
    start = datetime.date(day.year, first_month, 1)
    after_month = first_month + months
    after = datetime.date(day.year + (after_month - 1) // 12, (after_month - 1) % 12 + 1, 1)
    return start, after - datetime.timedelta(days=1)


VISITED, DUE, OVERDUE = "visited", "due", "overdue"


@dataclass
class SubjectDue:
    subject: object
    kind: str  # "enterprise" or "project"
    last_visit: datetime.date | None
    state: str  # VISITED, DUE, OVERDUE


def _counted_visits():
    """Visits that count for coverage: the 分包 leader went in person."""
    return Visit.objects.filter(leader_attended=True)


def _due_periods(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first day of this visit period and of the one before."""
    start, _end = visit_period(today)
    previous_start, _ = visit_period(start - datetime.timedelta(days=1))
    return start, previous_start


def _subjects_with_last_visit(leader: Leader, today: datetime.date):
    """(kind, the leader's active enterprises / projects annotated with `last_visit`)."""
    for kind, model in (("enterprise", Enterprise), ("project", KeyProject)):
        last = (
            _counted_visits()
            .filter(**{kind: OuterRef("pk")}, leader_id=leader.pk, visited_on__lte=today)
            .order_by("-visited_on")
            .values("visited_on")[:1]
        )
        queryset = model.objects.filter(leader_id=leader.pk)
        if model is Enterprise:
            queryset = queryset.filter(is_active=True)
        yield kind, queryset.annotate(last_visit=Subquery(last))


def subjects_due(leader: Leader, today: datetime.date | None = None) -> list[SubjectDue]:
    """The leader's enterprises and projects with their last visit and whether a visit is
    due (none yet this period) or overdue (none in the previous period either). Two queries."""
    today = today or timezone.localdate()
    start, previous_start = _due_periods(today)
    rows = []
    for kind, queryset in _subjects_with_last_visit(leader, today):
        for subject in queryset.order_by("name"):
            if subject.last_visit and subject.last_visit >= start:
                state = VISITED
            elif subject.last_visit and subject.last_visit >= previous_start:
                state = DUE
            else:
                state = OVERDUE
            rows.append(SubjectDue(subject, kind, subject.last_visit, state))
    return rows


def subjects_due_summary(leader: Leader, today: datetime.date | None = None, shown: int = 20):
    """What /leaders/me/ shows of subjects_due() without reading every subject (a leader may
    分包 thousands): the `shown` most pressing subjects due or overdue for a visit (overdue
    first, then the longest unvisited; enterprises before projects, then by name, as
    subjects_due orders them), how many more are pending, and how many were visited this
    period. Four queries."""
    today = today or timezone.localdate()
    start, previous_start = _due_periods(today)
    pending, pending_count, visited_count = [], 0, 0
    for kind, queryset in _subjects_with_last_visit(leader, today):
        not_yet = Q(last_visit__isnull=True) | Q(last_visit__lt=start)
        counts = queryset.aggregate(
            pending=Count("pk", filter=not_yet), visited=Count("pk", filter=~not_yet)
        )
        pending_count += counts["pending"]
        visited_count += counts["visited"]
        overdue = Q(last_visit__isnull=True) | Q(last_visit__lt=previous_start)
        first = queryset.filter(not_yet).annotate(
            late=Case(When(overdue, then=Value(0)), default=Value(1))
        )
        for subject in first.order_by("late", F("last_visit").asc(nulls_first=True), "name")[
            :shown
        ]:
            state = OVERDUE if subject.late == 0 else DUE
            pending.append(SubjectDue(subject, kind, subject.last_visit, state))
    pending.sort(key=lambda row: (row.state != OVERDUE, row.last_visit or datetime.date.min))
    return pending[:shown], pending_count - min(pending_count, shown), visited_count


@dataclass
class CoverageRow:
    leader: Leader
    assigned: int
    visited: int
    visits: int
    last_visit: datetime.date | None

    @property
    def rate(self) -> float | None:
        return self.visited / self.assigned if self.assigned else None

    @property
    def percent(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.1f}%"


def _count(queryset, field="pk", distinct=False):
    """A correlated COUNT subquery on leader_id, 0 when there is no row."""
    counted = (
        queryset.filter(leader_id=OuterRef("pk"))
        .order_by()
        .values("leader_id")
        .annotate(n=Count(field, distinct=distinct))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def coverage(start: datetime.date, end: datetime.date) -> list[CoverageRow]:
    """Per active leader: subjects 分包 now (active enterprises + key projects), how many of
    them the leader visited in person within [start, end], the number of such visits, and
    the last such visit up to `end`. One query."""
    in_period = _counted_visits().filter(visited_on__gte=start, visited_on__lte=end)
    # a visit counts for a subject only while it is still the leader's (reassigned: not theirs)
    enterprise_visits = in_period.filter(
        enterprise__leader_id=F("leader_id"), enterprise__is_active=True
    )
    project_visits = in_period.filter(project__leader_id=F("leader_id"))
    last = (
        _counted_visits()
        .filter(leader_id=OuterRef("pk"), visited_on__lte=end)
        .order_by("-visited_on")
        .values("visited_on")[:1]
    )
    leaders = (
        Leader.objects.filter(is_active=True)
        .select_related("user")
        .annotate(
            n_enterprises=_count(Enterprise.objects.filter(is_active=True)),
            n_projects=_count(KeyProject.objects.all()),
            n_enterprises_visited=_count(enterprise_visits, "enterprise_id", distinct=True),
            n_projects_visited=_count(project_visits, "project_id", distinct=True),
            n_visits=_count(in_period),
            last_visit=Subquery(last),
        )
        .order_by("order", "id")
    )
    return [
        CoverageRow(
            leader=leader,
            assigned=leader.n_enterprises + leader.n_projects,
            visited=leader.n_enterprises_visited + leader.n_projects_visited,
            visits=leader.n_visits,
            last_visit=leader.last_visit,
        )
        for leader in leaders
    ]


# -- procedures ------------------------------------------------------------------------------


def procedures_late(today: datetime.date | None = None) -> QuerySet:
    """Every project's procedures still open past their planned date, the longest late first."""
    today = today or timezone.localdate()
    return (
        ProjectProcedure.objects.filter(
            status__in=ProjectProcedure.OPEN_STATUSES, planned_on__lt=today
        )
        .select_related("project__leader__user", "type", "department", "agent")
        .order_by("planned_on", "project__name", "type__order")
    )
