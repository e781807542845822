"""The ledger's filters and sort orders: what a URL query may ask of the issue table.

Only what is declared here reaches the database: django-filter ignores any other
parameter, and sort keys are looked up in LEDGER_SORTS, never passed on as given.
Invalid values are reported by the form and left out of the query.
"""

from django import forms
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _
from django_filters import (
    CharFilter,
    ChoiceFilter,
    DateFromToRangeFilter,
    FilterSet,
    ModelChoiceFilter,
    MultipleChoiceFilter,
)

from ledger.models import (
    Category,
    Department,
    Enterprise,
    ExtensionRequest,
    Health,
    Issue,
    KeyProject,
    Leader,
    Source,
)
from ledger.states import OPEN_STATUSES, Status

YES_NO = [("1", _("是")), ("0", _("否"))]

# the order statuses take in the workflow, and health from most to least pressing
STATUS_ORDER = [
    Status.RAISED,
    Status.ASSIGNED,
    Status.IN_PROGRESS,
    Status.RESOLVED,
    Status.CLOSED,
    Status.WITHDRAWN,
]
HEALTH_ORDER = [
    Health.RED,
    Health.YELLOW,
    Health.UNASSIGNED_LATE,
    Health.PENDING,
    Health.GREEN,
    Health.NONE,
]

# ledger filter values meaning "still open" (待交办, 已交办, 办理中), in workflow order
OPEN_STATUS_VALUES = [s.value for s in STATUS_ORDER if s in OPEN_STATUSES]


def _rank(field: str, values: list) -> Case:
    return Case(
        *[When(**{field: v}, then=Value(i)) for i, v in enumerate(values)],
        default=Value(len(values)),
        output_field=IntegerField(),
    )


def health_rank() -> Case:
    """Red first: sorts the annotated `health_code` by urgency, not alphabetically."""
    return _rank("health_code", HEALTH_ORDER)


# sort key in the URL -> what it orders by (ascending); "-key" reverses it
LEDGER_SORTS = {
    "number": ("year", "seq"),
    "title": ("title",),
    "source": ("source__order", "source__name"),
    "category": ("category__order", "category__name"),
    "leader": ("leader__order", "leader__id"),
    "lead_department": ("lead_department__order", "lead_department__name"),
    "raised": ("raised_at",),
    "deadline": ("deadline",),
    "status": (lambda: _rank("status", STATUS_ORDER),),
    "health": (health_rank,),
}
DEFAULT_SORT = "-number"
# (year, seq) is unique: appended to every order so pages never overlap or skip rows
TIEBREAKER = ("-year", "-seq")


def parse_sort(value: str | None) -> str:
    """The sort key asked for if it is allowed, else the default."""
    value = (value or "").strip()
    return value if value.lstrip("-") in LEDGER_SORTS else DEFAULT_SORT


def ledger_order(queryset: QuerySet, sort: str) -> QuerySet:
    """Order by an allowed sort key (see parse_sort); nulls always last, ties by number."""
    sort = parse_sort(sort)
    descending = sort.startswith("-")
    terms = []
    for spec in LEDGER_SORTS[sort.lstrip("-")]:
        expression = spec() if callable(spec) else F(spec)
        terms.append(
            expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
        )
    return queryset.order_by(*terms, *TIEBREAKER)


class IssueFilter(FilterSet):
    """Filters of the ledger table. The queryset should come from selectors.ledger_queryset."""

    q = CharFilter(
        label=_("关键词"),
        method="filter_text",
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("编号、标题、描述、企业或项目名称")}
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
    raised = DateFromToRangeFilter(
        label=_("登记日期"),
        field_name="raised_at",
    )
    deadline = DateFromToRangeFilter(label=_("完成时限"))
    escalated = ChoiceFilter(
        label=_("督办件"), choices=YES_NO, method="filter_escalated", empty_label=_("全部")
    )
    pending_extension = ChoiceFilter(
        label=_("待审批延期"),
        choices=YES_NO,
        method="filter_pending_extension",
        empty_label=_("全部"),
    )

    class Meta:
        model = Issue
        fields = []  # every filter is declared above; nothing is generated from the model

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.HiddenInput):
                continue
            if isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select form-select-sm"
            else:
                widget.attrs["class"] = "form-control form-control-sm"

    # -- methods -----------------------------------------------------------

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value)
            | Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(enterprise__name__icontains=value)
            | Q(project__name__icontains=value)
        )

    def filter_health(self, queryset, name, value):
        if not value:
            return queryset
        if "health_code" not in queryset.query.annotations:
            queryset = queryset.with_health()
        return queryset.filter(health_code__in=value)

    def filter_co_department(self, queryset, name, value):
        # EXISTS rather than a join: no duplicate rows, no DISTINCT
        through = Issue.co_departments.through.objects.filter(
            issue_id=OuterRef("pk"), department_id=value.pk
        )
        return queryset.filter(Exists(through))

    def filter_escalated(self, queryset, name, value):
        return queryset.filter(is_escalated=value == "1")

    def filter_pending_extension(self, queryset, name, value):
        pending = ExtensionRequest.objects.filter(
            issue_id=OuterRef("pk"), state=ExtensionRequest.State.PENDING
        )
        return (
            queryset.filter(Exists(pending)) if value == "1" else queryset.exclude(Exists(pending))
        )

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
