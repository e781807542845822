"""Reads: who sees which issues, and the queries screens are built from.

visible_to() is the one place that decides visibility for lists (ledger, home,
exports, dashboard, notifications, admin). It must agree with the
`ledger.view_issue` rule in rules.py; tests/test_permissions.py proves it.
"""

import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from ledger.models import Department, Issue, User
from ledger.states import Status


def _leader_id(user) -> int | None:
    try:
        return user.leader_profile.pk
    except AttributeError:
        return None


def visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    """The issues `user` may see (DESIGN.md §2)."""
    issues = Issue.objects.all() if queryset is None else queryset
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return issues.none()
    if user.is_superuser or user.role in (User.Role.ADMIN, User.Role.SUPERVISOR):
        return issues
    if user.role == User.Role.LEADER:
        leader_id = _leader_id(user)
        if leader_id is None:
            return issues.none()
        return issues.filter(
            Q(leader_id=leader_id)
            | Q(enterprise__leader_id=leader_id)
            | Q(project__leader_id=leader_id)
        )
    if user.role == User.Role.STAFF and user.department_id:
        co_handled = Issue.co_departments.through.objects.filter(
            issue_id=OuterRef("pk"), department_id=user.department_id
        )
        return issues.filter(
            Q(raising_department_id=user.department_id)
            | Q(raised_by_id=user.pk)
            | Q(lead_department_id=user.department_id)
            | Exists(co_handled)
        )
    return issues.none()


def issue_for_user(user, number: str) -> Issue:
    """One issue by ledger number, or Issue.DoesNotExist if it is not visible (no leak)."""
    return (
        visible_to(user)
        .select_related(
            "category",
            "source",
            "enterprise__leader__user",
            "project__leader__user",
            "raised_by",
            "raising_department",
            "leader__user",
            "lead_department",
        )
        .prefetch_related("co_departments")
        .get(number=number)
    )


def ledger_queryset(user) -> QuerySet:
    """The ledger table's rows with everything a row shows, in a fixed number of queries."""
    return (
        visible_to(user)
        .with_health()
        .select_related(
            "category",
            "source",
            "enterprise",
            "project",
            "leader__user",
            "lead_department",
            "raising_department",
        )
        .prefetch_related("co_departments")
    )


def home_counts(user, today: datetime.date | None = None) -> dict[str, int]:
    """What waits for this user, by role (DESIGN.md §5), as counts for the home page."""
    from django.conf import settings

    today = today or timezone.localdate()
    due_soon_until = today + datetime.timedelta(days=settings.LEDGER["YELLOW_DAYS"])
    mine = visible_to(user)
    counts: dict[str, int] = {}
    running = mine.filter(status__in=[Status.ASSIGNED, Status.IN_PROGRESS])
    if user.role == User.Role.STAFF and user.department_id:
        lead = mine.filter(lead_department_id=user.department_id)
        counts["to_accept"] = lead.filter(status=Status.ASSIGNED).count()
        counts["to_progress"] = lead.filter(status=Status.IN_PROGRESS).count()
        counts["due_soon"] = (
            lead.filter(status__in=[Status.ASSIGNED, Status.IN_PROGRESS])
            .filter(deadline__gte=today, deadline__lte=due_soon_until)
            .count()
        )
        counts["overdue"] = lead.overdue(today).count()
        counts["raised_by_us"] = mine.filter(
            raising_department_id=user.department_id, status=Status.RAISED
        ).count()
    elif user.role == User.Role.LEADER:
        leader_id = _leader_id(user)
        counts["my_items"] = mine.filter(leader_id=leader_id).open().count()
        counts["to_assign"] = mine.filter(status=Status.RAISED).count()
        counts["awaiting_close"] = mine.filter(leader_id=leader_id, status=Status.RESOLVED).count()
        counts["extensions"] = mine.filter(leader_id=leader_id, extensions__state="pending").count()
        counts["overdue"] = running.overdue(today).count()
    else:
        counts["to_assign"] = mine.filter(status=Status.RAISED).count()
        counts["overdue"] = running.overdue(today).count()
        counts["due_soon"] = running.filter(
            deadline__gte=today, deadline__lte=due_soon_until
        ).count()
        counts["awaiting_close"] = mine.filter(status=Status.RESOLVED).count()
        counts["extensions"] = mine.filter(extensions__state="pending").count()
    return counts


def departments_active() -> QuerySet:
    return Department.objects.filter(is_active=True)


# -- home cards and the leader's own view ----------------------------------------


class HomeCard:
    """One card of the home page: a ledger filter (`params`) and how many rows it gives."""

    def __init__(self, key: str, label, params: list[tuple[str, str]], tone: str, count: int):
        self.key, self.label, self.params, self.tone, self.count = key, label, params, tone, count

    @property
    def query(self) -> str:
        """The ledger query string (`/issues/?<query>`) that lists exactly these issues."""
        from urllib.parse import urlencode

        return urlencode(self.params)

    def __repr__(self):
        return f"<HomeCard {self.key}={self.count} {self.query}>"


