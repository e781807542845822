"""Cursor pagination of the issue list in any of the ledger's sorts (selectors/ordering.py).

A page ends with the next page's cursor: the sort and the values of the last row's sort
columns (with the unique ledger number as tiebreaker), signed so it cannot be forged. The
next page is the rows after those values (a keyset condition the sort's index serves), so
a row added or moved meanwhile never makes a page repeat or skip rows the way an offset
would, and page 10,000 costs what page 1 does.
"""

from __future__ import annotations

from django.core import signing
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions

from ledger.selectors.ordering import LEDGER_SORTS, PLAIN_ORDER, TIEBREAKER, parse_sort

SALT = "ledger.api.cursor"
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def order_columns(sort: str) -> list[tuple[str, bool]]:
    """(column, descending) of the sort, in ledger_order's order, tiebreaker last."""
    sort = parse_sort(sort)
    descending = sort.startswith("-")
    columns = [(name, descending) for name in LEDGER_SORTS[sort.lstrip("-")]]
    columns += [(name.lstrip("-"), True) for name in TIEBREAKER]
    return columns


def _after(name: str, descending: bool, value) -> Q | None:
    """Rows after `value` in column `name`, NULLs last (as ledger_order sorts them)."""
    nullable = name not in PLAIN_ORDER
    if value is None:
        return None  # nothing sorts after NULL, which is last
    condition = Q(**{f"{name}__lt" if descending else f"{name}__gt": value})
    if nullable:
        condition |= Q(**{f"{name}__isnull": True})
    return condition


def _equal(name: str, value) -> Q:
    return Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})


def keyset_after(columns: list[tuple[str, bool]], values: list) -> Q:
    """Rows strictly after the row with `values`: the first column after it, or equal there
    and the second after it, and so on."""
    condition = Q(pk__in=[])
    for position, (name, descending) in enumerate(columns):
        after = _after(name, descending, values[position])
        if after is None:
            continue
        prefix = Q()
        for earlier, (earlier_name, _desc) in enumerate(columns[:position]):
            prefix &= _equal(earlier_name, values[earlier])
        condition |= prefix & after
    return condition


def cursor_make(sort: str, values: list) -> str:
    return signing.dumps([parse_sort(sort), values], salt=SALT, compress=True)


def cursor_read(cursor: str, sort: str) -> list:
    """The values a cursor continues after; a forged cursor, or one of another sort, is a
    400 with a message."""
    try:
        cursor_sort, values = signing.loads(cursor, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise exceptions.ValidationError(
            {"cursor": [_("翻页标记无效，请从第一页重新开始。")]}
        ) from None
    if cursor_sort != parse_sort(sort) or len(values) != len(order_columns(sort)):
        raise exceptions.ValidationError(
            {"cursor": [_("翻页标记与当前排序不符，请从第一页重新开始。")]}
        )
    return values


def limit_read(value) -> int:
    if value in (None, ""):
        return DEFAULT_LIMIT
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_LIMIT:
        raise exceptions.ValidationError(
            {"limit": [_("每页条数须为 1 至 %(max)s 之间的整数。") % {"max": MAX_LIMIT}]}
        )
    return int(text)


def page_of(queryset: QuerySet, *, sort: str, cursor: str | None, limit: int):
    """(rows of this page, the next page's cursor or None). `queryset` is already ordered
    by ledger_order(sort)."""
    columns = order_columns(sort)
    if cursor:
        queryset = queryset.filter(keyset_after(columns, cursor_read(cursor, sort)))
    rows = list(queryset[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    if not more or not rows:
        return rows, None
    last = rows[-1]
    values = _values_of(queryset.model, last.pk, columns)
    return rows, cursor_make(sort, values)


def _values_of(model, pk, columns) -> list:
    """The sort columns of one row, as JSON values (dates as ISO text)."""
    names = [name for name, _desc in columns]
    row = model.objects.filter(pk=pk).values_list(*names).get()
    return [value.isoformat() if hasattr(value, "isoformat") else value for value in row]
