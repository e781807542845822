"""Views of the service room: visits (list, record, page, edit, photos), coverage (screen and
Excel), a project's procedures (plan, edit, raise as an issue) and the late-procedure board.

A visit the user may not see is a 404 whatever they try (page, edit, photo); a subject or
procedure they may see but not act on is a 403 with the reason.
"""

import datetime
from pathlib import PurePath

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ledger.forms.fields import is_pk
from ledger.middleware import permissions_allow
from ledger.models import Category, Enterprise, KeyProject, Leader
from ledger.selectors import visible_to
from ledger.services.creation import CreationReplayed, creation_once, creation_replay_of
from ledger.workflow import TransitionRefused

from . import selectors, services
from .forms import ProblemFormSet, ProcedureForm, ProcedureIssueForm, VisitForm
from .models import ProjectProcedure, Visit, VisitIssue
from .xlsx import coverage_workbook


def _forbidden(request, message, status=403):
    return render(request, "service/forbidden.html", {"message": message}, status=status)


def _visible_visit(user, pk) -> Visit:
    visit = (
        selectors.visits_visible_to(user)
        .select_related(
            "enterprise__subdistrict",
            "project__lead_department",
            "project__owner",
            "leader__user",
            "created_by",
        )
        .filter(pk=pk)
        .first()
    )
    if visit is None:
        raise Http404
    return visit


# -- visits ----------------------------------------------------------------------------------


def _date_param(value):
    try:
        return datetime.date.fromisoformat((value or "").strip()) if value else None
    except ValueError:
        return "bad"


@login_required
def visit_list(request):
    user = request.user
    visits = selectors.visits_visible_to(user)
    errors = []
    leader_param = request.GET.get("leader", "").strip()
    leader = None
    if leader_param:
        if is_pk(leader_param):
            leader = Leader.objects.select_related("user").filter(pk=leader_param).first()
        if leader is None:
            errors.append(_("找不到所选的分包领导。"))
        else:
            visits = visits.filter(leader=leader)
    start = _date_param(request.GET.get("start"))
    end = _date_param(request.GET.get("end"))
    if "bad" in (start, end):
        errors.append(_("日期无效，请使用 YYYY-MM-DD 格式。"))
    else:
        if start:
            visits = visits.filter(visited_on__gte=start)
        if end:
            visits = visits.filter(visited_on__lte=end)
    visits = visits.select_related(
        "enterprise", "project", "leader__user", "created_by"
    ).prefetch_related(
        # only the issues the reader may open: a visit's other issues are not named here
        Prefetch(
            "issue_links",
            queryset=VisitIssue.objects.filter(issue__in=visible_to(user).values("pk"))
            .select_related("issue")
            .order_by("id"),
        )
    )
    page = Paginator(visits, settings.LEDGER["PAGE_SIZE"]).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    enterprises, projects = selectors.subjects_recordable(user)
    return render(
        request,
        "service/visit_list.html",
        {
            "page_obj": page,
            "visits": page.object_list,
            "errors": errors,
            "leaders": Leader.objects.filter(is_active=True).select_related("user"),
            "chosen": {
                "leader": leader.pk if leader else None,
                "start": request.GET.get("start", "")[:10],
                "end": request.GET.get("end", "")[:10],
            },
            "page_query": query.urlencode(),
            "may_record": enterprises.exists() or projects.exists(),
            "may_see_coverage": user.has_perm("service.view_coverage"),
        },
    )


def _subject_from(request):
    """The enterprise or project named by ?enterprise= / ?project= (404 when unknown)."""
    for param, model in (("enterprise", Enterprise), ("project", KeyProject)):
        value = request.GET.get(param)
        if value is not None:
            if not is_pk(value):
                raise Http404
            return get_object_or_404(model.objects.select_related("leader__user"), pk=value)
    return None


