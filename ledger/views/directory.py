"""Views: the enterprise directory and the key-project ledger, each with its issue history,
and the screens that keep them (add/edit enterprises with contacts, key projects, 核实, the
monthly investment progress report).

Every signed-in user may read them (rule `ledger.view_directory`); the issue
history and open-issue counts only ever include issues the user may see. Who may write is
rules.py (`ledger.add_enterprise`, `change_enterprise`, `verify_enterprise`, `add_project`,
`change_project`, `report_progress`); the directory's door (ledger.services) writes and
decides again who may.
"""

import datetime
from decimal import Decimal

import django_filters
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from ledger import selectors, services
from ledger.forms.directory import ContactFormSet, EnterpriseForm, KeyProjectForm, ProgressForm
from ledger.models import Department, Enterprise, KeyProject, Leader
from ledger.services.creation import CreationReplayed, creation_once, creation_replay_of
from ledger.validators import credit_code_normalize
from ledger.views.ledger import (  # ids first; the ledger's: a capped count too
    IdsFirstPaginator,
    LedgerPaginator,
)

PROJECT_PAGE_SIZE = 100


def _require_directory(user) -> None:
    if not user.has_perm("ledger.view_directory"):
        raise PermissionDenied


def wan(value) -> str:
    """万元 with two decimals and thousands separators (the same in every language)."""
    if value is None:
        return "—"
    return f"{Decimal(value):,.2f}"


def _may_log_for(user, subject) -> bool:
    """The "为该企业/项目登记问题" button: who may log, and a leader only for what they 分包."""
    if not user.has_perm("ledger.add_issue"):
        return False
    if user.role == "leader" and not user.sees_everything:
        leader = getattr(user, "leader_profile", None)
        return leader is not None and subject.leader_id == leader.pk
    return True


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
    verified = django_filters.ChoiceFilter(
        label=_("核实"),
        choices=[("no", _("待核实")), ("yes", _("已核实"))],
        empty_label=_("全部"),
        method="filter_verified",
    )

    class Meta:
        model = Enterprise
        fields = ["q", "scale", "subdistrict", "leader", "verified"]

    def filter_verified(self, queryset, name, value):
        return queryset.filter(is_verified=value == "yes")

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


def _count_open_issues(user, field: str, subjects) -> None:
    """Each enterprise/project of the page gets `open_issue_count`: one grouped query for
    the page's rows, not a correlated count per row over a million issues."""
    counts = selectors.open_issue_counts(user, field, [subject.pk for subject in subjects])
    for subject in subjects:
        subject.open_issue_count = counts.get(subject.pk, 0)


# -- enterprises -----------------------------------------------------------------------


@login_required
def enterprise_list(request):
    _require_directory(request.user)
    filterset = EnterpriseFilter(
        request.GET or None, queryset=selectors.enterprise_directory(request.user, counted=False)
    )
    enterprises = filterset.qs.order_by("name", "pk")
    page = IdsFirstPaginator(enterprises, settings.LEDGER["PAGE_SIZE"]).get_page(
        request.GET.get("page")
    )
    _count_open_issues(request.user, "enterprise", page.object_list)
    return render(
        request,
        "ledger/enterprise_list.html",
        {"filter": filterset, "form": filterset.form, "page": page},
    )


