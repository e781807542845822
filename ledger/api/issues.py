"""/api/v1/issues/: the ledger's issues, read through `visible_to` and moved through the
workflow door, with the screens' own forms deciding what input is valid.

The list takes the ledger's FilterSet (ledger/filters.py), its sorts and a cursor; the
detail carries the timeline and the issue's version as its ETag. Every action is
`POST …/actions/{action}/` with `If-Match: "<version>"` required: without it 428, with a
stale one 412 and nothing changes.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from ledger import selectors, services, workflow
from ledger.filters import RANGED_FILTERS, IssueFilter, ledger_order, parse_sort
from ledger.forms.actions import ACTION_FORMS
from ledger.forms.issue import IssueEditForm, IssueForm
from ledger.models import Attachment, Enterprise, Issue, IssueEvent, KeyProject
from ledger.selectors.issues import UNREAD_COLUMNS
from ledger.states import TRANSITIONS, Action, Status

from . import pagination
from .base import ApiView, issues_for
from .idempotency import idempotent
from .permissions import client_of
from .serializers import (
    ISSUE_FIELDS,
    ActionInput,
    ActionResult,
    EventSerializer,
    IssueDetailSerializer,
    IssueRaiseInput,
    IssueSerializer,
)

# the problem+json body every error has (ledger/api/errors.py)
PROBLEM = OpenApiResponse(OpenApiTypes.OBJECT, description="application/problem+json")


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = gettext_lazy(
        "办理操作须带 If-Match 请求头（问题详情的 ETag），以免覆盖他人的办理。"
    )
    default_code = "if_match_required"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy("问题已被他人办理或修改，请重新读取后再操作。")
    default_code = "stale_version"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def etag(issue: Issue) -> str:
    return f'"{issue.version}"'


def if_match_version(request) -> int:
    """The version `If-Match` names ("3", W/"3" or 3); missing: 428; not a version: 412."""
    header = request.headers.get("If-Match")
    if header is None or not header.strip():
        raise PreconditionRequired()
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    if not (value.isascii() and value.isdigit() and len(value) < 10):
        raise PreconditionFailed()
    return int(value)


def form_errors(form) -> exceptions.ValidationError:
    """A form's errors as a 400 with field errors (the form's own messages)."""
    errors = {}
    for name, messages in form.errors.items():
        errors["non_field_errors" if name == "__all__" else name] = [str(m) for m in messages]
    return exceptions.ValidationError(errors)


def refusal_error(refusal: workflow.TransitionRefused) -> exceptions.ValidationError:
    errors = {name: [str(message)] for name, message in refusal.field_errors.items()}
    if refusal.message not in refusal.field_errors.values():
        errors["non_field_errors"] = [str(refusal.message)]
    return exceptions.ValidationError(errors)


def _id_or_400(value, name: str):
    """A directory id from JSON: an integer (or its digits), else a field error."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and value.isascii() and value.isdigit())
    ):
        raise exceptions.ValidationError({name: [_("请填写有效的编号（整数）。")]})
    number = int(value)
    if not 0 < number < 2**63:
        raise exceptions.ValidationError({name: [_("请填写有效的编号（整数）。")]})
    return number


def _json_object(request) -> dict:
    if not hasattr(request.data, "lists") and not isinstance(request.data, dict):
        raise exceptions.ValidationError({"non_field_errors": [_("请求内容须为 JSON 对象。")]})
    return request.data


def _visible_issue(request, number: str) -> Issue:
    try:
        return issues_for(request).defer(*UNREAD_COLUMNS).get(number=number)
    except Issue.DoesNotExist:
        raise Http404 from None


# -- the list and raising ------------------------------------------------------------------


LIST_PARAMETERS = [
    OpenApiParameter("q", str, description="free text: number, title, names …"),
    OpenApiParameter("status", str, many=True, description="raised, assigned, in_progress …"),
    OpenApiParameter("health", str, many=True, description="red, yellow, green, late_raise"),
    OpenApiParameter("category", int),
    OpenApiParameter("source", int),
    OpenApiParameter("leader", int),
    OpenApiParameter("lead_department", int),
    OpenApiParameter("raising_department", int),
    OpenApiParameter("enterprise", int),
    OpenApiParameter("project", int),
    OpenApiParameter("raised_after", OpenApiTypes.DATE),
    OpenApiParameter("raised_before", OpenApiTypes.DATE),
    OpenApiParameter("deadline_after", OpenApiTypes.DATE),
    OpenApiParameter("deadline_before", OpenApiTypes.DATE),
    OpenApiParameter(
        "sort",
        str,
        description="number, title, source, category, leader, lead_department, raised, "
        "deadline, status, health; '-' before it reverses (default -number)",
    ),
    OpenApiParameter("cursor", str, description="the `next` of the previous page"),
    OpenApiParameter("limit", int, description=f"rows per page (1–{pagination.MAX_LIMIT})"),
    OpenApiParameter(
        "fields", str, description=f"comma-separated, among: {', '.join(ISSUE_FIELDS)}"
    ),
]


