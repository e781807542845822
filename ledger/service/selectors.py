"""Reads of the service room: which visits a user sees, what they may visit, visit coverage
(in SQL, a fixed number of queries however many leaders and subjects), and late procedures.

visits_visible_to() agrees with rules.can_view_visit; a test proves it.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    Count,
    DateTimeField,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

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


def visit_rule(months: int | None = None) -> str:
    """The visit rule in words: 每季度至少走访一次 (LEDGER_VISIT_EVERY_MONTHS = 3)."""
    months = months or visit_months()
    every = {
        1: _("每月"),
        2: _("每两个月"),
        3: _("每季度"),
        4: _("每四个月"),
        6: _("每半年"),
        12: _("每年"),
    }.get(months) or _("每 %(n)s 个月") % {"n": months}
    return _("%(every)s至少走访一次") % {"every": every}


def period_name(start: datetime.date, months: int | None = None) -> str:
    """The visit period starting on `start`: 2026年第4季度, 2026年11月, 2026年下半年 …"""
    months = months or visit_months()
    if months == 3:
        return _("%(year)s年第%(n)s季度") % {"year": start.year, "n": (start.month + 2) // 3}
    if months == 1:
        return _("%(year)s年%(month)s月") % {"year": start.year, "month": start.month}
    if months == 6:
        half = _("上半年") if start.month <= 6 else _("下半年")
        return _("%(year)s年%(half)s") % {"year": start.year, "half": half}
    if months == 12:
        return _("%(year)s年") % {"year": start.year}
    return _("%(year)s年%(first)s—%(last)s月") % {
        "year": start.year,
        "first": start.month,
        "last": start.month + months - 1,
    }


def cycle_label(day: datetime.date) -> str:
    """What the leader's page and the assessment say of the cycle holding `day`:
    每季度至少走访一次（2026年第4季度）."""
    start, _end = visit_period(day)
    return _("%(rule)s（%(period)s）") % {"rule": visit_rule(), "period": period_name(start)}


def assessment_cycle(
    start: datetime.date, end: datetime.date, today: datetime.date | None = None
) -> tuple[datetime.date, datetime.date, str]:
    """The visit cycle the assessment of [start, end] reports coverage for — the one the
    leader's page counts with: the cycle holding the period's last day, or today while the
    period runs. (first day, last day, 每季度至少走访一次（2026年第4季度）)."""
    today = today or timezone.localdate()
    day = max(min(end, today), start)
    first, last = visit_period(day)
    return first, last, cycle_label(day)


def _counted_visits():
    """Visits that count for coverage: the 分包 leader went in person."""
    return Visit.objects.filter(leader_attended=True)


def _due_periods(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first day of this visit period and of the one before."""
    start, _end = visit_period(today)
    previous_start, _end = visit_period(start - datetime.timedelta(days=1))
    return start, previous_start


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def _assigned_since(model, leader_id: int) -> Subquery:
    """When the subject became this leader's (added with them as its 分包 leader, or handed
    to them): the first history row naming them after the last one naming someone else. The
    directory's history (django-simple-history) is indexed by the subject's id; a subject
    written without history (a bulk load) has no date and counts as long assigned."""
    history = model.history.model
    other = (
        history.objects.filter(id=OuterRef("id"))
        .exclude(leader_id=leader_id)
        .order_by("-history_date")
        .values("history_date")[:1]
    )
    since = (
        history.objects.filter(id=OuterRef("pk"), leader_id=leader_id)
        .filter(
            history_date__gt=Coalesce(Subquery(other), Value(EPOCH, output_field=DateTimeField()))
        )
        .order_by("history_date")
        .values("history_date")[:1]
    )
    return Subquery(since, output_field=DateTimeField())


def _cycle_start(start: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))


def _subjects_with_last_visit(leader: Leader, today: datetime.date):
    """(kind, the leader's active enterprises / projects annotated with `last_visit` and
    `assigned_since`)."""
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
        yield (
            kind,
            queryset.annotate(
                last_visit=Subquery(last), assigned_since=_assigned_since(model, leader.pk)
            ),
        )


def _state(last_visit, assigned_since, start, previous_start, cycle_start) -> str:
    if last_visit and last_visit >= start:
        return VISITED
    if last_visit and last_visit >= previous_start:
        return DUE
    # new to the leader this cycle and not visited yet: due by the end of its first cycle
    if last_visit is None and assigned_since is not None and assigned_since >= cycle_start:
        return DUE
    return OVERDUE


