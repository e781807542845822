"""Views: the ledger table (问题台账) with its filters, sort orders and pages."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import QuerySet
from django.http import QueryDict
from django.shortcuts import render
from django.urls import path
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from ledger.filters import (
    LEDGER_SORTS,
    RANGED_FILTERS,
    IssueFilter,
    ledger_order,
    ledger_params,
    parse_sort,
)
from ledger.selectors import ledger_queryset

# the ledger counts its rows up to this many; past it the summary says "more than" and
# offers the exact figure on demand (?count=exact) — a COUNT(*) over a million visible rows
# on every page would cost more than the page itself
COUNT_CAP = 1_000
# pages a capped list accepts (the last one is found when asked past the end)
MAX_PAGE = 1_000_000


class LedgerPage(Page):
    def has_next(self):
        if self.paginator.count_capped:
            return self.paginator.has_more
        return super().has_next()


class IdsFirstPaginator(Paginator):
    """Django's paginator whose page reads its ordered ids first (from the table alone), then
    those rows with their joins. PostgreSQL joins every row before it cuts the page: a page of
    100 key projects with their owners hashed all 20,000 enterprises first (31 ms at a
    province's size; 3 ms read this way). A list (not a queryset) is paged as Django does."""

    def page(self, number):
        if not isinstance(self.object_list, QuerySet):
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = list(self.object_list.filter(pk__in=ids)) if ids else []
        return self._get_page(rows, number, self)


class LedgerPaginator(Paginator):
    """Pages of the ledger at any size in a fixed number of queries.

    - count: capped at COUNT_CAP (a COUNT over a LIMITed subquery that reads only ids)
      unless `exact`; `count_capped` says the real figure is larger;
    - a page: first the ids of its rows (the ordered, filtered ids only, which an index
      scan gives without reading the rest of the rows even at page 2000), then those
      rows with everything a row shows."""

    def __init__(self, object_list, per_page, *, exact: bool = False):
        super().__init__(object_list, per_page)
        self.exact = exact
        self.count_capped = False
        self.has_more = False

    @cached_property
    def count(self):
        ids = self.object_list.order_by().values("pk")
        if self.exact:
            return ids.count()
        counted = ids[: COUNT_CAP + 1].count()
        self.count_capped = counted > COUNT_CAP
        return min(counted, COUNT_CAP)

    @cached_property
    def num_pages(self):
        if self.count and self.count_capped:
            return MAX_PAGE
        return super().num_pages

    def get_page(self, number):
        try:
            return super().get_page(number)
        except EmptyPage:
            return self.page(self.num_pages)

    def _get_page(self, *args, **kwargs):
        return LedgerPage(*args, **kwargs)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        ids = list(
            self.object_list.values_list("pk", flat=True)[bottom : bottom + self.per_page + 1]
        )
        if not ids and number > 1 and self.count_capped:
            # asked past the end of a capped list: count it exactly, show the last page
            self.exact = True
            for name in ("count", "num_pages"):
                self.__dict__.pop(name, None)
            self.count_capped = False
            raise EmptyPage(_("该页没有结果"))
        self.has_more = len(ids) > self.per_page
        ids = ids[: self.per_page]
        rows = list(self.object_list.filter(pk__in=ids)) if ids else []
        return self._get_page(rows, number, self)


ENDS = ("after", "before")
# how the form lays the filters out: drop-downs, date ranges, and subjects chosen by id
SELECT_FILTERS = (
    "category",
    "source",
    "urgency",
    "leader",
    "lead_department",
    "co_department",
    "raising_department",
    "escalated",
    "long_term",
    "pending_extension",
)
DATE_FILTERS = ("raised", "deadline")
SUBJECT_FILTERS = ("enterprise", "project")
# parameters the form shows as fields; any other ledger parameter in the URL (the filters the
# dashboard and assessment link with) rides along as a hidden input, so re-filtering keeps it
FORM_PARAMS = {
    "q",
    "status",
    "health",
    "sort",
    *SELECT_FILTERS,
    *SUBJECT_FILTERS,
    *(f"{name}_{end}" for name in DATE_FILTERS for end in ("after", "before")),
}


def carried_params(params: QueryDict) -> list[tuple[str, str]]:
    """(name, value) of the ledger parameters in force that the form has no field for."""
    return [(k, v) for k in params if k not in FORM_PARAMS for v in params.getlist(k)]


def sort_links(params: QueryDict, current: str) -> dict[str, dict]:
    """For each sortable column: the link that sorts by it (toggling direction) and its state."""
    links = {}
    for key in LEDGER_SORTS:
        query = params.copy()
        if current == key:
            query["sort"], state = f"-{key}", "ascending"
        elif current == f"-{key}":
            query["sort"], state = key, "descending"
        else:
            query["sort"], state = key, None
        links[key] = {"url": f"?{query.urlencode()}", "state": state}
    return links


def _without(params: QueryDict, key: str) -> str:
    query = params.copy()
    query.pop(key, None)
    return f"?{query.urlencode()}"


@login_required
def issue_list(request):
    params = ledger_params(request.GET)
    filterset = IssueFilter(params or None, queryset=ledger_queryset(request.user))
    sort = parse_sort(request.GET.get("sort"))
    ranged = any(params.get(f"{name}_{end}") for name in RANGED_FILTERS for end in ENDS)
    rows = ledger_order(filterset.qs, sort, ranged=ranged)

    paginator = LedgerPaginator(
        rows, settings.LEDGER["PAGE_SIZE"], exact=request.GET.get("count") == "exact"
    )
    asked = request.GET.get("page")
    page = paginator.get_page(asked)
    for issue in page.object_list:
        # the table's scope line is the home page's (views/home.py); none here, said so
        # rather than left to a failed template lookup per row (about 50 µs each)
        issue.scope_labels = ()
    page_note = ""
    if asked not in (None, "", str(page.number)):
        page_note = _("页码“%(asked)s”无效，已显示第 %(page)s 页。") % {
            "asked": asked[:20],
            "page": page.number,
        }

    errors = []
    if filterset.is_bound:
        for name, messages in filterset.form.errors.items():
            label = filterset.form.fields[name].label if name in filterset.form.fields else name
            errors.append((label, " ".join(str(m) for m in messages)))
    cleaned = getattr(filterset.form, "cleaned_data", {})
    chosen = [
        (name, filterset.form.fields[name].label, cleaned[name], _without(params, name))
        for name in SUBJECT_FILTERS
        if cleaned.get(name)
    ]
    page_params = params.copy()
    page_params["sort"] = sort
    return render(
        request,
        "ledger/issue_list.html",
        {
            "filter": filterset,
            "form": filterset.form,
            "page_obj": page,
            "issues": page.object_list,
            "sort": sort,
            "sort_links": sort_links(params, sort),
            "page_query": page_params.urlencode(),
            "count_cap": COUNT_CAP,
            "filter_errors": errors,
            "chosen_subjects": chosen,
            "carried_params": carried_params(params),
            "active_filters": [a for a in filterset.active if a[0] not in SUBJECT_FILTERS],
            "select_fields": [filterset.form[name] for name in SELECT_FILTERS],
            "date_ranges": [
                {
                    "name": name,
                    "label": filterset.form.fields[name].label,
                    "after": params.get(f"{name}_after", ""),
                    "before": params.get(f"{name}_before", ""),
                }
                for name in DATE_FILTERS
            ],
            "is_filtered": bool(params.keys() - {"sort"}),
            "page_note": page_note,
        },
    )


urlpatterns = [
    path("issues/", issue_list, name="issue_list"),
]
