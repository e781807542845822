"""Reads: who sees which issues, and the queries screens are built from.

visible_to() is the one place that decides visibility for lists (ledger, home,
exports, dashboard, notifications, admin). It must agree with the
`ledger.view_issue` rule in rules.py; tests/test_permissions.py proves it.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

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


def departments_active() -> QuerySet:
    return Department.objects.filter(is_active=True)


# -- logging an issue: choosers and likely duplicates ---------------------------

LOOKUP_LIMIT = 20
# titles at least this similar (0..1) are shown as likely duplicates
DUPLICATE_SIMILARITY = 0.5


def lookup_text(q) -> str:
    """What a chooser searches for: no NUL (PostgreSQL refuses it), trimmed, bounded."""
    return str(q or "").replace("\x00", "").strip()[:100]


def enterprises_matching(q, limit: int = LOOKUP_LIMIT) -> list:
    """Active enterprises whose name or credit code contains `q`; names starting with it first."""
    from django.db.models import Case, IntegerField, Value, When

    from ledger.models import Enterprise
    from ledger.validators import credit_code_normalize

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
    from django.db.models import Case, IntegerField, Value, When

    from ledger.models import KeyProject
    from ledger.validators import credit_code_normalize

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
    import unicodedata

    from ledger.models import Enterprise
    from ledger.validators import credit_code_normalize

    text = lookup_text(text)
    if not text:
        return []
    folded = unicodedata.normalize("NFKC", text)
    queryset = Enterprise.objects.filter(is_active=True) if queryset is None else queryset
    condition = Q(name=text) | Q(name=folded) | Q(credit_code=credit_code_normalize(text))
    return list(queryset.filter(condition).select_related("leader__user")[:5])


def projects_named(text, queryset=None) -> list:
    """Key projects whose name is exactly `text` (as typed or normalised)."""
    import unicodedata

    from ledger.models import KeyProject

    text = lookup_text(text)
    if not text:
        return []
    folded = unicodedata.normalize("NFKC", text)
    queryset = KeyProject.objects.all() if queryset is None else queryset
    return list(queryset.filter(Q(name=text) | Q(name=folded)).select_related("leader__user")[:5])


def _title_key(title: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKC", title or "").lower()
    return "".join(ch for ch in folded if ch.isalnum())


def title_similarity(a: str, b: str) -> float:
    """0..1: the larger of difflib's ratio and the Dice overlap of 2-character substrings.

    Computed in Python on a handful of candidate rows, so it works the same on
    SQLite and PostgreSQL (no trigram extension needed).
    """
    import difflib

    a, b = _title_key(a), _title_key(b)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    pairs_a = {a[i : i + 2] for i in range(len(a) - 1)}
    pairs_b = {b[i : i + 2] for i in range(len(b) - 1)}
    dice = 0.0
    if pairs_a and pairs_b:
        dice = 2 * len(pairs_a & pairs_b) / (len(pairs_a) + len(pairs_b))
    return max(ratio, dice)


def issue_duplicates(
    user, *, title, enterprise=None, project=None, exclude_pk=None, limit: int = 5
) -> list[Issue]:
    """Open issues of the same enterprise or project with a similar title, visible to `user`.

    Candidates are limited in SQL to the same enterprise/project and open statuses;
    the most recent 200 are scored in Python. Each result carries `similarity`.
    """
    from ledger.states import OPEN_STATUSES

    if not _title_key(title) or (enterprise is None and project is None):
        return []
    same_subject = Q()
    if enterprise is not None:
        same_subject |= Q(enterprise=enterprise)
    if project is not None:
        same_subject |= Q(project=project)
    candidates = (
        visible_to(user)
        .filter(same_subject, status__in=OPEN_STATUSES)
        .select_related("enterprise", "project", "lead_department", "raising_department")
        .order_by("-raised_at")
    )
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)
    found = []
    for issue in candidates[:200]:
        issue.similarity = title_similarity(title, issue.title)
        if issue.similarity >= DUPLICATE_SIMILARITY:
            found.append(issue)
    found.sort(key=lambda issue: issue.similarity, reverse=True)
    return found[:limit]


# -- directories: enterprises and key projects ---------------------------------


def _visible_open_count(user, subject_field: str):
    """Subquery: open issues of the outer enterprise/project that `user` may see."""
    from django.db.models import Count, IntegerField, Subquery, Value
    from django.db.models.functions import Coalesce

    from ledger.states import OPEN_STATUSES

    counts = (
        visible_to(user)
        .filter(**{subject_field: OuterRef("pk")}, status__in=OPEN_STATUSES)
        .order_by()
        .values(subject_field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def enterprise_directory(user) -> QuerySet:
    """Enterprises with their leader, sub-district, contacts and `open_issue_count`
    (only issues `user` may see), in a fixed number of queries."""
    from ledger.models import Enterprise

    return (
        Enterprise.objects.select_related("leader__user", "subdistrict")
        .prefetch_related("contacts")
        .annotate(open_issue_count=_visible_open_count(user, "enterprise"))
    )


def project_directory(user) -> QuerySet:
    """Key projects with leader, lead department, owner and `open_issue_count` for `user`."""
    from ledger.models import KeyProject

    return KeyProject.objects.select_related("leader__user", "lead_department", "owner").annotate(
        open_issue_count=_visible_open_count(user, "project")
    )


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