class IssuePage(serializers.Serializer):
    results = IssueSerializer(many=True)
    next = serializers.CharField(allow_null=True, help_text="the cursor of the next page")


def fields_asked(request) -> list[str] | None:
    raw = request.query_params.get("fields")
    if raw is None or not raw.strip():
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = [name for name in names if name not in ISSUE_FIELDS]
    if unknown:
        raise exceptions.ValidationError(
            {"fields": [_("无法识别的字段：%(f)s") % {"f": ", ".join(unknown[:10])}]}
        )
    return names


class IssueListView(ApiView):
    scopes = {"GET": "issues:read", "POST": "issues:write"}

    @extend_schema(
        operation_id="issues_list",
        parameters=LIST_PARAMETERS,
        responses={200: IssuePage, 400: PROBLEM},
    )
    def get(self, request):
        params = request.query_params
        fields = fields_asked(request)
        limit = pagination.limit_read(params.get("limit"))
        sort = parse_sort(params.get("sort"))
        queryset = selectors.issue_rows(issues_for(request))
        filterset = IssueFilter(params, queryset=queryset)
        if not filterset.is_valid():
            raise form_errors(filterset.form)
        ranged = any(
            params.get(f"{name}_after") or params.get(f"{name}_before") for name in RANGED_FILTERS
        )
        rows = ledger_order(filterset.qs, sort, ranged=ranged)
        page, next_cursor = pagination.page_of(
            rows, sort=sort, cursor=params.get("cursor"), limit=limit
        )
        self.audit_rows = len(page)
        return Response(
            {"results": IssueSerializer(page, many=True, fields=fields).data, "next": next_cursor}
        )

    @extend_schema(
        operation_id="issues_raise",
        request={
            "application/json": IssueRaiseInput,
            "multipart/form-data": IssueRaiseInput,
        },
        parameters=[
            OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)
        ],
        responses={201: IssueDetailSerializer, 400: PROBLEM, 403: PROBLEM, 409: PROBLEM},
    )
    def post(self, request):
        return idempotent(request, lambda: self._raise(request))

    def _raise(self, request):
        if not request.user.has_perm("ledger.add_issue"):
            raise exceptions.PermissionDenied(_("您没有登记问题的权限。"))
        data = _json_object(request)
        check = IssueRaiseInput(data=data)
        if not check.is_valid():
            raise exceptions.ValidationError(check.errors)
        values = check.validated_data
        client = client_of(request)
        form_data = {
            "title": values["title"],
            "description": values["description"],
            "category": values["category"],
            "urgency": values.get("urgency") or Issue.Urgency.NORMAL,
            "measures": values.get("measures", ""),
            "creation_token": services.creation_token_new(),
        }
        source = values.get("source")
        if client is not None and client.source_id:
            if source is not None and source != client.source_id:
                raise exceptions.ValidationError(
                    {"source": [_("此客户端只能登记来源为“%(s)s”的问题。") % {"s": client.source}]}
                )
            source = client.source_id
        form_data["source"] = source
        if client is not None:
            allowed = set(client.categories.values_list("pk", flat=True))
            if allowed and values["category"] not in allowed:
                raise exceptions.ValidationError(
                    {"category": [_("此客户端不能登记该类别的问题。")]}
                )
        for name, model in (("enterprise", Enterprise), ("project", KeyProject)):
            pk = values.get(name)
            if pk is None:
                continue
            obj = model.objects.filter(pk=pk).first()
            if obj is None:
                raise exceptions.ValidationError({name: [_("找不到该编号的记录。")]})
            form_data[name] = pk
            form_data[f"{name}_text"] = obj.name
        for name in ("leader", "raising_department"):
            if values.get(name) is not None:
                form_data[name] = values[name]
        form = IssueForm(form_data, request.FILES or None, user=request.user)
        if not form.is_valid():
            raise form_errors(form)
        duplicates = selectors.issue_duplicates(
            request.user,
            title=form.cleaned_data["title"],
            enterprise=form.cleaned_data.get("enterprise"),
            project=form.cleaned_data.get("project"),
        )
        if duplicates and not values.get("confirm_duplicates"):
            error = Conflict(
                _(
                    "该企业或项目已有相似的在办问题，尚未登记。如确认不是重复问题，"
                    "请带 confirm_duplicates: true 重新提交。"
                )
            )
            error.duplicates = [issue.number for issue in duplicates]
            raise error
        try:
            with transaction.atomic():
                issue = workflow.issue_raise(
                    actor=request.user,
                    files=form.cleaned_data.get("attachments") or [],
                    **form.workflow_fields(),
                )
        except workflow.TransitionRefused as refusal:
            raise refusal_error(refusal) from None
        except DjangoValidationError as error:
            raise exceptions.ValidationError({"attachments": error.messages}) from None
        issue = _detail_issue(request, issue.number)
        response = Response(_detail_data(request, issue), status=status.HTTP_201_CREATED)
        response["Location"] = request.build_absolute_uri(_detail_path(issue))
        response["ETag"] = etag(issue)
        return response