def _home_card_definitions(user) -> list[tuple[str, object, list[tuple[str, str]], str]]:
    """(key, label, ledger filter params, tone) of the cards waiting for `user`, by role."""
    from django.utils.translation import gettext_lazy as _

    from ledger.filters import OPEN_STATUS_VALUES

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_superuser or user.role in (User.Role.ADMIN, User.Role.SUPERVISOR):
        return [
            ("unassigned", _("待交办"), [("status", Status.RAISED)], "primary"),
            ("unassigned_late", _("超时未交办"), [("health", "unassigned_late")], "danger"),
            ("overdue", _("已逾期"), [("health", "red")], "danger"),
            ("due_soon", _("临期"), [("health", "yellow")], "warning"),
            ("awaiting_close", _("待销号"), [("status", Status.RESOLVED)], "success"),
            ("extensions", _("待审批延期"), [("pending_extension", "1")], "info"),
        ]
    if user.role == User.Role.LEADER:
        leader_id = _leader_id(user)
        if leader_id is None:
            return []
        mine = [("leader", str(leader_id))]
        return [
            (
                "my_items",
                _("我的在办问题"),
                mine + [("status", s) for s in OPEN_STATUS_VALUES],
                "primary",
            ),
            ("to_assign", _("待我交办"), [("status", Status.RAISED)], "secondary"),
            ("awaiting_close", _("待我销号"), mine + [("status", Status.RESOLVED)], "success"),
            ("extensions", _("待我审批延期"), mine + [("pending_extension", "1")], "info"),
            ("overdue", _("我的逾期问题"), mine + [("health", "red")], "danger"),
        ]
    if user.role == User.Role.STAFF and user.department_id:
        ours = [("lead_department", str(user.department_id))]
        return [
            ("to_accept", _("待签收"), ours + [("status", Status.ASSIGNED)], "primary"),
            ("to_progress", _("办理中"), ours + [("status", Status.IN_PROGRESS)], "secondary"),
            ("due_soon", _("临期"), ours + [("health", "yellow")], "warning"),
            ("overdue", _("已逾期"), ours + [("health", "red")], "danger"),
            (
                "raised_by_us",
                _("本单位登记待交办"),
                [("raising_department", str(user.department_id)), ("status", Status.RAISED)],
                "info",
            ),
        ]
    return []


def home_cards(user) -> list[HomeCard]:
    """What waits for `user` (DESIGN.md §5). Each card's count is the ledger's own filter
    applied to the ledger's own rows, so the number and the table its link opens agree."""
    from django.http import QueryDict

    from ledger.filters import IssueFilter

    cards = []
    for key, label, params, tone in _home_card_definitions(user):
        card = HomeCard(key, label, [(k, str(v)) for k, v in params], tone, 0)
        filterset = IssueFilter(QueryDict(card.query), queryset=ledger_queryset(user))
        card.count = filterset.qs.count()
        cards.append(card)
    return cards


def issues_most_urgent(user, limit: int = 10) -> QuerySet:
    """Open issues `user` sees, most pressing first: overdue, due soon, unassigned too long."""
    from django.db.models import F

    from ledger.filters import health_rank

    return (
        ledger_queryset(user)
        .open()
        .order_by(health_rank(), F("deadline").asc(nulls_last=True), "-year", "-seq")[:limit]
    )


def leader_items(user) -> QuerySet:
    """Issues whose responsible leader is `user`: open ones first, then by deadline."""
    from django.db.models import Case, F, IntegerField, Value, When

    from ledger.states import OPEN_STATUSES

    leader_id = _leader_id(user)
    if leader_id is None:
        return Issue.objects.none()
    open_first = Case(
        When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return (
        ledger_queryset(user)
        .filter(leader_id=leader_id)
        .order_by(open_first, F("deadline").asc(nulls_last=True), "-year", "-seq")
    )


def leader_subjects(user) -> tuple[list, list]:
    """The enterprises and key projects `user` 分包, each with `open_issues`: the open issues
    of it that `user` sees, with health, most pressing first. Four queries in all."""
    from django.db.models import F, Prefetch

    from ledger.filters import health_rank
    from ledger.models import Enterprise, KeyProject

    leader_id = _leader_id(user)
    if leader_id is None:
        return [], []
    open_issues = (
        visible_to(user, Issue.objects.open())
        .with_health()
        .select_related("lead_department")
        .order_by(health_rank(), F("deadline").asc(nulls_last=True), "-year", "-seq")
    )
    enterprises = Enterprise.objects.filter(leader_id=leader_id).prefetch_related(
        Prefetch("issues", queryset=open_issues, to_attr="open_issues")
    )
    projects = KeyProject.objects.filter(leader_id=leader_id).prefetch_related(
        Prefetch("issues", queryset=open_issues, to_attr="open_issues")
    )
    return list(enterprises.order_by("name")), list(projects.order_by("level", "name"))
