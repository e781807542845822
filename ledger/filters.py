"""The ledger's filters: what a URL query may ask of the issue table.

Only what is declared here reaches the database: django-filter ignores any other
parameter, and sort keys are looked up in LEDGER_SORTS (selectors/ordering.py, re-exported
here for the screens), never passed on as given.
Invalid values are reported by the form and left out of the query.
"""

import datetime
import time

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections
from django.db.models import Exists, OuterRef, Q, Value
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import (
    CharFilter,
    ChoiceFilter,
    DateFromToRangeFilter,
    FilterSet,
    ModelChoiceFilter,
    MultipleChoiceFilter,
)
from django_filters.fields import DateRangeField

from ledger.models import (
    Category,
    Department,
    Enterprise,
    ExtensionRequest,
    Issue,
    IssueEvent,
    KeyProject,
    Leader,
    Source,
)
from ledger.models.issues import (
    HEALTH_ORDER,
    health_q,
    health_rank,  # noqa: F401 -- re-exported for older imports
)
from ledger.selectors.ordering import (  # noqa: F401 -- the sorts, re-exported for screens
    DEFAULT_SORT,
    LEDGER_SORTS,
    OPEN_STATUS_VALUES,
    RANGED_FILTERS,
    STATUS_ORDER,
    ledger_order,
    parse_sort,
)
from ledger.states import RUNNING_STATUSES, Action, Status
from ledger.widgets import SharedChoices, quicken
from ledger.workdays import add_working_days

YES_NO = [("1", _("是")), ("0", _("否"))]
# the filter form's selects of every department (IssueFilter): the same rows, one query
DEPARTMENT_SELECTS = ("lead_department", "co_department", "raising_department")


def accepted_in_time(assigned_at, accepted_at) -> bool:
    """签收 no later than ACCEPT_WITHIN_WORKING_DAYS working days after the (last) assignment,
    counted on local calendar days (settings.TIME_ZONE)."""
    if assigned_at is None or accepted_at is None:
        return False
    assigned_on = timezone.localdate(assigned_at)
    limit = add_working_days(assigned_on, settings.LEDGER["ACCEPT_WITHIN_WORKING_DAYS"])
    return timezone.localdate(accepted_at) <= limit


def _has_event(action, **conditions) -> Exists:
    return Exists(IssueEvent.objects.filter(issue_id=OuterRef("pk"), action=action, **conditions))


def text_bigrams(text: str) -> list[str]:
    """The distinct 2-character pieces of `text` (lower-cased, none with white space), as
    ledger_index.ledger_text_grams() stores them for every issue."""
    text = text.lower()
    pieces = {text[i : i + 2] for i in range(len(text) - 1)}
    return sorted(p for p in pieces if not any(ch.isspace() for ch in p))


# PostgreSQL's statistics of the issues' bigrams (pg_stats.most_common_elems), per database
# alias: (read at, {bigram: share of the issues holding it}); read again after a while
_GRAM_STATS: dict[str, tuple[float, dict[str, float]]] = {}
GRAM_STATS_SECONDS = 600


def common_bigrams(using: str = "default") -> dict[str, float]:
    """The bigrams ANALYZE found most common in the issues' texts, with the share of the
    issues holding each (PostgreSQL's own statistics of search_grams; empty before the first
    ANALYZE). Read once per process every GRAM_STATS_SECONDS."""
    now = time.monotonic()
    known = _GRAM_STATS.get(using)
    if known is not None and now - known[0] < GRAM_STATS_SECONDS:
        return known[1]
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats"
            " WHERE schemaname = current_schema() AND tablename = %s AND attname = %s",
            [Issue._meta.db_table, "search_grams"],
        )
        row = cursor.fetchone()
    shares = dict(zip(row[0], row[1], strict=False)) if row and row[0] else {}
    _GRAM_STATS[using] = (now, shares)
    return shares


def index_grams(grams: list[str], using: str = "default") -> list[str]:
    """The bigrams of a search the GIN index is asked for. PostgreSQL estimates the rows
    holding several bigrams as if they were independent: 消防验收's three, each in a fifth of
    the issues, were estimated at 1 % where 21 % hold all three. On that estimate it counted
    a leader's matches through the index, 214,000 rows in 200 ms, where reading the newest
    issues in order finds the first thousand in a few. So when every bigram is a common one,
    only the rarest is asked for: its share is the estimate, close to the truth, and ILIKE
    checks the whole text as before. A search with a rare bigram asks for all of them: the
    index then narrows to a few rows, as it should."""
    shares = common_bigrams(using)
    if len(grams) < 2 or any(gram not in shares for gram in grams):
        return grams
    return [min(grams, key=lambda gram: (shares[gram], gram))]


