"""The ledger's sort orders and the workflow order of statuses: how every list of issues
is ordered, shared by the ledger's filters, exports, print and the home page's urgent list.

Sort keys are looked up in LEDGER_SORTS, never passed on to the database as given.
"""

from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce

from ledger.models.issues import HEALTH_SORT
from ledger.states import OPEN_STATUSES, Status

# the order statuses take in the workflow, and health from most to least pressing
STATUS_ORDER = [
    Status.RAISED,
    Status.ASSIGNED,
    Status.IN_PROGRESS,
    Status.RESOLVED,
    Status.CLOSED,
    Status.WITHDRAWN,
]
# ledger filter values meaning "still open" (待交办, 已交办, 办理中), in workflow order
OPEN_STATUS_VALUES = [s.value for s in STATUS_ORDER if s in OPEN_STATUSES]

# sort key in the URL -> what it orders by (ascending); "-key" reverses it. Each leading
# column has an index (Issue.Meta.indexes, migration 0005); the joined ones (source,
# category, leader, lead department) order by a few-row table's column.
LEDGER_SORTS = {
    "number": ("year", "seq"),
    "title": ("title",),
    "source": ("source__order", "source__name"),
    "category": ("category__order", "category__name"),
    "leader": ("leader__order", "leader__id"),
    "lead_department": ("lead_department__order", "lead_department__name"),
    "raised": ("raised_at",),
    "deadline": ("deadline",),
    "status": ("status_rank",),
    "health": HEALTH_SORT,
}
DEFAULT_SORT = "-number"
# (year, seq) is unique: appended to every order so pages never overlap or skip rows
TIEBREAKER = ("-year", "-seq")
# columns that are never NULL (or NULL for a whole health tier): ordered without NULLS LAST,
# which PostgreSQL would otherwise not match with their indexes
PLAIN_ORDER = {"year", "seq", "title", "raised_at", "status_rank", *HEALTH_SORT}


def parse_sort(value: str | None) -> str:
    """The sort key asked for if it is allowed, else the default."""
    value = (value or "").strip()
    return value if value.lstrip("-") in LEDGER_SORTS else DEFAULT_SORT


# date-range filters on a column of the issue: rows in a range are found by that column's
# index (see ledger_order's `ranged`)
RANGED_FILTERS = ("raised", "deadline", "assigned", "resolved", "closed")


def ledger_order(queryset: QuerySet, sort: str, *, ranged: bool = False) -> QuerySet:
    """Order by an allowed sort key (see parse_sort); nulls always last, ties by number.

    `ranged`: the rows are limited by a date range (RANGED_FILTERS). PostgreSQL would then
    often walk the sort's index and test every row against the range — at a million issues,
    435 ms to find March 2025 by walking the numbers down from today — so the sort keys are
    written as COALESCE(x, x), which no index matches: the range's index finds the rows and
    the few asked for are sorted (28 ms). The order is the same."""
    sort = parse_sort(sort)
    descending = sort.startswith("-")
    terms = []
    names = [*LEDGER_SORTS[sort.lstrip("-")], *(t.lstrip("-") for t in TIEBREAKER)]
    for position, name in enumerate(names):
        down = descending if position < len(names) - len(TIEBREAKER) else True
        expression = Coalesce(F(name), F(name)) if ranged else F(name)
        if name in PLAIN_ORDER:
            terms.append(expression.desc() if down else expression.asc())
        else:
            terms.append(
                expression.desc(nulls_last=True) if down else expression.asc(nulls_last=True)
            )
    return queryset.order_by(*terms)
