"""Views: the ledger table (问题台账) with its filters, sort orders and pages."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django_filters import DateFromToRangeFilter

from ledger.filters import LEDGER_SORTS, IssueFilter, ledger_order, parse_sort
from ledger.selectors import ledger_queryset


def _filter_param_names() -> set[str]:
    """Every query parameter the ledger understands (a date range comes as _after/_before)."""
    names = {"sort"}
    for name, declared in IssueFilter.base_filters.items():
        if isinstance(declared, DateFromToRangeFilter):
            names.update({f"{name}_after", f"{name}_before"})
        else:
            names.add(name)
    return names


FILTER_PARAMS = _filter_param_names()
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


def ledger_params(query: QueryDict) -> QueryDict:
    """The ledger's own parameters from a request, without page and anything unknown."""
    kept = QueryDict(mutable=True)
    for key in query:
        values = [v for v in query.getlist(key) if v != ""]
        if key in FILTER_PARAMS and values:
            kept.setlist(key, values)
    return kept


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
    rows = ledger_order(filterset.qs, sort)

    paginator = Paginator(rows, settings.LEDGER["PAGE_SIZE"])
    asked = request.GET.get("page")
    page = paginator.get_page(asked)
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
