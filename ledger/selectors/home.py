"""Reads of the home page: the sets of issues a role counts in, the cards of what waits
for the reader, and the most urgent open issues.

Each card is a ledger filter: its count is that filter applied to the ledger's own rows,
so the number and the table its link opens agree.
"""

from urllib.parse import urlencode

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledger import summaries
from ledger.models import ExtensionRequest, Issue, SummaryCount, User
from ledger.models.issues import health_q
from ledger.selectors.issues import (
    count_rows,
    first_rows,
    leader_id_of,
    ledger_queryset,
    visible_to,
)
from ledger.selectors.ordering import OPEN_STATUS_VALUES, ledger_order
from ledger.states import Status


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
        return urlencode(self.params)

    def __repr__(self):
        return f"<HomeCard {self.key}={self.count} {self.query}>"


def home_scopes(user) -> list[tuple[str, object, list[tuple[str, str]]]]:
    """(scope, label, ledger filter params) of the sets of issues the home page counts in,
    by role. Every card belongs to one of them, and so does every row of the urgent list."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_superuser or user.role in (User.Role.ADMIN, User.Role.SUPERVISOR):
        return [("all", _("全区"), [])]
    if user.role == User.Role.LEADER:
        leader_id = leader_id_of(user)
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
    """What waits for `user`. Each card's count is the ledger's own filter
    applied to the ledger's own rows, so the number and the table its link opens agree."""
    labels = {scope: label for scope, label, _params in home_scopes(user)}
    definitions = _home_card_definitions(user)
    counts = home_card_counts(user, definitions)  # one query for all the cards
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
        leader_id = leader_id_of(user)
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


# -- the cards' counts and the urgent list at a million issues --------------------------
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


def _scope_rows(user, scope: str) -> Q:
    """The summary rows of one of the home page's sets (home_scopes)."""
    kind = SummaryCount.Kind
    if scope == "all":
        return Q(kind=kind.ALL, unit=0)
    if scope == "mine":
        return Q(kind=kind.LEADER, unit=leader_id_of(user))
    if scope == "subjects":
        return summaries.subjects_rows(leader_id_of(user))
    department = {"lead": kind.LEAD, "co": kind.CO, "raised": kind.RAISED}[scope]
    return Q(kind=department, unit=user.department_id)


# which rows of the reader's sets (home_card_counts) each set is made of: None, all of them
# (a leader's 分包 set: their own rows and their subjects')
_SCOPE_KINDS = {
    "all": {SummaryCount.Kind.ALL},
    "mine": {SummaryCount.Kind.LEADER},
    "subjects": None,
    "lead": {SummaryCount.Kind.LEAD},
    "co": {SummaryCount.Kind.CO},
    "raised": {SummaryCount.Kind.RAISED},
}


def _card_test(params, scope, today, bounds):
    """The card's condition on one grouped row (kind, status, day, pending, n): its set
    (scope), then its statuses, health lights and pending extension — the ledger filter
    `params` (the set's own parameter is the scope)."""
    kinds = _SCOPE_KINDS[scope]
    statuses = {str(v) for k, v in params if k == "status"}
    healths = {str(v) for k, v in params if k == "health"}
    pending = any(k == "pending_extension" for k, _v in params)
    if not (statuses or healths or pending):
        raise ValueError("a home card is a status, health or extension card")

    def test(kind, status, day, is_pending):
        if kinds is not None and kind not in kinds:
            return False
        if pending and not is_pending:
            return False
        if not pending and status not in _CARD_STATUSES:
            return False
        if statuses and status not in statuses:
            return False
        return not healths or summaries.row_health(status, day, today, bounds) in healths

    return test


def home_card_counts(user, definitions, today=None) -> dict[str, int]:
    """key -> count for the home cards `definitions` ((key, label, params, tone, scope)):
    the summary rows of the reader's sets (ledger.summaries), fetched in one query and
    added up per card, cached per user until the next event commits. Equal to
    home_card_counts_from_issues (tests compare both)."""
    today = today or timezone.localdate()
    if not definitions:
        return {}

    def compute():
        bounds = summaries.day_bounds(today)
        rows = Q(pk__in=[])
        for scope in dict.fromkeys(scope for *_rest, scope in definitions):
            rows |= _scope_rows(user, scope)
        grouped = summaries.grouped(rows)
        counts = {}
        for key, _label, params, _tone, scope in definitions:
            test = _card_test(params, scope, today, bounds)
            counts[key] = sum(
                n for kind, status, day, pending, n in grouped if test(kind, status, day, pending)
            )
        return counts

    name = (
        f"home:{user.pk}:{user.is_superuser}:{user.role}:"
        f"{user.department_id}:{leader_id_of(user)}:{today}"
    )
    return summaries.cached(name, compute)


def home_card_counts_from_issues(user, definitions, today=None) -> dict[str, int]:
    """key -> count for the home cards `definitions` ((key, label, params, tone, scope)),
    counted from the issues themselves: the definition the summary rows must equal
    (home_card_counts; tests compare both), in two queries whatever the number of
    cards: one conditional aggregation over the
    open and resolved issues `user` sees (every status or health card lies in them, so
    the status index narrows the scan), one over those with a pending extension request."""
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
    rows = ledger_queryset(user).open()
    if getattr(user, "is_authenticated", False) and user.role == User.Role.STAFF:
        rows = rows.filter(_staff_sets(user))
    return first_rows(ledger_order(rows, "health"), limit)