def subjects_due(leader: Leader, today: datetime.date | None = None) -> list[SubjectDue]:
    """The leader's enterprises and projects with their last visit and whether a visit is
    due (none yet this period) or overdue (none in the previous period either; a subject
    new to the leader this period and not yet visited is only due). Two queries."""
    today = today or timezone.localdate()
    start, previous_start = _due_periods(today)
    cycle_start = _cycle_start(start)
    rows = []
    for kind, queryset in _subjects_with_last_visit(leader, today):
        for subject in queryset.order_by("name"):
            state = _state(
                subject.last_visit, subject.assigned_since, start, previous_start, cycle_start
            )
            rows.append(SubjectDue(subject, kind, subject.last_visit, state))
    return rows


def subjects_due_summary(leader: Leader, today: datetime.date | None = None, shown: int = 20):
    """What /leaders/me/ shows of subjects_due() without reading every subject (a leader may
    分包 thousands): the `shown` most pressing subjects due or overdue for a visit (overdue
    first, then the longest unvisited; enterprises before projects, then by name, as
    subjects_due orders them), how many more are pending, and how many were visited this
    period.

    Built from the small sets, not from a last-visit subquery per subject (at a million
    issues a leader with 9,000 enterprises cost 70 ms that way): the leader's own visits
    give each visited subject's last visit; the directory's history rows naming the leader
    this cycle give the few subjects that may be new to them; every other subject is
    overdue and never visited, read by name from the leader's index only as far as the page
    needs. Four to six queries per kind of subject."""
    today = today or timezone.localdate()
    start, previous_start = _due_periods(today)
    cycle_start = _cycle_start(start)
    pending, pending_count, visited_count = [], 0, 0
    for kind, model in (("enterprise", Enterprise), ("project", KeyProject)):
        subjects = model.objects.filter(leader_id=leader.pk)
        if model is Enterprise:
            subjects = subjects.filter(is_active=True)
        last = dict(
            _counted_visits()
            .filter(leader_id=leader.pk, visited_on__lte=today, **{f"{kind}__isnull": False})
            .values_list(kind)
            .annotate(last=Max("visited_on"))
            .order_by()
        )
        recent = [pk for pk, day in last.items() if day >= start]
        visited = subjects.filter(pk__in=recent).count() if recent else 0
        visited_count += visited
        pending_count += subjects.count() - visited
        head = _pending_head(
            model, subjects, last, leader.pk, (start, previous_start, cycle_start), shown
        )
        pending += [
            SubjectDue(subject, kind, last.get(subject.pk), state) for subject, state in head
        ]
    pending.sort(key=lambda row: (row.state != OVERDUE, row.last_visit or datetime.date.min))
    return pending[:shown], pending_count - min(pending_count, shown), visited_count


def _pending_head(model, subjects, last, leader_id, periods, shown) -> list:
    """The first `shown` of one kind's pending subjects, in subjects_due's order: overdue
    and never visited (by name), overdue by last visit, due and never visited (new to the
    leader this cycle, by name), due by last visit."""
    start, previous_start, cycle_start = periods
    # new to the leader this cycle: a history row names them since it began, and the
    # assignment it records (as _assigned_since reads it) is that recent
    named = model.history.model.objects.filter(
        leader_id=leader_id, history_date__gte=cycle_start
    ).values("id")
    new = set(
        subjects.filter(pk__in=named)
        .exclude(pk__in=list(last))
        .annotate(assigned_since=_assigned_since(model, leader_id))
        .filter(assigned_since__gte=cycle_start)
        .values_list("pk", flat=True)
    )
    head = [
        (subject, OVERDUE)
        for subject in subjects.exclude(pk__in=[*last, *new]).order_by("name")[:shown]
    ]
    if len(head) >= shown:
        return head
    wanted = [pk for pk, day in last.items() if day < start]
    # in the database's order of names (its collation, as subjects_due sorts them)
    rest = list(subjects.filter(pk__in=[*wanted, *new]).order_by("name"))
    by_visit = sorted(
        (subject for subject in rest if subject.pk in last), key=lambda s: last[s.pk]
    )  # a stable sort: by name within a day
    head += [(s, OVERDUE) for s in by_visit if last[s.pk] < previous_start]
    head += [(s, DUE) for s in rest if s.pk in new]
    head += [(s, DUE) for s in by_visit if last[s.pk] >= previous_start]
    return head[:shown]


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