@login_required
def enterprise_detail(request, pk):
    _require_directory(request.user)
    enterprise = get_object_or_404(
        Enterprise.objects.select_related("leader__user", "subdistrict", "added_by"), pk=pk
    )
    issues = selectors.subject_issues(request.user, enterprise=enterprise)
    page = LedgerPaginator(issues, settings.LEDGER["PAGE_SIZE"]).get_page(request.GET.get("page"))
    return render(
        request,
        "ledger/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "can_log": enterprise.is_active and _may_log_for(request.user, enterprise),
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
    return _totals_row(len(projects), total, plan, done)


def _totals_sql(projects) -> dict:
    """_totals of a queryset, summed by the database."""
    zero = Value(Decimal("0"), output_field=DecimalField())
    sums = projects.order_by().aggregate(
        count=Count("pk"),
        total=Coalesce(Sum("total_investment"), zero),
        plan=Coalesce(Sum("annual_plan"), zero),
        done=Coalesce(Sum("completed_this_year"), zero),
    )
    return _totals_row(sums["count"], sums["total"], sums["plan"], sums["done"])


def _totals_row(count, total, plan, done) -> dict:
    share = (done * 100 / plan).quantize(Decimal("0.1")) if plan else None
    return {
        "count": count,
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
        request.GET or None, queryset=selectors.project_directory(request.user, counted=False)
    )
    projects = filterset.qs.order_by("level", "name", "pk")
    pace = filterset.form.cleaned_data.get("pace") if filterset.is_bound else None
    if pace:
        # pace is worked out per project in Python (KeyProject.pace): every matching project
        # is read for this filter only
        projects = [p for p in projects if p.pace(today) == pace]
        totals = _totals(projects)
    else:
        # the totals in SQL and only the page's rows read: a province holds thousands
        totals = _totals_sql(projects)
    page = IdsFirstPaginator(projects, PROJECT_PAGE_SIZE).get_page(request.GET.get("page"))
    _count_open_issues(request.user, "project", page.object_list)
    return render(
        request,
        "ledger/project_list.html",
        {
            "filter": filterset,
            "form": filterset.form,
            "page": page,
            "rows": [ProjectRow(p, today) for p in page.object_list],
            "totals": totals,
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
    page = LedgerPaginator(issues, settings.LEDGER["PAGE_SIZE"]).get_page(request.GET.get("page"))
    return render(
        request,
        "ledger/project_detail.html",
        {
            "project": project,
            "can_log": _may_log_for(request.user, project),
            "row": ProjectRow(project, today),
            "today": today,
            "page": page,
            "reports": _progress_reports(project),
        },
    )


def _progress_reports(project) -> list:
    """The project's monthly reports, newest first, with the amount as the ledger writes 万元."""
    reports = list(project.progress_reports.select_related("reported_by").order_by("-month"))
    for report in reports:
        report.amount = wan(report.completed_this_year)
    return reports


# -- keeping the directories ------------------------------------------------------------


def _to_form(form, error: ValidationError) -> None:
    """A model/service refusal next to the fields it names (others above the form)."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_create(request):
    if not request.user.has_perm("ledger.add_enterprise"):
        raise PermissionDenied
    return _enterprise_form(request, Enterprise())


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_edit(request, pk):
    enterprise = get_object_or_404(Enterprise, pk=pk)
    if not request.user.has_perm("ledger.change_enterprise", enterprise):
        raise PermissionDenied
    return _enterprise_form(request, enterprise)


def _replayed(request, kind: str, pk: int | None):
    """A second submission of an adding page (double click, two tabs, Back and send): to
    what the first one added, which the directories show to everyone signed in."""
    model, name = {
        "enterprise": (Enterprise, "enterprise_detail"),
        "project": (KeyProject, "project_detail"),
    }[kind]
    added = model.objects.filter(pk=pk).first() if pk else None
    if added is None:
        messages.warning(request, gettext("该页面已经提交过，未重复添加。"))
        return redirect("enterprise_list" if kind == "enterprise" else "project_list")
    messages.info(
        request,
        gettext("该页面已经提交过，“%(name)s”已添加，未重复添加。") % {"name": added.name},
    )
    return redirect(name, pk=added.pk)


def _enterprise_form(request, enterprise):
    user = request.user
    adding = enterprise.pk is None
    if request.method == "POST":
        replay = creation_replay_of(request.POST, user=user, kind="enterprise") if adding else None
        if replay is not None:
            return _replayed(request, "enterprise", replay.object_pk)
        form = EnterpriseForm(request.POST, instance=enterprise, user=user)
        contacts = ContactFormSet(request.POST, instance=enterprise, prefix="contacts")
        if form.is_valid() and contacts.is_valid():
            try:
                with transaction.atomic():
                    if adding:
                        enterprise = creation_once(
                            token=form.cleaned_data["creation_token"],
                            user=user,
                            kind="enterprise",
                            create=lambda: services.enterprise_create(
                                actor=user,
                                data=form.directory_fields(),
                                contacts=contacts.contacts(),
                            ),
                        )
                    else:
                        enterprise = services.enterprise_update(
                            actor=user,
                            enterprise=enterprise,
                            data=form.directory_fields(),
                            contacts=contacts.contacts(),
                        )
            except CreationReplayed:  # the same page, sent at the same moment, came first
                replay = creation_replay_of(request.POST, user=user, kind="enterprise")
                return _replayed(request, "enterprise", replay and replay.object_pk)
            except ValidationError as error:
                _to_form(form, error)
            else:
                if adding and not enterprise.is_verified:
                    text = gettext("已添加企业“%(name)s”，待督查室核实。")
                elif adding:
                    text = gettext("已添加企业“%(name)s”。")
                else:
                    text = gettext("已保存企业“%(name)s”的修改。")
                messages.success(request, text % {"name": enterprise.name})
                return redirect("enterprise_detail", pk=enterprise.pk)
    else:
        form = EnterpriseForm(instance=enterprise, user=user)
        contacts = ContactFormSet(instance=enterprise, prefix="contacts")
    return render(
        request,
        "ledger/enterprise_form.html",
        {"form": form, "contacts": contacts, "enterprise": enterprise, "adding": adding},
    )


@login_required
@require_POST
def enterprise_verify(request, pk):
    enterprise = get_object_or_404(Enterprise, pk=pk)
    if not request.user.has_perm("ledger.verify_enterprise"):
        raise PermissionDenied
    services.enterprise_verify(actor=request.user, enterprise=enterprise)
    messages.success(request, gettext("已核实企业“%(name)s”。") % {"name": enterprise.name})
    return redirect("enterprise_detail", pk=enterprise.pk)


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request):
    if not request.user.has_perm("ledger.add_project"):
        raise PermissionDenied
    return _project_form(request, KeyProject())


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request, pk):
    project = get_object_or_404(KeyProject, pk=pk)
    if not request.user.has_perm("ledger.change_project", project):
        raise PermissionDenied
    return _project_form(request, project)


def _project_form(request, project):
    adding = project.pk is None
    user = request.user
    if request.method == "POST":
        replay = creation_replay_of(request.POST, user=user, kind="project") if adding else None
        if replay is not None:
            return _replayed(request, "project", replay.object_pk)
        form = KeyProjectForm(request.POST, instance=project)
        if form.is_valid():
            try:
                if adding:
                    project = creation_once(
                        token=form.cleaned_data["creation_token"],
                        user=user,
                        kind="project",
                        create=lambda: services.project_create(
                            actor=user, data=form.directory_fields()
                        ),
                    )
                else:
                    project = services.project_update(
                        actor=user, project=project, data=form.directory_fields()
                    )
            except CreationReplayed:  # the same page, sent at the same moment, came first
                replay = creation_replay_of(request.POST, user=user, kind="project")
                return _replayed(request, "project", replay and replay.object_pk)
            except ValidationError as error:
                _to_form(form, error)
            else:
                text = (
                    gettext("已添加重点项目“%(name)s”。")
                    if adding
                    else gettext("已保存重点项目“%(name)s”的修改。")
                )
                messages.success(request, text % {"name": project.name})
                return redirect("project_detail", pk=project.pk)
    else:
        form = KeyProjectForm(instance=project)
    return render(
        request,
        "ledger/project_form.html",
        {"form": form, "project": project, "adding": adding},
    )


def default_progress_month(project, today) -> datetime.date:
    """The month a report is usually for: the last complete one (reported in early December,
    November's figures), kept within the project's plan year."""
    last_complete = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    if last_complete.year < project.year:
        return datetime.date(project.year, 1, 1)
    if last_complete.year > project.year:
        return datetime.date(project.year, 12, 1)
    return last_complete


@login_required
@require_http_methods(["GET", "POST"])
def project_progress(request, pk):
    """投资进度月报: the form, and the project's reports so far below it."""
    project = get_object_or_404(KeyProject.objects.select_related("owner"), pk=pk)
    if not request.user.has_perm("ledger.report_progress", project):
        raise PermissionDenied
    today = timezone.localdate()
    if request.method == "POST":
        form = ProgressForm(request.POST, project=project)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.project_progress_report(
                    actor=request.user,
                    project=project,
                    month=data["month"],
                    completed_this_year=data["completed_this_year"],
                    stage=data["stage"],
                    note=(data.get("note") or "").strip(),
                )
            except ValidationError as error:
                _to_form(form, error)
            else:
                messages.success(
                    request,
                    gettext("已填报“%(name)s” %(month)s 的投资进度。")
                    % {"name": project.name, "month": f"{data['month']:%Y-%m}"},
                )
                return redirect("project_detail", pk=project.pk)
    else:
        form = ProgressForm(
            project=project,
            initial={
                "month": default_progress_month(project, today),
                "completed_this_year": project.completed_this_year,
                "stage": project.stage,
            },
        )
    return render(
        request,
        "ledger/project_progress_form.html",
        {
            "form": form,
            "project": project,
            "row": ProjectRow(project, today),
            "reports": _progress_reports(project),
        },
    )


urlpatterns = [
    path("enterprises/", enterprise_list, name="enterprise_list"),
    path("enterprises/new/", enterprise_create, name="enterprise_create"),
    path("enterprises/<int:pk>/", enterprise_detail, name="enterprise_detail"),
    path("enterprises/<int:pk>/edit/", enterprise_edit, name="enterprise_edit"),
    path("enterprises/<int:pk>/verify/", enterprise_verify, name="enterprise_verify"),
    path("projects/", project_list, name="project_list"),
    path("projects/new/", project_create, name="project_create"),
    path("projects/<int:pk>/", project_detail, name="project_detail"),
    path("projects/<int:pk>/edit/", project_edit, name="project_edit"),
    path("projects/<int:pk>/progress/", project_progress, name="project_progress"),
]
