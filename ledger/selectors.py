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
