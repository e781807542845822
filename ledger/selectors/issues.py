"""Reads of issues: who sees which issues (visible_to), one issue, the ledger's rows, and
likely duplicates of an issue being logged.

visible_to() is the one place that decides visibility for lists (ledger, home,
exports, dashboard, notifications, admin). It must agree with the
`ledger.view_issue` rule in rules.py; tests/test_permissions.py proves it.
"""

import difflib
import unicodedata

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

from ledger.models import Enterprise, ExtensionRequest, Issue, IssueEvent, KeyProject, User
from ledger.states import OPEN_STATUSES, Action, Status


def leader_id_of(user) -> int | None:
    """The Leader id of `user`, or None when `user` is not a leader."""
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


# from how many 分包 enterprises a leader's visibility is tested by a hashed subquery
LEADER_HASHED_FROM = 500


def _many_subjects(user, leader_id: int, using: str) -> bool:
    """Whether `leader_id` 分包 more than LEADER_HASHED_FROM enterprises (PostgreSQL only:
    SQLite's test is IN (SELECT …) either way). Asked once per request: kept on the user."""
    if connections[using].vendor != "postgresql":
        return False
    known = user.__dict__.setdefault("_many_subjects", {})
    key = (using, leader_id)
    if key not in known:
        enterprises = Enterprise.objects.using(using).filter(leader_id=leader_id).order_by()
        known[key] = enterprises[: LEADER_HASHED_FROM + 1].count() > LEADER_HASHED_FROM
    return known[key]


def visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    """The issues `user` may see. A system account (the 系统账号 role) sees none: its
    `view_issue` right serves the automatic actions only (rules.py), never a screen."""
    issues = Issue.objects.all() if queryset is None else queryset
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return issues.none()
    if user.role == User.Role.SYSTEM:
        return issues.none()
    if user.is_superuser or user.role in (User.Role.ADMIN, User.Role.SUPERVISOR):
        return issues
    if user.role == User.Role.LEADER:
        leader_id = leader_id_of(user)
        if leader_id is None:
            return issues.none()
        # a few 分包 enterprises and projects: their ids first, then the issues by the
        # indexed foreign keys (a bitmap OR of three index scans, no join). Many of them
        # (LEADER_HASHED_FROM): IN (SELECT …), which PostgreSQL hashes once; the array form
        # is then searched from end to end for every row a plan filters — a capped count of
        # the ledger of a leader of 9,034 enterprises spent 75 ms comparing, 3 ms hashed
        lookup = "in" if _many_subjects(user, leader_id, issues.db) else "in_subquery"
        return issues.filter(
            Q(leader_id=leader_id)
            | Q(
                **{
                    f"enterprise__{lookup}": Enterprise.objects.filter(leader_id=leader_id)
                    .order_by()  # unsorted: the name order cost 25 ms at 9,000 enterprises
                    .values("pk")
                }
            )
            | Q(
                **{
                    f"project__{lookup}": KeyProject.objects.filter(leader_id=leader_id)
                    .order_by()
                    .values("pk")
                }
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


def visible_led_by(user) -> QuerySet:
    """The issues `user` is the responsible leader of, as far as `user` may see them. For an
    active leader that is every one of them (visible_to's first branch), read without
    visible_to's OR over their 分包 subjects: at a million issues that OR made a capped
    count read 550 pages instead of 7. For anyone else, visible_to's answer narrowed."""
    leader_id = leader_id_of(user)
    if leader_id is None:
        return Issue.objects.none()
    issues = Issue.objects.filter(leader_id=leader_id)
    if (
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.role == User.Role.LEADER
    ):
        return issues
    return visible_to(user, issues)


# the search and visibility columns the database keeps (ledger_index.py): used in WHERE,
# never shown, and large (every bigram of the description), so never loaded with a row
UNREAD_COLUMNS = ("involved", "search_grams")
# what a row of issues names beside its own columns (the ledger's table, the API's issues)
ROW_RELATIONS = (
    "category",
    "source",
    "enterprise",
    "project",
    "leader__user",
    "lead_department",
    "raising_department",
)


def issue_rows(issues: QuerySet) -> QuerySet:
    """`issues` with what a row shows, in a fixed number of queries: the unread columns
    deferred, the health, the related rows and the co-departments."""
    return (
        issues.defer(*UNREAD_COLUMNS)
        .with_health()
        .select_related(*ROW_RELATIONS)
        .prefetch_related("co_departments")
    )


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


def first_rows(rows: QuerySet, limit: int) -> list[Issue]:
    """The first `limit` of `rows` (an ordered ledger_queryset()), in two simple queries: the
    ordered ids (one table), then those rows with everything a row shows, put back in order.
    As one query (eight joins, three subqueries, an ORDER BY that several indexes serve and a
    LIMIT) PostgreSQL spent 20–50 ms planning it at a million issues, for 1 ms of running."""
    ids = list(rows.values_list("pk", flat=True)[:limit])
    if not ids:
        return []
    found = {issue.pk: issue for issue in rows.order_by().filter(pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]


def ledger_queryset(user) -> QuerySet:
    """The ledger table's rows with everything a row shows, in a fixed number of queries."""
    return ledger_rows(visible_to(user))


def ledger_rows(issues: QuerySet) -> QuerySet:
    """`issues` as the ledger table's rows (ledger_queryset without the visibility: for a
    set the caller knows `user` sees)."""
    return issue_rows(issues).annotate(
        returned_reason=returned_reason(), **pending_extension_fields()
    )


# -- logging an issue: likely duplicates ----------------------------------------

# titles at least this similar (0..1) are shown as likely duplicates
DUPLICATE_SIMILARITY = 0.5


def _title_key(title: str) -> str:
    folded = unicodedata.normalize("NFKC", title or "").lower()
    return "".join(ch for ch in folded if ch.isalnum())


def title_similarity(a: str, b: str) -> float:
    """0..1: the larger of difflib's ratio and the Dice overlap of 2-character substrings.

    Computed in Python on a handful of candidate rows, so it works the same on
    SQLite and PostgreSQL (no trigram extension needed).
    """
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
