"""Views: logging an issue (登记), correcting it before assignment (修改), and the
search-as-you-type lookups and likely-duplicate list the form uses."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ledger import selectors, services, workflow
from ledger.forms.issue import IssueEditForm, IssueForm
from ledger.models import Enterprise, Issue, KeyProject
from ledger.states import Action


def _visible_issue(user, number) -> Issue:
    try:
        return selectors.issue_for_user(user, number)
    except Issue.DoesNotExist:
        raise Http404 from None


def _refusal_to_form(form, refusal: workflow.TransitionRefused) -> None:
    """Put the workflow's refusal next to the fields it names, the rest above the form."""
    placed = False
    for name, message in refusal.field_errors.items():
        if name in form.fields:
            form.add_error(name, message)
            placed = True
    if not placed or refusal.message not in refusal.field_errors.values():
        form.add_error(None, refusal.message)


def _pk(value) -> int | None:
    value = str(value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def _subject(model, pk_value, text_value, named):
    """The enterprise/project a half-filled form points at (for the live duplicate list)."""
    pk = _pk(pk_value)
    if pk is not None:
        return model.objects.filter(pk=pk).first()
    matches = named(text_value)
    return matches[0] if len(matches) == 1 else None


def _duplicates_for(form, user, exclude_pk=None) -> list:
    data = getattr(form, "cleaned_data", None) or {}
    if not data.get("title"):
        return []
    return selectors.issue_duplicates(
        user,
        title=data["title"],
        enterprise=data.get("enterprise"),
        project=data.get("project"),
        exclude_pk=exclude_pk,
    )


def _initial_subject(request) -> dict:
    """`?enterprise=<id>` / `?project=<id>` from a directory page fill the form exactly as
    choosing them in the chooser does: the subject, its 分包 leader as the proposed leader,
    and for a key project its owner enterprise (static/js/chooser.js does the same)."""
    initial = {}
    enterprise = _pk(request.GET.get("enterprise"))
    if enterprise is not None:
        initial["enterprise"] = (
            Enterprise.objects.filter(pk=enterprise, is_active=True)
            .select_related("leader")
            .first()
        )
    project = _pk(request.GET.get("project"))
    if project is not None:
        initial["project"] = (
            KeyProject.objects.filter(pk=project).select_related("leader", "owner").first()
        )
    initial = {name: value for name, value in initial.items() if value is not None}
    owner = getattr(initial.get("project"), "owner", None)
    if "enterprise" not in initial and owner is not None and owner.is_active:
        initial["enterprise"] = owner
    for subject in (initial.get("project"), initial.get("enterprise")):
        # the chooser proposes the leader of what was chosen last: the project when both are
        if subject is not None and subject.leader_id and subject.leader.is_active:
            initial["leader"] = subject.leader
            break
    return initial


def _raise(form, user):
    """Log the issue; an enterprise added inline (待核实) is created in the same transaction,
    so a refused issue leaves no enterprise behind. The page's single-use token is claimed
    in it too: a second submission raises services.CreationReplayed and creates nothing."""
    data = form.workflow_fields()
    with transaction.atomic():
        claim = services.creation_claim(
            token=form.cleaned_data["creation_token"], user=user, kind="issue"
        )
        new = form.cleaned_data.get("new_enterprise")
        if new:
            data["enterprise"] = services.enterprise_create(actor=user, data=new, verified=False)
        issue = workflow.issue_raise(actor=user, files=form.cleaned_data["attachments"], **data)
        services.creation_done(claim, issue)
        return issue


def _already_logged(user, token) -> bool:
    return services.creation_result(token=token, user=user, kind="issue") is not None


def _replayed(request, token):
    """A second submission of a logging page: to the issue the first one logged."""
    pk = services.creation_result(token=token, user=request.user, kind="issue")
    issue = selectors.visible_to(request.user).filter(pk=pk).first() if pk else None
    if issue is None:
        messages.warning(request, _("该登记页面已经提交过，未重复登记。"))
        return redirect("issue_list")
    messages.info(
        request,
        _("该登记页面已经提交过，问题已登记为 %(number)s，未重复登记。") % {"number": issue.number},
    )
    return redirect(issue)


@login_required
@require_http_methods(["GET", "POST"])
def issue_create(request):
    if not request.user.has_perm("ledger.add_issue"):
        raise PermissionDenied
    duplicates = []
    if request.method == "POST":
        form = IssueForm(request.POST, request.FILES, user=request.user)
        valid = form.is_valid()
        token = form.cleaned_data.get("creation_token") if valid else None
        if valid and _already_logged(request.user, token):
            # the page was sent before (Back and send, a double click): what it logged is
            # now a likely duplicate of itself, so this comes before that check
            return _replayed(request, token)
        duplicates = _duplicates_for(form, request.user)
        if valid:
            if duplicates and not form.cleaned_data.get("confirm_duplicates"):
                if _already_logged(request.user, token):  # logged meanwhile, at the same time
                    return _replayed(request, token)
                form.add_error(
                    "confirm_duplicates",
                    _(
                        "该企业或项目已有相似的在办问题（见上方列表），尚未登记。"
                        "如确认不是重复问题，请勾选“仍然登记”后再提交。"
                    ),
                )
            else:
                try:
                    issue = _raise(form, request.user)
                except services.CreationReplayed:
                    return _replayed(request, form.cleaned_data["creation_token"])
                except workflow.TransitionRefused as refusal:
                    _refusal_to_form(form, refusal)
                except ValidationError as error:  # an attachment the workflow refused
                    form.add_error("attachments", error)
                else:
                    messages.success(
                        request,
                        _("问题已登记，台账编号 %(number)s。") % {"number": issue.number},
                    )
                    return redirect(issue)
    else:
        form = IssueForm(user=request.user, initial=_initial_subject(request))
    return render(
        request,
        "ledger/issue_form.html",
        {
            "form": form,
            "duplicates": duplicates,
            "reselect_files": bool(request.FILES),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def issue_edit(request, number):
    issue = _visible_issue(request.user, number)
    if Action.EDIT not in workflow.available_actions(request.user, issue):
        raise PermissionDenied
    if request.method == "POST":
        form = IssueEditForm(request.POST, user=request.user, issue=issue)
        if form.is_valid():
            try:
                workflow.transition(
                    issue,
                    actor=request.user,
                    action=Action.EDIT,
                    expected_version=form.cleaned_data["version"],
                    **form.changed_fields(),
                )
            except workflow.TransitionRefused as refusal:
                issue = _visible_issue(request.user, number)
                if Action.EDIT not in workflow.available_actions(request.user, issue):
                    messages.error(request, refusal.message)
                    return redirect(issue)
                # keep what the person typed; the next submit applies it to the current version
                data = request.POST.copy()
                data["version"] = str(issue.version)
                form = IssueEditForm(data, user=request.user, issue=issue)
                form.is_valid()
                _refusal_to_form(form, refusal)
            else:
                messages.success(
                    request, _("已保存对问题 %(number)s 的修改。") % {"number": issue.number}
                )
                return redirect(issue)
    else:
        form = IssueEditForm(
            user=request.user, issue=issue, initial=IssueEditForm.initial_for(issue)
        )
    return render(
        request,
        "ledger/issue_edit.html",
        {
            "form": form,
            "issue": issue,
            "duplicates": _duplicates_for(form, request.user, exclude_pk=issue.pk)
            if form.is_bound
            else [],
        },
    )


# -- what the form asks while the person types ---------------------------------------


def _leader_json(subject) -> dict:
    leader = subject.leader if subject.leader_id else None
    return {"leader_id": leader.pk if leader else None, "leader": str(leader) if leader else ""}


@login_required
@require_GET
def enterprise_lookup(request):
    limit = selectors.LOOKUP_LIMIT
    rows = selectors.enterprises_matching(request.GET.get("q"), limit=limit + 1)
    results = [
        {
            "id": enterprise.pk,
            "name": enterprise.name,
            "detail": enterprise.credit_code,
            "credit_code": enterprise.credit_code,
            **_leader_json(enterprise),
        }
        for enterprise in rows[:limit]
    ]
    return JsonResponse({"results": results, "more": len(rows) > limit})


@login_required
@require_GET
def project_lookup(request):
    limit = selectors.LOOKUP_LIMIT
    rows = selectors.projects_matching(request.GET.get("q"), limit=limit + 1)
    results = [
        {
            "id": project.pk,
            "name": project.name,
            "detail": " · ".join(
                str(part) for part in (project.get_level_display(), project.owner) if part
            ),
            # the chooser proposes the owner in an empty enterprise field
            "owner_id": project.owner_id if project.owner and project.owner.is_active else None,
            "owner": project.owner.name if project.owner and project.owner.is_active else "",
            **_leader_json(project),
        }
        for project in rows[:limit]
    ]
    return JsonResponse({"results": results, "more": len(rows) > limit})


@login_required
@require_GET
def issue_duplicates(request):
    """The likely-duplicate list for the form, fetched by htmx while the person types."""
    params = request.GET
    enterprise = _subject(
        Enterprise,
        params.get("enterprise"),
        params.get("enterprise_text"),
        selectors.enterprises_named,
    )
    project = _subject(
        KeyProject, params.get("project"), params.get("project_text"), selectors.projects_named
    )
    exclude_pk = None
    exclude = selectors.lookup_text(params.get("exclude"))
    if exclude:
        exclude_pk = (
            selectors.visible_to(request.user)
            .filter(number=exclude)
            .values_list("pk", flat=True)
            .first()
        )
    duplicates = selectors.issue_duplicates(
        request.user,
        title=str(params.get("title") or "")[:200],
        enterprise=enterprise,
        project=project,
        exclude_pk=exclude_pk,
    )
    return render(
        request,
        "ledger/_duplicates.html",
        {"duplicates": duplicates, "show_confirm": not exclude},
    )


urlpatterns = [
    path("issues/new/", issue_create, name="issue_create"),
    path("issues/new/duplicates/", issue_duplicates, name="issue_duplicates"),
    path("issues/<issue_number:number>/edit/", issue_edit, name="issue_edit"),
    path("lookup/enterprises/", enterprise_lookup, name="enterprise_lookup"),
    path("lookup/projects/", project_lookup, name="project_lookup"),
]
