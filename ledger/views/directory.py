"""Views: the enterprise directory and the key-project ledger, each with its issue history.

Every signed-in user may read them (rule `ledger.view_directory`); the issue
history and open-issue counts only ever include issues the user may see.
"""

from decimal import Decimal

import django_filters
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledger import selectors
from ledger.models import Department, Enterprise, KeyProject, Leader
from ledger.validators import credit_code_normalize

PROJECT_PAGE_SIZE = 100


def _require_directory(user) -> None:
    if not user.has_perm("ledger.view_directory"):
        raise PermissionDenied


def wan(value) -> str:
    """万元 with two decimals and thousands separators (the same in every language)."""
    if value is None:
        return "—"
    return f"{Decimal(value):,.2f}"


def _leaders():
    return Leader.objects.select_related("user").order_by("order", "id")


# -- filters -------------------------------------------------------------------------


class EnterpriseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("搜索"), method="filter_q", help_text=_("企业名称、统一社会信用代码或行业")
    )
    scale = django_filters.ChoiceFilter(
        label=_("规模"), choices=Enterprise.Scale.choices, empty_label=_("全部")
    )
    subdistrict = django_filters.ModelChoiceFilter(
        label=_("所属办事处"),
        queryset=Department.objects.filter(kind=Department.Kind.SUBDISTRICT),
        empty_label=_("全部"),
    )
    leader = django_filters.ModelChoiceFilter(
        label=_("分包领导"), queryset=_leaders(), empty_label=_("全部")
    )

    class Meta:
        model = Enterprise
        fields = ["q", "scale", "subdistrict", "leader"]

    def filter_q(self, queryset, name, value):
        text = selectors.lookup_text(value)
        if not text:
            return queryset
        condition = Q(name__icontains=text) | Q(industry__icontains=text)
        code = credit_code_normalize(text)
        if code:
            condition |= Q(credit_code__contains=code)
        return queryset.filter(condition)


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("项目名称"), method="filter_q")
    level = django_filters.ChoiceFilter(
        label=_("级别"), choices=KeyProject.Level.choices, empty_label=_("全部")
    )
    sector = django_filters.ChoiceFilter(
        label=_("类别"), choices=KeyProject.Sector.choices, empty_label=_("全部")
    )
    stage = django_filters.ChoiceFilter(
        label=_("阶段"), choices=KeyProject.Stage.choices, empty_label=_("全部")
    )
    leader = django_filters.ModelChoiceFilter(
        label=_("分包领导"), queryset=_leaders(), empty_label=_("全部")
    )
    # pace is a fact of each project (KeyProject.pace), applied after the SQL filters
    pace = django_filters.ChoiceFilter(
        label=_("序时进度"),
        choices=KeyProject.Pace.choices,
        empty_label=_("全部"),
        method="filter_nothing",
    )

    class Meta:
        model = KeyProject
        fields = ["q", "level", "sector", "stage", "leader", "pace"]

    def filter_q(self, queryset, name, value):
        text = selectors.lookup_text(value)
        return queryset.filter(name__icontains=text) if text else queryset

    def filter_nothing(self, queryset, name, value):
        return queryset


# -- enterprises -----------------------------------------------------------------------


@login_required
def enterprise_list(request):
    _require_directory(request.user)
    filterset = EnterpriseFilter(
        request.GET or None, queryset=selectors.enterprise_directory(request.user)
    )
    enterprises = filterset.qs.order_by("name", "pk")
    page = Paginator(enterprises, settings.LEDGER["PAGE_SIZE"]).get_page(request.GET.get("page"))
    return render(
        request,
        "ledger/enterprise_list.html",
        {"filter": filterset, "form": filterset.form, "page": page},
    )


@login_required
def enterprise_detail(request, pk):
    _require_directory(request.user)
    enterprise = get_object_or_404(
        Enterprise.objects.select_related("leader__user", "subdistrict"), pk=pk
    )
    issues = selectors.subject_issues(request.user, enterprise=enterprise)
    page = Paginator(issues, settings.LEDGER["PAGE_SIZE"]).get_page(request.GET.get("page"))
    return render(
        request,
        "ledger/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "contacts": enterprise.contacts.all(),
            "projects": enterprise.projects.select_related("leader__user").order_by("name"),
            "page": page,
        },
    )


# -- key projects --------------------------------------------------------------------


class ProjectRow:
    """One line of the key-project ledger with its pace worked out for `today`."""

    def __init__(self, project: KeyProject, today):
        self.project = project
        self.share = project.completion_share
        self.expected = project.expected_share(today)
        self.pace = KeyProject.Pace(project.pace(today))
        self.total = wan(project.total_investment)
        self.plan = wan(project.annual_plan)
        self.done = wan(project.completed_this_year)


def _totals(projects) -> dict:
    total = sum((p.total_investment for p in projects), Decimal("0"))
    plan = sum((p.annual_plan for p in projects), Decimal("0"))
    done = sum((p.completed_this_year for p in projects), Decimal("0"))
    share = (done * 100 / plan).quantize(Decimal("0.1")) if plan else None
    return {
        "count": len(projects),
        "total": wan(total),
        "plan": wan(plan),
        "done": wan(done),
        "share": share,
    }


@login_required
def project_list(request):
    _require_directory(request.user)
    today = timezone.localdate()
    filterset = ProjectFilter(
        request.GET or None, queryset=selectors.project_directory(request.user)
    )
    projects = list(filterset.qs.order_by("level", "name", "pk"))
    pace = filterset.form.cleaned_data.get("pace") if filterset.is_bound else None
    if pace:
        projects = [p for p in projects if p.pace(today) == pace]
    page = Paginator(projects, PROJECT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "ledger/project_list.html",
        {
            "filter": filterset,
            "form": filterset.form,
            "page": page,
            "rows": [ProjectRow(p, today) for p in page.object_list],
            "totals": _totals(projects),
            "today": today,
            "paces": KeyProject.Pace,
        },
    )


@login_required
def project_detail(request, pk):
    _require_directory(request.user)
    project = get_object_or_404(
        KeyProject.objects.select_related("leader__user", "lead_department", "owner"), pk=pk
    )
    today = timezone.localdate()
    issues = selectors.subject_issues(request.user, project=project)
    page = Paginator(issues, settings.LEDGER["PAGE_SIZE"]).get_page(request.GET.get("page"))
    return render(
        request,
        "ledger/project_detail.html",
        {"project": project, "row": ProjectRow(project, today), "today": today, "page": page},
    )


urlpatterns = [
    path("enterprises/", enterprise_list, name="enterprise_list"),
    path("enterprises/<int:pk>/", enterprise_detail, name="enterprise_detail"),
    path("projects/", project_list, name="project_list"),
    path("projects/<int:pk>/", project_detail, name="project_detail"),
]
