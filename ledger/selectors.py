"""Reads: who sees which issues, and the queries screens are built from.

visible_to() is the one place that decides visibility for lists (ledger, home,
exports, dashboard, notifications, admin). It must agree with the
`ledger.view_issue` rule in rules.py; tests/test_permissions.py proves it.
"""

from django.db import connections
from django.db.models import (
    Case,
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)

from ledger.models import Department, ExtensionRequest, Issue, IssueEvent, User
from ledger.states import Action, Status


def _leader_id(user) -> int | None:
    try:
        return user.leader_profile.pk
    except AttributeError:
        return None


def count_rows(filter=None) -> Count:
    """COUNT(1), optionally FILTER (WHERE …): the rows of a grouped or aggregated query.

    Count("pk") makes PostgreSQL read each row's id, so it cannot answer from an index
    alone; COUNT(1) over the columns of an index (status, deadline …) can, with an
    index-only scan (the supervisor's home cards at a million issues: 510 ms → 75 ms)."""
    return Count(Value(1), filter=filter)


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
        # the 分包 enterprises and projects are few: their ids first, then the issues by
        # the indexed foreign keys (a bitmap OR of three index scans, no join)
        from ledger.models import Enterprise, KeyProject

        return issues.filter(
            Q(leader_id=leader_id)
            | Q(
                enterprise__in_subquery=Enterprise.objects.filter(leader_id=leader_id)
                .order_by()  # unsorted: the model's name order cost 25 ms at 9,000 enterprises
                .values("pk")
            )
            | Q(
                project__in_subquery=KeyProject.objects.filter(leader_id=leader_id)
                .order_by()
                .values("pk")
            )
        )
    if user.role == User.Role.STAFF and user.department_id:
        if connections[issues.db].vendor == "postgresql":
            # raising, lead and co-departments are in `involved` (kept by a trigger,
            # GIN-indexed): one index condition instead of an OR with an EXISTS
            return issues.filter(
                Q(involved__contains_all=[user.department_id]) | Q(raised_by_id=user.pk)
            )
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


# the search and visibility columns the database keeps (ledger_index.py): used in WHERE,
# never shown, and large (every bigram of the description), so never loaded with a row
UNREAD_COLUMNS = ("involved", "search_grams")