@login_required
@permissions_allow("camera")  # a phone takes the site photos with its camera
def visit_create(request):
    user = request.user
    subject = _subject_from(request)
    if subject is None:
        enterprises, projects = selectors.subjects_recordable(user)
        return render(
            request,
            "service/visit_choose.html",
            {
                "enterprises": enterprises.select_related("leader__user").order_by("name"),
                "projects": projects.select_related("leader__user").order_by("name"),
            },
        )
    if not user.has_perm("service.record_visit", subject):
        if subject.leader_id is None:
            return _forbidden(
                request, _("“%(name)s”尚无分包领导，不能登记包联走访。") % {"name": subject}
            )
        return _forbidden(
            request,
            _(
                "您不能为“%(name)s”登记走访：区级领导为本人分包的企业和项目登记，工作人员为本单位服务的企业和项目登记。"
            )
            % {"name": subject},
        )
    if request.method == "POST":
        replay = creation_replay_of(request.POST, user=user, kind="visit")
        if replay is not None:
            return _visit_replayed(request, replay.object_pk)
    form = VisitForm(request.POST or None, request.FILES or None, user=user, subject=subject)
    formset = ProblemFormSet(request.POST or None, prefix="problems")
    # both are validated, so every mistake is shown at once
    valid = request.method == "POST" and all([form.is_valid(), formset.is_valid()])
    if valid:
        try:
            visit = creation_once(
                token=form.cleaned_data["creation_token"],
                user=user,
                kind="visit",
                create=lambda: services.visit_record(
                    actor=user,
                    subject=subject,
                    problems=formset.problems(),
                    **form.service_fields(),
                ),
            )
        except CreationReplayed:  # the same page, sent at the same moment, came first
            replay = creation_replay_of(request.POST, user=user, kind="visit")
            return _visit_replayed(request, replay and replay.object_pk)
        except TransitionRefused as refusal:
            _refusal_to_form(form, refusal)
        else:
            count = visit.issue_links.count()
            if count:
                messages.success(
                    request, _("走访已登记，%(n)s 个问题已登记到台账。") % {"n": count}
                )
            else:
                messages.success(request, _("走访已登记。"))
            return redirect("service:visit_detail", pk=visit.pk)
    return render(
        request,
        "service/visit_form.html",
        {"form": form, "formset": formset, "subject": subject, "visit": None},
        status=200,
    )


def _visit_replayed(request, pk):
    """A second submission of the recording page (double click, two tabs, Back and send):
    to the visit the first one recorded, if this person may see it."""
    visit = selectors.visits_visible_to(request.user).filter(pk=pk).first() if pk else None
    if visit is None:
        messages.warning(request, _("该走访登记页面已经提交过，未重复登记。"))
        return redirect("service:visit_list")
    messages.info(request, _("该走访登记页面已经提交过，走访已登记，未重复登记。"))
    return redirect("service:visit_detail", pk=visit.pk)


def _refusal_to_form(form, refusal):
    placed = False
    for field, message in refusal.field_errors.items():
        if field in form.fields:
            form.add_error(field, message)
            placed = True
    if not placed or refusal.message not in refusal.field_errors.values():
        form.add_error(None, refusal.message)


@login_required
def visit_detail(request, pk):
    visit = _visible_visit(request.user, pk)
    issues = visible_to(request.user).filter(visit_link__visit=visit).order_by("year", "seq")
    raised = visit.issue_links.count()
    return render(
        request,
        "service/visit_detail.html",
        {
            "visit": visit,
            "issues": issues,
            "hidden_issues": raised - len(issues),
            "companions": visit.companions.select_related("department"),
            "contacts": visit.contacts.all(),
            "photos": visit.photos.all(),
            "may_change": request.user.has_perm("service.change_visit", visit),
        },
    )