def _detail_path(issue) -> str:
    return reverse("api:issue", kwargs={"number": issue.number})


def _detail_issue(request, number) -> Issue:
    """One issue the caller reaches, with everything its detail shows (a fixed number of
    queries)."""
    queryset = selectors.issue_rows(issues_for(request)).prefetch_related(
        Prefetch(
            "events",
            queryset=IssueEvent.objects.select_related("actor", "actor_department").order_by("seq"),
        ),
        Prefetch("attachments", queryset=Attachment.objects.order_by("uploaded_at", "id")),
        "extensions",
    )
    try:
        issue = queryset.get(number=number)
    except Issue.DoesNotExist:
        raise Http404 from None
    attachments = list(issue.attachments.all())
    for attachment in attachments:
        attachment.issue = issue
    by_event: dict[int, list[int]] = {}
    for attachment in attachments:
        by_event.setdefault(attachment.event_id, []).append(attachment.pk)
    for event in issue.events.all():
        event.attachment_ids = by_event.get(event.pk, [])
    return issue


def _detail_data(request, issue) -> dict:
    client = client_of(request)
    actions = workflow.available_actions(request.user, issue)
    if client is not None and "issues:write" not in client.scopes:
        actions = []  # the client may not take them, whatever its account's role allows
    return IssueDetailSerializer(issue, context={"actions": actions}).data


class IssueDetailView(ApiView):
    scopes = {"GET": "issues:read"}

    @extend_schema(
        operation_id="issues_detail", responses={200: IssueDetailSerializer, 404: PROBLEM}
    )
    def get(self, request, number):
        issue = _detail_issue(request, number)
        response = Response(_detail_data(request, issue))
        response["ETag"] = etag(issue)
        return response


# -- actions ---------------------------------------------------------------------------------

# the actions the API offers: every row people are offered (`edit` with the edit form)
API_ACTIONS = [action for action in TRANSITIONS if action in ACTION_FORMS or action == Action.EDIT]


class IssueActionView(ApiView):
    scopes = {"POST": "issues:write"}

    @extend_schema(
        operation_id="issues_action",
        parameters=[
            OpenApiParameter(
                "action",
                str,
                OpenApiParameter.PATH,
                enum=[a.value for a in API_ACTIONS],
            ),
            OpenApiParameter(
                "If-Match",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description='the ETag of the issue\'s detail, e.g. "3"',
            ),
            OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False),
        ],
        request={"application/json": ActionInput, "multipart/form-data": ActionInput},
        responses={
            200: ActionResult,
            400: PROBLEM,
            403: PROBLEM,
            404: PROBLEM,
            412: PROBLEM,
            428: PROBLEM,
        },
    )
    def post(self, request, number, action):
        try:
            action = Action(action)
        except ValueError:
            raise Http404 from None
        if action not in API_ACTIONS:
            raise Http404
        issue = _visible_issue(request, number)
        version = if_match_version(request)
        return idempotent(request, lambda: self._act(request, issue, action, version))

    def _act(self, request, issue, action, version):
        if version != issue.version:
            raise PreconditionFailed()
        if action not in workflow.available_actions(request.user, issue):
            raise exceptions.PermissionDenied(_why_not(request.user, issue, action))
        data = _json_object(request)
        if action == Action.EDIT:
            form = IssueEditForm(_edit_data(issue, data, version), user=request.user, issue=issue)
            if not form.is_valid():
                raise form_errors(form)
            given = {"expected_version": version, **form.changed_fields()}
        else:
            form_data = _form_data(data)
            form_data["version"] = version
            form = ACTION_FORMS[action](
                form_data, request.FILES or None, issue=issue, user=request.user
            )
            if not form.is_valid():
                raise form_errors(form)
            given = form.transition_kwargs()
        try:
            event = workflow.transition(issue, actor=request.user, action=action, **given)
        except workflow.TransitionRefused as refusal:
            current = Issue.objects.filter(pk=issue.pk).values_list("version", flat=True).first()
            if current != version:
                raise PreconditionFailed() from None
            raise refusal_error(refusal) from None
        except DjangoValidationError as error:
            raise exceptions.ValidationError({"attachments": error.messages}) from None
        issue.refresh_from_db()
        event = IssueEvent.objects.select_related("actor", "actor_department").get(pk=event.pk)
        event.attachment_ids = list(event.attachments.values_list("pk", flat=True))
        visible = issues_for(request).filter(pk=issue.pk).exists()
        response = Response(
            {
                "number": issue.number,
                "action": action.value,
                "status": issue.status,
                "version": issue.version,
                "visible": visible,
                "event": EventSerializer(event).data,
            }
        )
        if visible:
            response["ETag"] = etag(issue)
        return response


