"""Reads of the directories: the enterprise and key-project choosers of the issue form,
the directory pages with their open-issue counts, and a subject's issue history.

Every count and history goes through visible_to(): a directory row never counts an issue
its reader may not see.
"""

import unicodedata

from django.db.models import Case, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from ledger.models import Enterprise, Issue, KeyProject
from ledger.selectors.issues import count_rows, visible_to
from ledger.states import OPEN_STATUSES
from ledger.validators import credit_code_normalize

# -- logging an issue: the enterprise and project choosers ------------------------

LOOKUP_LIMIT = 20


def lookup_text(q) -> str:
    """What a chooser searches for: no NUL (PostgreSQL refuses it), trimmed, bounded."""
    return str(q or "").replace("\x00", "").strip()[:100]


def enterprises_matching(q, limit: int = LOOKUP_LIMIT) -> list:
    """Active enterprises whose name or credit code contains `q`; names starting with it first."""
    q = lookup_text(q)
    if not q:
        return []
    condition = Q(name__icontains=q)
    code = credit_code_normalize(q)
    if code:
        condition |= Q(credit_code__contains=code)
    return list(
        Enterprise.objects.filter(is_active=True)
        .filter(condition)
        .select_related("leader__user")
        .annotate(
            rank=Case(
                When(name__istartswith=q, then=Value(0)), default=1, output_field=IntegerField()
            )
        )
        .order_by("rank", "name")[:limit]
    )


def projects_matching(q, limit: int = LOOKUP_LIMIT) -> list:
    """Key projects whose name, or owner's name or credit code, contains `q`."""
    q = lookup_text(q)
    if not q:
        return []
    condition = Q(name__icontains=q) | Q(owner__name__icontains=q)
    code = credit_code_normalize(q)
    if code:
        condition |= Q(owner__credit_code__contains=code)
    return list(
        KeyProject.objects.filter(condition)
        .select_related("leader__user", "owner")
        .annotate(
            rank=Case(
                When(name__istartswith=q, then=Value(0)), default=1, output_field=IntegerField()
            )
        )
        .order_by("rank", "name")[:limit]
    )


def enterprises_named(text, queryset=None) -> list:
    """Enterprises whose name or credit code is exactly `text` (as typed or normalised)."""
    text = lookup_text(text)
    if not text:
        return []
    folded = unicodedata.normalize("NFKC", text)
    queryset = Enterprise.objects.filter(is_active=True) if queryset is None else queryset
    condition = Q(name=text) | Q(name=folded) | Q(credit_code=credit_code_normalize(text))
    return list(queryset.filter(condition).select_related("leader__user")[:5])


def projects_named(text, queryset=None) -> list:
    """Key projects whose name is exactly `text` (as typed or normalised)."""
    text = lookup_text(text)
    if not text:
        return []
    folded = unicodedata.normalize("NFKC", text)
    queryset = KeyProject.objects.all() if queryset is None else queryset
    return list(queryset.filter(Q(name=text) | Q(name=folded)).select_related("leader__user")[:5])


# -- directories: enterprises and key projects ---------------------------------


def _visible_open_count(user, subject_field: str):
    """Subquery: open issues of the outer enterprise/project that `user` may see."""
    counts = (
        visible_to(user)
        .filter(**{subject_field: OuterRef("pk")}, status__in=OPEN_STATUSES)
        .order_by()
        .values(subject_field)
        .annotate(n=count_rows())
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def enterprise_directory(user, *, counted: bool = True) -> QuerySet:
    """Enterprises with their leader, sub-district, contacts and `open_issue_count`
    (only issues `user` may see), in a fixed number of queries. The list page passes
    counted=False and counts its page's rows only (open_issue_counts)."""
    enterprises = Enterprise.objects.select_related("leader__user", "subdistrict")
    enterprises = enterprises.prefetch_related("contacts")
    if not counted:
        return enterprises
    return enterprises.annotate(open_issue_count=_visible_open_count(user, "enterprise"))


def project_directory(user, *, counted: bool = True) -> QuerySet:
    """Key projects with leader, lead department, owner and `open_issue_count` for `user`
    (counted=False: without it, see open_issue_counts)."""
    projects = KeyProject.objects.select_related("leader__user", "lead_department", "owner")
    if not counted:
        return projects
    return projects.annotate(open_issue_count=_visible_open_count(user, "project"))


def subject_issues(user, *, enterprise=None, project=None) -> QuerySet:
    """The issue history of an enterprise or key project, only what `user` may see."""
    issues = visible_to(user)
    if enterprise is not None:
        issues = issues.filter(enterprise=enterprise)
    if project is not None:
        issues = issues.filter(project=project)
    return (
        issues.with_health()
        .select_related("category", "leader__user", "lead_department", "enterprise", "project")
        .order_by("-raised_at", "-pk")
    )


def open_issue_counts(user, field: str, pks) -> dict[int, int]:
    """{enterprise or project id: its open issues `user` sees} for the rows of one page, in
    one grouped query (the directories annotated a correlated COUNT per row before)."""

    pks = list(pks)
    if not pks:
        return {}
    rows = (
        visible_to(user, Issue.objects.open())
        .filter(**{f"{field}_id__in": pks})
        .order_by()
        .values_list(field)
        .annotate(n=count_rows())
    )
    return dict(rows)