@login_required
@permissions_allow("camera")  # a phone takes the site photos with its camera
def visit_edit(request, pk):
    user = request.user
    visit = _visible_visit(user, pk)
    if not user.has_perm("service.change_visit", visit):
        return _forbidden(
            request, _("只有分包领导、登记人及服务该企业或项目的单位可以修改这条走访记录。")
        )
    initial = {
        "visited_on": visit.visited_on,
        "leader_attended": visit.leader_attended,
        "companions": [p.pk for p in visit.companions.all()],
        "companions_text": visit.companions_text,
        "contacts": [c.pk for c in visit.contacts.all()],
        "met_text": visit.met_text,
        "summary": visit.summary,
    }
    form = VisitForm(
        request.POST or None,
        request.FILES or None,
        user=user,
        subject=visit.subject,
        visit=visit,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_update(actor=user, visit=visit, **form.service_fields())
        except TransitionRefused as refusal:
            _refusal_to_form(form, refusal)
        else:
            messages.success(request, _("走访记录已修改。"))
            return redirect("service:visit_detail", pk=visit.pk)
    return render(
        request,
        "service/visit_form.html",
        {"form": form, "formset": None, "subject": visit.subject, "visit": visit},
    )


@login_required
def visit_photo(request, pk, photo_id):
    visit = _visible_visit(request.user, pk)
    photo = visit.photos.filter(pk=photo_id).first()
    if photo is None:
        raise Http404
    try:
        handle = photo.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    suffix = PurePath(photo.file.name or "").suffix.lower().lstrip(".")
    content_type = {
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "png": "image/png",
        "gif": "image/gif",
    }.get(suffix)
    response = FileResponse(
        handle, as_attachment=content_type is None, filename=photo.original_name
    )
    response["Content-Type"] = content_type or "application/octet-stream"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# -- coverage -----------------------------------------------------------------------------------


def _coverage_period(request, today):
    """?year=&quarter= or ?year=&month= or ?year= alone; by default this visit period."""
    year, quarter, month = (request.GET.get(k, "").strip() for k in ("year", "quarter", "month"))
    if not year:
        start, end = selectors.visit_period(today)
        return start, end, None
    try:
        year = int(year)
        if not 2000 <= year <= 2100:
            raise ValueError
        if quarter:
            quarter = int(quarter)
            if not 1 <= quarter <= 4:
                raise ValueError
            start, end = selectors.visit_period(datetime.date(year, quarter * 3 - 2, 1), 3)
        elif month:
            month = int(month)
            if not 1 <= month <= 12:
                raise ValueError
            start, end = selectors.visit_period(datetime.date(year, month, 1), 1)
        else:
            start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    except ValueError:
        start, end = selectors.visit_period(today)
        return start, end, _("所选期间无效，已显示本期。")
    return start, end, None


def _coverage_context(request):
    today = timezone.localdate()
    start, end, error = _coverage_period(request, today)
    if (start, end) == selectors.visit_period(start):
        caption = selectors.cycle_label(start)  # 每季度至少走访一次（2026年第4季度）
    else:
        caption = _("%(rule)s（%(start)s 至 %(end)s）") % {
            "rule": selectors.visit_rule(),
            "start": start.isoformat(),
            "end": end.isoformat(),
        }
    return {
        "caption": caption,
        "rows": selectors.coverage(start, end),
        "start": start,
        "end": end,
        "error": error,
        "today": today,
        "years": list(range(today.year, today.year - 5, -1)),
        "months_every": selectors.visit_months(),
        "query": request.GET.urlencode(),
    }


@login_required
def coverage(request):
    if not request.user.has_perm("service.view_coverage"):
        return _forbidden(request, _("走访覆盖情况由督查室汇总，仅督查人员和系统管理员可以查看。"))
    return render(request, "service/coverage.html", _coverage_context(request))


@login_required
def coverage_export(request):
    if not request.user.has_perm("service.view_coverage"):
        return _forbidden(request, _("走访覆盖情况由督查室汇总，仅督查人员和系统管理员可以查看。"))
    context = _coverage_context(request)
    return coverage_workbook(context["rows"], context["start"], context["end"])


# -- procedures -----------------------------------------------------------------------------------


@login_required
@require_POST
def procedure_plan(request, pk):
    project = get_object_or_404(KeyProject, pk=pk)
    try:
        added = services.procedures_plan(actor=request.user, project=project)
    except TransitionRefused as refusal:
        return _forbidden(request, refusal.message)
    if added:
        messages.success(request, _("已按清单添加 %(n)s 项手续。") % {"n": added})
    else:
        messages.info(request, _("清单中的手续均已列出。"))
    return redirect(reverse("project_detail", kwargs={"pk": project.pk}) + "#procedures")


def _procedure(pk) -> ProjectProcedure:
    return get_object_or_404(
        ProjectProcedure.objects.select_related(
            "project__leader__user", "project__owner", "type", "department", "agent"
        ),
        pk=pk,
    )


@login_required
def procedure_edit(request, pk):
    user = request.user
    procedure = _procedure(pk)
    if not user.has_perm("service.change_procedure", procedure):
        return _forbidden(request, _("只有督查室、项目分包领导和该手续的代办员可以修改。"))
    may_assign = user.has_perm("service.assign_procedure", procedure)
    form = ProcedureForm(request.POST or None, procedure=procedure, may_assign=may_assign)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data.get(name) for name in form.fields}
        try:
            services.procedure_update(actor=user, procedure=procedure, **data)
        except TransitionRefused as refusal:
            _refusal_to_form(form, refusal)
        else:
            messages.success(request, _("“%(name)s”已更新。") % {"name": procedure.type})
            return redirect(
                reverse("project_detail", kwargs={"pk": procedure.project_id}) + "#procedures"
            )
    return render(request, "service/procedure_form.html", {"form": form, "procedure": procedure})