def issue_for_user(user, number: str) -> Issue:
    """One issue by ledger number, or Issue.DoesNotExist if it is not visible (no leak)."""
    return (
        visible_to(user)
        .defer(*UNREAD_COLUMNS)
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


def returned_reason() -> Case:
    """For an issue back at 待交办 after a 退回: the reason of its last return (else NULL).

    RETURN is the only way back to 待交办, so its last return event explains it."""
    last_return = IssueEvent.objects.filter(issue_id=OuterRef("pk"), action=Action.RETURN)
    return Case(
        When(
            status=Status.RAISED,
            then=Subquery(last_return.order_by("-seq").values("note")[:1]),
        ),
        default=Value(None),
        output_field=TextField(),
    )


def pending_extension_fields() -> dict:
    """The pending extension request's date asked for and reason (NULL when none)."""
    pending = ExtensionRequest.objects.filter(
        issue_id=OuterRef("pk"), state=ExtensionRequest.State.PENDING
    )
    return {
        "pending_extension_to": Subquery(pending.values("requested_deadline")[:1]),
        "pending_extension_reason": Subquery(pending.values("reason")[:1]),
    }


def ledger_queryset(user) -> QuerySet:
    """The ledger table's rows with everything a row shows, in a fixed number of queries."""
    return (
        visible_to(user)
        .defer(*UNREAD_COLUMNS)
        .with_health()
        .annotate(returned_reason=returned_reason(), **pending_extension_fields())
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
    from django.db.models import IntegerField, Subquery, Value
    from django.db.models.functions import Coalesce

    from ledger.states import OPEN_STATUSES

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
    from ledger.models import Enterprise

    enterprises = Enterprise.objects.select_related("leader__user", "subdistrict")
    enterprises = enterprises.prefetch_related("contacts")
    if not counted:
        return enterprises
    return enterprises.annotate(open_issue_count=_visible_open_count(user, "enterprise"))


def project_directory(user, *, counted: bool = True) -> QuerySet:
    """Key projects with leader, lead department, owner and `open_issue_count` for `user`
    (counted=False: without it, see open_issue_counts)."""
    from ledger.models import KeyProject

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


# -- home cards and the leader's own view ----------------------------------------


class HomeCard:
    """One card of the home page: a ledger filter (`params`) and how many rows it gives,
    within a named set of issues (`scope`: 本单位牵头, 本单位配合 …)."""

    def __init__(
        self,
        key: str,
        label,
        params: list[tuple[str, str]],
        tone: str,
        count: int,
        scope: str = "",
        scope_label="",
    ):
        self.key, self.label, self.params, self.tone, self.count = key, label, params, tone, count
        self.scope, self.scope_label = scope, scope_label

    @property
    def query(self) -> str:
        """The ledger query string (`/issues/?<query>`) that lists exactly these issues."""
        from urllib.parse import urlencode

        return urlencode(self.params)

    def __repr__(self):
        return f"<HomeCard {self.key}={self.count} {self.query}>"


def home_scopes(user) -> list[tuple[str, object, list[tuple[str, str]]]]:
    """(scope, label, ledger filter params) of the sets of issues the home page counts in,
    by role. Every card belongs to one of them, and so does every row of the urgent list."""
    from django.utils.translation import gettext_lazy as _

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_superuser or user.role in (User.Role.ADMIN, User.Role.SUPERVISOR):
        return [("all", _("全区"), [])]
    if user.role == User.Role.LEADER:
        leader_id = _leader_id(user)
        if leader_id is None:
            return []
        return [
            ("mine", _("本人负责"), [("leader", str(leader_id))]),
            # what a leader sees: the issues they are responsible for and those of the
            # enterprises and key projects they 分包 (visible_to)
            ("subjects", _("本人负责或分包"), []),
        ]
    if user.role == User.Role.STAFF and user.department_id:
        department = str(user.department_id)
        return [
            ("lead", _("本单位牵头"), [("lead_department", department)]),
            ("co", _("本单位配合"), [("co_department", department)]),
            ("raised", _("本单位登记"), [("raising_department", department)]),
        ]
    return []


def _home_card_definitions(user) -> list[tuple[str, object, list[tuple[str, str]], str, str]]:
    """(key, label, ledger filter params, tone, scope) of the cards waiting for `user`."""
    from django.utils.translation import gettext_lazy as _

    from ledger.filters import OPEN_STATUS_VALUES

    scopes = {scope: params for scope, _label, params in home_scopes(user)}
    running = [("status", Status.ASSIGNED), ("status", Status.IN_PROGRESS)]
    overdue, due_soon = [("health", "red")], [("health", "yellow")]
    if "all" in scopes:
        return [
            ("unassigned", _("待交办"), [("status", Status.RAISED)], "primary", "all"),
            ("unassigned_late", _("超时未交办"), [("health", "unassigned_late")], "danger", "all"),
            ("overdue", _("已逾期"), overdue, "danger", "all"),
            ("due_soon", _("临期"), due_soon, "warning", "all"),
            ("awaiting_close", _("待销号"), [("status", Status.RESOLVED)], "success", "all"),
            ("extensions", _("待审批延期"), [("pending_extension", "1")], "info", "all"),
        ]
    if "mine" in scopes:
        mine = scopes["mine"]
        return [
            (
                "my_items",
                _("在办问题"),
                mine + [("status", s) for s in OPEN_STATUS_VALUES],
                "primary",
                "mine",
            ),
            ("due_soon", _("临期"), mine + due_soon, "warning", "mine"),
            ("overdue", _("已逾期"), mine + overdue, "danger", "mine"),
            (
                "awaiting_close",
                _("待我销号"),
                mine + [("status", Status.RESOLVED)],
                "success",
                "mine",
            ),
            ("extensions", _("待我审批延期"), mine + [("pending_extension", "1")], "info", "mine"),
            ("to_assign", _("待交办"), [("status", Status.RAISED)], "secondary", "subjects"),
            ("subjects_due_soon", _("临期"), due_soon, "warning", "subjects"),
            ("subjects_overdue", _("已逾期"), overdue, "danger", "subjects"),
        ]
    if "lead" in scopes:
        lead, co, raised = scopes["lead"], scopes["co"], scopes["raised"]
        return [
            ("to_accept", _("待签收"), lead + [("status", Status.ASSIGNED)], "primary", "lead"),
            (
                "to_progress",
                _("办理中"),
                lead + [("status", Status.IN_PROGRESS)],
                "secondary",
                "lead",
            ),
            ("due_soon", _("临期"), lead + due_soon, "warning", "lead"),
            ("overdue", _("已逾期"), lead + overdue, "danger", "lead"),
            ("co_open", _("在办"), co + running, "secondary", "co"),
            ("co_due_soon", _("临期"), co + due_soon, "warning", "co"),
            ("co_overdue", _("已逾期"), co + overdue, "danger", "co"),
            ("raised_by_us", _("待交办"), raised + [("status", Status.RAISED)], "info", "raised"),
            (
                "raised_late",
                _("超时未交办"),
                raised + [("health", "unassigned_late")],
                "danger",
                "raised",
            ),
            ("raised_due_soon", _("临期"), raised + due_soon, "warning", "raised"),
            ("raised_overdue", _("已逾期"), raised + overdue, "danger", "raised"),
        ]
    return []


def home_cards(user) -> list[HomeCard]:
    """What waits for `user` (DESIGN.md §5). Each card's count is the ledger's own filter
    applied to the ledger's own rows, so the number and the table its link opens agree."""
    labels = {scope: label for scope, label, _params in home_scopes(user)}
    definitions = _home_card_definitions(user)
    counts = home_card_counts(user, definitions)  # two queries for all the cards
    cards = []
    for key, label, params, tone, scope in definitions:
        card = HomeCard(
            key, label, [(k, str(v)) for k, v in params], tone, 0, scope, labels.get(scope, "")
        )
        card.count = counts[key]
        cards.append(card)
    return cards


def issue_scope_labels(user, issue: Issue) -> list:
    """Which of the home page's sets (home_scopes) `issue` belongs to, as labels, for a row
    of the urgent list. Reads only what ledger_queryset() loads (no query)."""
    labels = {scope: label for scope, label, _params in home_scopes(user)}
    shown = []
    if "all" in labels:
        return [labels["all"]]
    if "mine" in labels:
        leader_id = _leader_id(user)
        if issue.leader_id == leader_id:
            shown.append(labels["mine"])
        else:
            shown.append(labels["subjects"])
        return shown
    if "lead" in labels:
        department_id = user.department_id
        if issue.lead_department_id == department_id:
            shown.append(labels["lead"])
        if any(d.pk == department_id for d in issue.co_departments.all()):
            shown.append(labels["co"])
        if issue.raising_department_id == department_id:
            shown.append(labels["raised"])
    return shown


def issues_most_urgent(user, limit: int = 10) -> list[Issue]:
    """Open issues `user` sees, most pressing first: overdue, due soon, unassigned too long.

    For staff these are the issues of the three home sets (牵头, 配合, 登记 by the unit):
    visible_to() also lets a user see what they raised themselves in another unit, which
    no card counts, so it is left out here."""
    return urgent_issues(user, limit)  # the ledger's own health order, see urgent_issues


def _staff_sets(user) -> Q:
    co_handled = Issue.co_departments.through.objects.filter(
        issue_id=OuterRef("pk"), department_id=user.department_id
    )
    return (
        Q(lead_department_id=user.department_id)
        | Q(raising_department_id=user.department_id)
        | Exists(co_handled)
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

    from ledger.models import Enterprise, KeyProject
    from ledger.models.issues import health_rank

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


# -- the other list pages at a million issues (issue 11) -------------------------------
# Counts are one conditional aggregation per figure set; lists are a few LIMITed queries
# that an index serves (status + deadline ranges from models.issues.health_q and the
# stored health_tier/due_date columns), never a per-row CASE sorted over the whole table.

# every home card that filters on status or health counts only issues in these statuses
_CARD_STATUSES = [
    Status.RAISED.value,
    Status.ASSIGNED.value,
    Status.IN_PROGRESS.value,
    Status.RESOLVED.value,
]


def _pending_extension_exists() -> Exists:
    return Exists(
        ExtensionRequest.objects.filter(
            issue_id=OuterRef("pk"), state=ExtensionRequest.State.PENDING
        )
    )


def co_exists(department) -> Exists:
    """The outer issue has `department` among its co-departments."""
    return Exists(
        Issue.co_departments.through.objects.filter(
            issue_id=OuterRef("pk"), department_id=int(department)
        )
    )


def co_alias(department) -> str:
    return f"co_department_{int(department)}"


def _card_condition(params, today) -> Q:
    """The ledger filter `params` (the home card's, see _home_card_definitions) as one Q:
    the same conditions IssueFilter applies for these parameters, on a queryset that
    carries co_alias(d) = co_exists(d) for each co-department the cards name."""
    from ledger.models.issues import health_q

    condition = Q()
    statuses, healths = [], []
    for key, value in params:
        value = str(value)
        if key == "status":
            statuses.append(value)
        elif key == "health":
            healths.append(value)
        elif key == "pending_extension":
            condition &= Q(_pending_extension_exists())
        elif key == "leader":
            condition &= Q(leader_id=int(value))
        elif key == "lead_department":
            condition &= Q(lead_department_id=int(value))
        elif key == "raising_department":
            condition &= Q(raising_department_id=int(value))
        elif key == "co_department":
            condition &= Q(**{co_alias(value): True})
        else:  # a card must only use the parameters translated here
            raise ValueError(f"home card parameter {key!r} has no SQL translation")
    if statuses:
        condition &= Q(status__in=statuses)
    if healths:
        condition &= health_q(healths, today)
    return condition


def home_card_counts(user, definitions, today=None) -> dict[str, int]:
    """key -> count for the home cards `definitions` ((key, label, params, tone, scope)),
    in two queries whatever the number of cards: one conditional aggregation over the
    open and resolved issues `user` sees (every status or health card lies in them, so
    the status index narrows the scan), one over those with a pending extension request."""
    from django.utils import timezone

    today = today or timezone.localdate()
    by_status, by_extension, counts = {}, {}, {}
    for key, _label, params, _tone, _scope in definitions:
        keys = {k for k, _v in params}
        if "pending_extension" in keys:
            rest = [(k, v) for k, v in params if k != "pending_extension"]
            by_extension[key] = count_rows(filter=_card_condition(rest, today))
        elif keys & {"status", "health"}:
            by_status[key] = count_rows(filter=_card_condition(params, today))
        else:
            raise ValueError(f"home card {key!r} is neither a status, health nor extension card")
    issues = visible_to(user).order_by()
    # a co-department test is made once per row, not once per card that names it: the
    # aggregation then reads an inner query that carries it (three cards of the busiest
    # department at 1M: three EXISTS over 45,000 rows each)
    co_departments = {
        v for _k, _l, params, _t, _s in definitions for k, v in params if k == "co_department"
    }
    for department in co_departments:
        issues = issues.annotate(**{co_alias(department): co_exists(department)})
    if by_status:
        counts.update(issues.filter(status__in=_CARD_STATUSES).aggregate(**by_status))
    if by_extension:
        counts.update(issues.filter(_pending_extension_exists()).aggregate(**by_extension))
    return counts


def urgent_issues(user, limit: int = 10) -> list[Issue]:
    """issues_most_urgent(): the head of the ledger's "open issues by health" (the link
    under the list), in one LIMITed query the health_tier/due_date index serves — running
    issues by deadline (overdue, then due soon, then the rest), then 待交办 oldest first."""
    from ledger.filters import ledger_order

    rows = ledger_queryset(user).open()
    if getattr(user, "is_authenticated", False) and user.role == User.Role.STAFF:
        rows = rows.filter(_staff_sets(user))
    return list(ledger_order(rows, "health")[:limit])


SUBJECT_PREVIEW = 5


class SubjectCards(list):
    """The cards shown (most pressing first when cut) and `total`: how many the leader 分包."""

    total = 0


SUBJECT_CARDS = 24


def leader_subject_cards(
    user, preview: int = SUBJECT_PREVIEW, cards: int = SUBJECT_CARDS
) -> tuple[list, list]:
    """The enterprises and key projects `user` 分包, each with `open_count`, `overdue_count`
    (counted in SQL, grouped by subject) and `preview`: its `preview` most pressing open
    issues `user` sees (a window function keeps the first few of each subject). At most `cards`
    of each kind, those with the most overdue and open issues; `.total` says how many there
    are. A fixed number of queries, whatever the number of subjects or issues, and only the
    cards' subjects are read (a leader may 分包 thousands at a province's scale)."""
    from django.db.models import F, Window
    from django.db.models.functions import RowNumber
    from django.utils import timezone

    from ledger.models import Enterprise, KeyProject
    from ledger.models.issues import HEALTH_ORDER, health_q, health_rank

    leader_id = _leader_id(user)
    if leader_id is None:
        return [], []
    today = timezone.localdate()
    open_issues = visible_to(user, Issue.objects.open()).order_by()
    result = []
    for field, subjects_qs, name_order in (
        ("enterprise", Enterprise.objects.filter(leader_id=leader_id), ["name"]),
        ("project", KeyProject.objects.filter(leader_id=leader_id), ["level", "name"]),
    ):
        subjects_qs = subjects_qs.order_by(*name_order, "pk")
        total = subjects_qs.count()
        counts = (
            # the issues of the subjects a leader 分包 are all theirs to see (visible_to),
            # so the counts need not repeat its conditions
            Issue.objects.open()
            .filter(**{f"{field}__leader_id": leader_id})
            .values(field)
            .annotate(n=count_rows(), overdue=count_rows(filter=health_q(["red"], today)))
        )
        if total <= cards:
            subjects = SubjectCards(subjects_qs)  # all of them, in name order
            counted = {row[field]: row for row in counts.order_by()}
        else:
            # the cards of those with the most overdue and open issues, then the rest by
            # name; the directories list them all (the view links them)
            ranked = list(
                counts.order_by("-overdue", "-n", *[f"{field}__{n}" for n in name_order], field)[
                    :cards
                ]
            )
            counted = {row[field]: row for row in ranked}
            pks = list(counted)
            if len(pks) < cards:
                pks += list(
                    subjects_qs.exclude(pk__in=pks).values_list("pk", flat=True)[: cards - len(pks)]
                )
            loaded = subjects_qs.in_bulk(pks)
            subjects = SubjectCards(loaded[pk] for pk in pks)
        subjects.total = total
        result.append(subjects)
        by_pk = {subject.pk: subject for subject in subjects}
        for subject in subjects:
            row = counted.get(subject.pk)
            subject.open_count = row["n"] if row else 0
            subject.overdue_count = row["overdue"] if row else 0
            subject.preview = []
        if not subjects:
            continue
        mine = open_issues.filter(**{f"{field}_id__in": list(by_pk)})
        # the window ranks narrow rows (id, subject, the sort keys); the few kept are
        # then read whole — sorting whole rows spilled to disk at 14,000 open issues
        first = (
            mine.with_health(today)
            .annotate(
                place=Window(
                    RowNumber(),
                    partition_by=F(field),
                    order_by=[health_rank(), F("deadline").asc(nulls_last=True), "-year", "-seq"],
                )
            )
            .filter(place__lte=preview)
            .values("pk")
        )
        shown = list(
            Issue.objects.filter(pk__in=first)
            .with_health(today)
            .select_related("lead_department")
            .order_by()
        )
        # the same order as the window's, on the few rows kept
        shown.sort(
            key=lambda issue: (
                HEALTH_ORDER.index(issue.health_code),
                issue.deadline is None,
                issue.deadline or today,
                -issue.year,
                -issue.seq,
            )
        )
        for issue in shown:
            by_pk[getattr(issue, f"{field}_id")].preview.append(issue)
    enterprises, projects = result
    return enterprises, projects


def leader_items_ordered(user) -> QuerySet:
    """leader_items() in an order an index serves: running issues by deadline, then those
    waiting to be assigned, then the rest (health_tier, then deadline)."""
    from django.db.models import F

    leader_id = _leader_id(user)
    if leader_id is None:
        return Issue.objects.none()
    return (
        ledger_queryset(user)
        .filter(leader_id=leader_id)
        .order_by("health_tier", F("deadline").asc(nulls_last=True), "-year", "-seq")
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