# 修改: the fields a caller may correct before assignment, by id as when raising
EDIT_FIELDS = ("title", "description", "category", "source", "urgency", "enterprise")
EDIT_FIELDS += ("project", "leader", "measures")


def _edit_data(issue, data, version) -> dict:
    """The edit form's data: the issue as it is, with the fields the caller sent."""
    sent = _form_data(data)
    unknown = sorted(set(sent) - set(EDIT_FIELDS))
    if unknown:
        raise exceptions.ValidationError(
            {name: [_("修改时不能设置此字段。")] for name in unknown[:10]}
        )
    values = {
        "title": issue.title,
        "description": issue.description,
        "category": issue.category_id,
        "source": issue.source_id,
        "urgency": issue.urgency,
        "enterprise": issue.enterprise_id,
        "project": issue.project_id,
        "leader": issue.leader_id,
        "measures": issue.measures,
    }
    for name in ("category", "source", "enterprise", "project", "leader"):
        if name in sent:
            values[name] = _id_or_400(sent[name], name)
    for name in ("title", "description", "urgency", "measures"):
        if name in sent:
            values[name] = sent[name]
    form_data = {k: ("" if v is None else v) for k, v in values.items()}
    for name, model in (("enterprise", Enterprise), ("project", KeyProject)):
        pk = values[name]
        if pk in (None, ""):
            continue
        obj = model.objects.filter(pk=pk).first()
        if obj is None:
            raise exceptions.ValidationError({name: [_("找不到该编号的记录。")]})
        form_data[f"{name}_text"] = obj.name
    form_data["version"] = version
    return form_data


def _form_data(data) -> dict:
    """The request's fields as the action form reads them (a form takes lists for its
    multiple choices and "true"/"false" for its check boxes)."""
    if hasattr(data, "lists"):
        return {name: values if len(values) > 1 else values[0] for name, values in data.lists()}
    plain = {}
    for name, value in data.items():
        if isinstance(value, dict):
            raise exceptions.ValidationError({name: [_("此处不能是 JSON 对象。")]})
        plain[name] = value
    return plain


def _why_not(user, issue, action) -> str:
    if issue.status not in TRANSITIONS[action].sources:
        return _("该问题当前状态为“%(status)s”，不能执行“%(action)s”。") % {
            "status": Status(issue.status).label,
            "action": action.label,
        }
    unmet = workflow.unmet_precondition(
        issue,
        action,
        extension_pending=workflow.has_pending_extension(issue),
        today=timezone.localdate(),
    )
    if unmet and action in workflow.available_actions(user, issue, check_preconditions=False):
        return unmet
    return _("您没有权限对该问题执行“%(action)s”。") % {"action": action.label}


# -- attachments -----------------------------------------------------------------------------


class AttachmentView(ApiView):
    scopes = {"GET": "issues:read"}

    @extend_schema(
        operation_id="issues_attachment",
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: PROBLEM,
        },
    )
    def get(self, request, number, attachment_id):
        issue = _visible_issue(request, number)
        attachment = Attachment.objects.filter(pk=attachment_id, issue=issue).first()
        if attachment is None:
            raise Http404
        try:
            handle = attachment.file.open("rb")
        except (FileNotFoundError, ValueError):
            raise Http404 from None
        self.audit_rows = 1
        response = FileResponse(handle, as_attachment=True, filename=attachment.original_name)
        # opaque bytes, never sniffed: the caller knows the name and type from the detail
        response["Content-Type"] = "application/octet-stream"
        response["X-Content-Type-Options"] = "nosniff"
        return response