@login_required
def procedure_raise(request, pk):
    user = request.user
    procedure = _procedure(pk)
    if not user.has_perm("service.change_procedure", procedure):
        return _forbidden(
            request, _("只有督查室、项目分包领导和该手续的代办员可以为手续登记问题。")
        )
    if not procedure.is_open:
        return _forbidden(request, _("这项手续已办结或不涉及，无需登记问题。"))
    today = timezone.localdate()
    late = procedure.planned_on and procedure.planned_on < today
    initial = {
        "title": _("%(project)s“%(type)s”办理%(state)s")
        % {
            "project": procedure.project.name,
            "type": procedure.type.name,
            "state": _("滞后") if late else _("受阻"),
        },
        "description": _(
            "重点项目“%(project)s”的“%(type)s”手续（办理单位：%(department)s，代办员：%(agent)s）"
            "计划于 %(planned)s 前办结，目前状态为“%(status)s”。%(note)s"
        )
        % {
            "project": procedure.project.name,
            "type": procedure.type.name,
            "department": procedure.department or "—",
            "agent": procedure.agent or "—",
            "planned": procedure.planned_on.isoformat() if procedure.planned_on else "—",
            "status": procedure.get_status_display(),
            "note": procedure.note,
        },
        "category": Category.objects.filter(name=services.CATEGORY_PROCEDURE)
        .values_list("pk", flat=True)
        .first(),
        "urgency": "urgent" if late else "normal",
    }
    form = ProcedureIssueForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            issue = services.procedure_issue_raise(
                actor=user, procedure=procedure, **form.cleaned_data
            )
        except TransitionRefused as refusal:
            _refusal_to_form(form, refusal)
        else:
            messages.success(request, _("已登记为台账问题 %(number)s。") % {"number": issue.number})
            return redirect("issue_detail", number=issue.number)
    return render(request, "service/procedure_raise.html", {"form": form, "procedure": procedure})


@login_required
def procedures_late(request):
    today = timezone.localdate()
    rows = list(selectors.procedures_late(today))
    for row in rows:
        row.days_late = (today - row.planned_on).days
    return render(request, "service/procedures_late.html", {"rows": rows, "today": today})