def text_search_q(value: str, using: str = "default") -> Q:
    """Free text on PostgreSQL, through indexes.

    The issue's own text (number, title, description): rows holding every bigram of
    `value` (GIN on search_grams) are checked with ILIKE — the same rows as ILIKE alone,
    found without reading the table. A one-character text has no bigram and is ILIKE only.
    Names (enterprise, project, leader, category, lead and co-departments): the few matching rows
    of those small tables are looked up first (one query), then the issues by the
    indexed foreign keys (co-departments: the GIN on `involved`, checked exactly)."""
    own = Q(number__ilike=value) | Q(title__ilike=value) | Q(description__ilike=value)
    grams = text_bigrams(value)
    if grams:
        own = Q(search_grams__contains_all=index_grams(grams, using)) & own
    found = {"e": [], "p": [], "l": [], "c": [], "d": []}
    named = (
        Enterprise.objects.using(using)
        .filter(name__icontains=value)
        .annotate(found_kind=Value("e"))
        .order_by()
        .values_list("found_kind", "pk")
        .union(
            KeyProject.objects.using(using)
            .filter(name__icontains=value)
            .annotate(found_kind=Value("p"))
            .order_by()
            .values_list("found_kind", "pk"),
            Leader.objects.using(using)
            .filter(
                Q(user__name__icontains=value)
                | Q(user__last_name__icontains=value)
                | Q(user__first_name__icontains=value)
            )
            .annotate(found_kind=Value("l"))
            .order_by()
            .values_list("found_kind", "pk"),
            Category.objects.using(using)
            .filter(name__icontains=value)
            .annotate(found_kind=Value("c"))
            .order_by()
            .values_list("found_kind", "pk"),
            Department.objects.using(using)
            .filter(Q(name__icontains=value) | Q(short_name__icontains=value))
            .annotate(found_kind=Value("d"))
            .order_by()
            .values_list("found_kind", "pk"),
            all=True,
        )
        .order_by()
    )
    for kind, pk in named:
        found[kind].append(pk)
    condition = own
    if found["e"]:
        condition |= Q(enterprise_id__in=found["e"])
    if found["p"]:
        condition |= Q(project_id__in=found["p"])
    if found["l"]:
        condition |= Q(leader_id__in=found["l"])
    if found["c"]:
        condition |= Q(category_id__in=found["c"])
    if found["d"]:
        co_department = Issue.co_departments.through.objects.filter(
            issue_id=OuterRef("pk"), department_id__in=found["d"]
        )
        condition |= Q(lead_department_id__in=found["d"])
        condition |= Q(involved__overlaps=found["d"]) & Exists(co_department)
    return condition


# dates a range filter accepts: 0001-01-01 made midnight in Asia/Shanghai lies before the
# first representable UTC instant (OverflowError), and no ledger date is that far off
FILTER_DATE_MIN = datetime.date(1900, 1, 1)
FILTER_DATE_MAX = datetime.date(2999, 12, 31)


class BoundedDateRangeField(DateRangeField):
    """A date range whose ends are plausible dates, refused with a message otherwise."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        message = _("请输入 %(min)s 至 %(max)s 之间的日期。") % {
            "min": FILTER_DATE_MIN.isoformat(),
            "max": FILTER_DATE_MAX.isoformat(),
        }
        for field in self.fields:
            field.validators += [
                MinValueValidator(FILTER_DATE_MIN, message=message),
                MaxValueValidator(FILTER_DATE_MAX, message=message),
            ]


class BoundedDateRangeFilter(DateFromToRangeFilter):
    field_class = BoundedDateRangeField


class IssueFilter(FilterSet):
    """Filters of the ledger table. The queryset should come from selectors.ledger_queryset."""

    q = CharFilter(
        label=_("关键词"),
        method="filter_text",
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("编号、标题、描述、企业、项目、领导或单位名称"),
            }
        ),
    )
    status = MultipleChoiceFilter(
        label=_("状态"),
        choices=[(s.value, s.label) for s in STATUS_ORDER],
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
    )
    health = MultipleChoiceFilter(
        label=_("时限状态"),
        choices=[(h.value, h.label) for h in HEALTH_ORDER],
        method="filter_health",
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
    )
    category = ModelChoiceFilter(
        label=_("问题类别"), queryset=Category.objects.all(), empty_label=_("全部")
    )
    source = ModelChoiceFilter(
        label=_("问题来源"), queryset=Source.objects.all(), empty_label=_("全部")
    )
    urgency = ChoiceFilter(
        label=_("紧急程度"), choices=Issue.Urgency.choices, empty_label=_("全部")
    )
    leader = ModelChoiceFilter(
        label=_("责任领导"),
        queryset=Leader.objects.select_related("user"),
        empty_label=_("全部"),
    )
    lead_department = ModelChoiceFilter(
        label=_("牵头单位"), queryset=Department.objects.all(), empty_label=_("全部")
    )
    co_department = ModelChoiceFilter(
        label=_("配合单位"),
        queryset=Department.objects.all(),
        method="filter_co_department",
        empty_label=_("全部"),
    )
    raising_department = ModelChoiceFilter(
        label=_("登记单位"), queryset=Department.objects.all(), empty_label=_("全部")
    )
    # thousands of enterprises: chosen by id (from a link), shown by name, never listed
    enterprise = ModelChoiceFilter(
        label=_("企业"), queryset=Enterprise.objects.all(), widget=forms.HiddenInput
    )
    project = ModelChoiceFilter(
        label=_("重点项目"), queryset=KeyProject.objects.all(), widget=forms.HiddenInput
    )
    raised = BoundedDateRangeFilter(
        label=_("登记日期"),
        field_name="raised_at",
    )
    deadline = BoundedDateRangeFilter(label=_("完成时限"))
    escalated = ChoiceFilter(
        label=_("督办件"), choices=YES_NO, method="filter_escalated", empty_label=_("全部")
    )
    long_term = ChoiceFilter(
        label=_("长期坚持"), choices=YES_NO, method="filter_long_term", empty_label=_("全部")
    )
    pending_extension = ChoiceFilter(
        label=_("待审批延期"),
        choices=YES_NO,
        method="filter_pending_extension",
        empty_label=_("全部"),
    )
    # Filters the oversight figures link to (dashboard, assessment, reports); not in the form.
    assigned = BoundedDateRangeFilter(label=_("交办日期"), field_name="assigned_at")
    resolved = BoundedDateRangeFilter(label=_("办结日期"), field_name="resolved_at")
    closed = BoundedDateRangeFilter(label=_("销号日期"), field_name="closed_at")
    escalated_on = BoundedDateRangeFilter(label=_("督办日期"), method="filter_escalated_on")
    satisfaction = MultipleChoiceFilter(
        label=_("满意度"), choices=Issue.Satisfaction.choices, distinct=False
    )
    resolved_on_time = ChoiceFilter(
        label=_("按时办结"), choices=YES_NO, method="filter_resolved_on_time"
    )
    late = ChoiceFilter(label=_("逾期（未按时办结）"), choices=YES_NO, method="filter_late")
    accepted_in_time = ChoiceFilter(
        label=_("按时签收"), choices=YES_NO, method="filter_accepted_in_time"
    )
    returned = ChoiceFilter(label=_("曾被退回"), choices=YES_NO, method="filter_returned")
    returned_by = ModelChoiceFilter(
        label=_("退回单位"),
        queryset=Department.objects.all(),
        method="filter_returned_by",
        widget=forms.HiddenInput,
    )
    reopened = ChoiceFilter(label=_("曾重办"), choices=YES_NO, method="filter_reopened")

    class Meta:
        model = Issue
        fields = []  # every filter is declared above; nothing is generated from the model

    def get_form_class(self):
        """The form class, built once per process: its fields depend on no request (every
        queryset is a fixed one, none a callable of the request), and each form made from it
        still deep-copies them (BaseForm), so what __init__ below changes is that form's own.
        Building the fields and the class anew cost about a tenth of the ledger page."""
        cls = type(self)
        form_class = cls.__dict__.get("_form_class")
        if form_class is None:
            form_class = cls._form_class = super().get_form_class()
        return form_class

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.form.fields
        for field in fields.values():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            if isinstance(widget, forms.CheckboxSelectMultiple):
                quicken(field)
            elif isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select form-select-sm"
                quicken(field)
            else:
                widget.attrs["class"] = "form-control form-control-sm"
        # the three department selects list the same rows: one query for the three
        departments = SharedChoices(fields[DEPARTMENT_SELECTS[0]])
        for name in DEPARTMENT_SELECTS:
            fields[name].widget.choices = departments

    # -- methods -----------------------------------------------------------

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if connections[queryset.db].vendor == "postgresql":
            return queryset.filter(text_search_q(value, using=queryset.db))
        # people, units and the category too: the responsible leader's name, the category,
        # the lead and co-departments
        # (co-departments through EXISTS, so an issue with two matching ones is one row)
        co_department = Issue.co_departments.through.objects.filter(
            Q(department__name__icontains=value) | Q(department__short_name__icontains=value),
            issue_id=OuterRef("pk"),
        )
        return queryset.filter(
            Q(number__icontains=value)
            | Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(enterprise__name__icontains=value)
            | Q(project__name__icontains=value)
            | Q(leader__user__name__icontains=value)
            | Q(leader__user__last_name__icontains=value)
            | Q(leader__user__first_name__icontains=value)
            | Q(category__name__icontains=value)
            | Q(lead_department__name__icontains=value)
            | Q(lead_department__short_name__icontains=value)
            | Exists(co_department)
        )

    def filter_health(self, queryset, name, value):
        if not value:
            return queryset
        # status + date ranges from today (indexed), the same sets as with_health()'s CASE
        return queryset.filter(health_q(value))

    def filter_co_department(self, queryset, name, value):
        # EXISTS rather than a join: no duplicate rows, no DISTINCT
        through = Issue.co_departments.through.objects.filter(
            issue_id=OuterRef("pk"), department_id=value.pk
        )
        return queryset.filter(Exists(through))

    def filter_escalated(self, queryset, name, value):
        return queryset.filter(is_escalated=value == "1")

    def filter_long_term(self, queryset, name, value):
        return queryset.filter(is_long_term=value == "1")

    def filter_pending_extension(self, queryset, name, value):
        pending = ExtensionRequest.objects.filter(
            issue_id=OuterRef("pk"), state=ExtensionRequest.State.PENDING
        )
        return (
            queryset.filter(Exists(pending)) if value == "1" else queryset.exclude(Exists(pending))
        )

    def filter_escalated_on(self, queryset, name, value):
        if not value or (value.start is None and value.stop is None):
            return queryset
        conditions = {}
        if value.start is not None:
            conditions["created_at__gte"] = value.start
        if value.stop is not None:
            conditions["created_at__lte"] = value.stop
        return queryset.filter(_has_event(Action.ESCALATE, **conditions))

    def filter_resolved_on_time(self, queryset, name, value):
        # resolved_on_time is kept by 销号 and cleared by 重办: only resolved/closed have it
        return queryset.filter(
            status__in=[Status.RESOLVED, Status.CLOSED], resolved_on_time=value == "1"
        )

    def filter_late(self, queryset, name, value):
        late = Q(status__in=RUNNING_STATUSES, deadline__lt=timezone.localdate()) | Q(
            status__in=[Status.RESOLVED, Status.CLOSED], resolved_on_time=False
        )
        return queryset.filter(late) if value == "1" else queryset.exclude(late)

    def filter_accepted_in_time(self, queryset, name, value):
        # working days need the holiday calendar: decided in Python over the candidate rows
        rows = queryset.filter(assigned_at__isnull=False).values_list(
            "pk", "assigned_at", "accepted_at"
        )
        keep = [pk for pk, assigned, accepted in rows if accepted_in_time(assigned, accepted)]
        if value == "1":
            return queryset.filter(pk__in=keep)
        return queryset.filter(assigned_at__isnull=False).exclude(pk__in=keep)

    def filter_returned(self, queryset, name, value):
        returned = _has_event(Action.RETURN)
        return queryset.filter(returned) if value == "1" else queryset.exclude(returned)

    def filter_returned_by(self, queryset, name, value):
        return queryset.filter(_has_event(Action.RETURN, actor_department_id=value.pk))

    def filter_reopened(self, queryset, name, value):
        reopened = _has_event(Action.REOPEN)
        return queryset.filter(reopened) if value == "1" else queryset.exclude(reopened)

    # -- for the screen ------------------------------------------------------

    @property
    def active(self) -> list[tuple[str, str]]:
        """(name, label, value shown) of each filter in force, for the summary and print header."""
        if not self.is_bound or not hasattr(self.form, "cleaned_data"):
            return []
        shown = []
        for name, value in self.form.cleaned_data.items():
            if value in (None, "", [], ()):
                continue
            field = self.form.fields[name]
            if isinstance(value, slice):
                if value.start is None and value.stop is None:
                    continue
                start = value.start.date().isoformat() if value.start else "…"
                stop = value.stop.date().isoformat() if value.stop else "…"
                text = f"{start} – {stop}"
            elif isinstance(value, list):
                labels = dict(field.choices)
                text = "、".join(str(labels.get(v, v)) for v in value)
            elif hasattr(field, "choices") and not hasattr(value, "pk"):
                text = str(dict(field.choices).get(value, value))
            else:
                text = str(value)
            shown.append((name, str(field.label), text))
        return shown


# -- the ledger's query string ------------------------------------------------


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


def ledger_params(query: QueryDict) -> QueryDict:
    """The ledger's own parameters from a request, without page and anything unknown."""
    kept = QueryDict(mutable=True)
    for key in query:
        values = [v for v in query.getlist(key) if v != ""]
        if key in FILTER_PARAMS and values:
            kept.setlist(key, values)
    return kept
