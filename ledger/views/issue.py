"""Views: the issue page, one page per action on it, and attachment downloads.

Every view finds the issue through selectors.issue_for_user(), so an issue the
user may not see is a 404 whether or not it exists. The buttons are exactly
workflow.available_actions(); each action's form posts to workflow.transition().
"""

import datetime
from collections import defaultdict
from pathlib import PurePath

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Prefetch, prefetch_related_objects
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from ledger import selectors, workdays, workflow
from ledger.forms.actions import ACTION_FORMS, ActionForm
from ledger.models import (
    Attachment,
    ExtensionRequest,
    Issue,
    IssueDeadline,
    IssueEvent,
)
from ledger.states import TRANSITIONS, Action, Status

# how each button looks: the main step forward is solid, turning back is red
ACTION_STYLES = {
    Action.ASSIGN: "btn-primary",
    Action.ACCEPT: "btn-primary",
    Action.RESOLVE: "btn-primary",
    Action.CLOSE: "btn-success",
    Action.EXTENSION_APPROVE: "btn-success",
    Action.RETURN: "btn-outline-danger",
    Action.WITHDRAW: "btn-outline-danger",
    Action.EXTENSION_REJECT: "btn-outline-danger",
    Action.REOPEN: "btn-outline-danger",
    Action.ESCALATE: "btn-outline-danger",
    Action.URGE: "btn-outline-warning",
}
DEFAULT_STYLE = "btn-outline-secondary"

# event.changes keys that are not Issue fields
CHANGE_LABELS = {
    "extension_requested": gettext_lazy("申请延期至"),
    "extension_rejected": gettext_lazy("驳回的延期日期"),
    "extension_granted": gettext_lazy("申请的日期 → 批准的日期"),
    # 回访: the enterprise's own rating through its link (workflow.feedback_record)
    "enterprise_rating": gettext_lazy("企业评价"),
}

# attachments a browser may show inline: stored extension -> the Content-Type sent. Only
# these (never SVG or HTML, which can carry script); anything else is downloaded.
INLINE_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}


# -- finding the issue -------------------------------------------------------------------


def _visible_issue(user, number) -> Issue:
    try:
        return selectors.issue_for_user(user, number)
    except Issue.DoesNotExist:
        raise Http404 from None


def _action_or_404(name) -> Action:
    try:
        action = Action(name)
    except ValueError:
        raise Http404 from None
    if action not in TRANSITIONS:  # `raise` is not taken on an existing issue
        raise Http404
    return action


def _buttons(issue: Issue, actions) -> list[dict]:
    return [
        {
            "action": action.value,
            "label": action.label,
            "style": ACTION_STYLES.get(action, DEFAULT_STYLE),
            "url": reverse("issue_action", kwargs={"number": issue.number, "action": action.value}),
        }
        for action in actions
    ]


# -- the timeline's "what changed" in words ----------------------------------------------


def _change_value(field, raw):
    """An event's stored value ("2026-05-01", "smooth", "True" …) as a person reads it."""
    if raw in (None, ""):
        return ""
    if field is None:
        return raw
    try:
        if isinstance(field, models.DateTimeField):
            moment = timezone.localtime(datetime.datetime.fromisoformat(raw))
            return dateformat.format(moment, "Y-m-d H:i")
        if isinstance(field, models.DateField):
            return datetime.date.fromisoformat(raw).isoformat()
    except (TypeError, ValueError):
        return raw
    if isinstance(field, models.BooleanField):
        return {"True": _("是"), "False": _("否")}.get(raw, raw)
    if field.choices:
        return dict(field.flatchoices).get(raw, raw)
    return raw


def change_rows(changes) -> list[dict]:
    """[{label, old, new}] for an event's `changes` dict, labelled with field verbose names."""
    rows = []
    for name, values in (changes or {}).items():
        try:
            field = Issue._meta.get_field(name)
            label = field.verbose_name
        except FieldDoesNotExist:
            field, label = None, CHANGE_LABELS.get(name, name)
        if not isinstance(values, list | tuple) or len(values) != 2:
            values = ["", values]
        old, new = (_change_value(field, value) for value in values)
        rows.append({"name": name, "label": label, "old": old, "new": new})
    return rows


# -- the issue page ----------------------------------------------------------------------


def _load_history(issue: Issue) -> None:
    """Prefetch everything the page shows, in a fixed number of queries."""
    prefetch_related_objects(
        [issue],
        Prefetch(
            "events",
            queryset=IssueEvent.objects.select_related("actor", "actor_department").order_by("seq"),
        ),
        Prefetch(
            "attachments",
            queryset=Attachment.objects.select_related("uploaded_by").order_by("uploaded_at", "id"),
        ),
        Prefetch(
            "deadlines",
            queryset=IssueDeadline.objects.select_related("set_by").order_by("set_at", "id"),
        ),
        Prefetch(
            "extensions",
            queryset=ExtensionRequest.objects.select_related("requested_by", "decided_by").order_by(
                "-requested_at", "-id"
            ),
        ),
    )


@login_required
@require_GET
def issue_detail(request, number):
    issue = _visible_issue(request.user, number)
    _load_history(issue)
    attachments = list(issue.attachments.all())
    by_event = defaultdict(list)
    for attachment in attachments:
        by_event[attachment.event_id].append(attachment)
    for attachment in attachments:
        attachment.inline = attachment_inline_type(attachment) is not None
    events = list(issue.events.all())
    for event in events:
        event.change_rows = change_rows(event.changes)
        event.files = by_event.get(event.pk, [])
    deadlines = list(issue.deadlines.all())
    extensions = list(issue.extensions.all())
    _granted_deadlines(extensions, deadlines)
    days_left = issue.days_to_deadline
    return render(
        request,
        "ledger/issue_detail.html",
        {
            "issue": issue,
            "events": events,
            "attachments": attachments,
            "deadlines": deadlines,
            "extensions": extensions,
            "previous_resolution": previous_resolution(events),
            "shows_resolution": issue.status in (Status.RESOLVED, Status.CLOSED),
            "pending_extension": next(
                (e for e in extensions if e.state == ExtensionRequest.State.PENDING), None
            ),
            "buttons": _buttons(issue, workflow.available_actions(request.user, issue)),
            "is_running": issue.status in (Status.ASSIGNED, Status.IN_PROGRESS),
            "days_left": days_left,
            # "还剩 N 个工作日": weekends and holidays do not count (ledger/workdays.py)
            "working_days_left": (
                workdays.working_days_between(timezone.localdate(), issue.deadline)
                if days_left is not None and days_left > 0
                else 0
            ),
            "overdue_days": -days_left if days_left is not None and days_left < 0 else 0,
        },
    )


def previous_resolution(events) -> dict | None:
    """上次办结: what the issue's last 重办 set aside, read from the events (oldest first).

    The resolution, when and by whom it was resolved, the satisfaction recorded at 销号 (if
    it had been closed), and the 重办 itself (who, when, why). None if never reopened."""
    reopen_at = next(
        (i for i in range(len(events) - 1, -1, -1) if events[i].action == Action.REOPEN), None
    )
    if reopen_at is None:
        return None
    before = events[:reopen_at]
    resolve = next((e for e in reversed(before) if e.action == Action.RESOLVE), None)
    close = next((e for e in reversed(before) if e.action == Action.CLOSE), None)
    if close is not None and resolve is not None and close.seq < resolve.seq:
        close = None  # a close of an earlier round
    resolution = ""
    if resolve is not None:
        resolution = (resolve.changes or {}).get("resolution", ["", ""])[-1]
    satisfaction = ""
    if close is not None:
        raw = (close.changes or {}).get("satisfaction", ["", ""])[-1]
        satisfaction = dict(Issue.Satisfaction.choices).get(raw, raw)
    return {
        "resolution": resolution,
        "resolve": resolve,
        "close": close,
        "satisfaction": satisfaction,
        "reopen": events[reopen_at],
    }


def _granted_deadlines(extensions, deadlines) -> None:
    """Each approved request gets `granted`: the deadline its decision set (it may differ
    from the date asked for); read from the deadline history, no query."""
    extended = {
        row.set_at: row.deadline for row in deadlines if row.reason == IssueDeadline.Reason.EXTENDED
    }
    for ext in extensions:
        ext.granted = None
        if ext.state == ExtensionRequest.State.APPROVED:
            ext.granted = extended.get(ext.decided_at)


# -- one action ----------------------------------------------------------------------------


def _unmet_precondition(user, issue: Issue, action: Action) -> str | None:
    """Why an action the table allows this user is still refused (an extension already
    pending …); None when the table itself refuses it, or nothing does."""
    if action not in workflow.available_actions(user, issue, check_preconditions=False):
        return None
    return workflow.unmet_precondition(
        issue,
        action,
        extension_pending=workflow.has_pending_extension(issue),
        today=timezone.localdate(),
    )


def _why_not(user, issue: Issue, action: Action) -> str:
    if issue.status not in TRANSITIONS[action].sources:
        return _("该问题当前状态为“%(status)s”，不能执行“%(action)s”。") % {
            "status": Status(issue.status).label,
            "action": action.label,
        }
    unmet = _unmet_precondition(user, issue, action)
    if unmet:
        return unmet
    return _("您没有权限对该问题执行“%(action)s”。") % {"action": action.label}


def _last_event(issue: Issue) -> IssueEvent | None:
    return issue.events.select_related("actor", "actor_department").order_by("-seq").first()


def _gone_message(user, issue: Issue, action: Action) -> str:
    """The page was built before someone else moved the issue; the action is no longer open."""
    event = _last_event(issue)
    if event is None:
        return _why_not(user, issue, action)
    return _(
        "您打开页面后，%(actor)s于%(time)s对该问题执行了“%(done)s”，当前状态为“%(status)s”，"
        "您已不能执行“%(action)s”。您填写的内容保留在下方，未作任何提交。"
    ) % {
        "actor": event.actor,
        "time": timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M"),
        "done": Action(event.action).label,
        "status": Status(issue.status).label,
        "action": action.label,
    }


def _refusal_to_form(form, refusal: workflow.TransitionRefused) -> None:
    """Put the workflow's refusal next to the fields it names, the message above the form."""
    for name, message in refusal.field_errors.items():
        if name in form.fields and message not in form.errors.get(name, []):
            form.add_error(name, message)
    if refusal.message not in refusal.field_errors.values():
        form.add_error(None, refusal.message)


def _pending_extension(issue: Issue) -> ExtensionRequest | None:
    return (
        issue.extensions.filter(state=ExtensionRequest.State.PENDING)
        .select_related("requested_by")
        .first()
    )


def _render_action(request, issue, action, form, *, status=200, can_submit=True, forbidden=""):
    context = {
        "issue": issue,
        "action": action,
        "action_label": action.label,
        "form": form,
        "can_submit": can_submit,
        "forbidden": forbidden,
        "pending_extension": _pending_extension(issue),
        "recent_events": list(
            issue.events.select_related("actor", "actor_department").order_by("-seq")[:3]
        ),
        "reselect_files": bool(request.FILES) and form is not None and bool(form.errors),
        "buttons": (
            _buttons(issue, workflow.available_actions(request.user, issue)) if forbidden else []
        ),
        # 销号 offers 重办 instead, for an enterprise that is not satisfied
        "reopen_url": (
            reverse("issue_action", kwargs={"number": issue.number, "action": Action.REOPEN})
            if action == Action.CLOSE
            and not forbidden
            and Action.REOPEN in workflow.available_actions(request.user, issue)
            else ""
        ),
    }
    return render(request, "ledger/issue_action.html", context, status=status)


def _forbidden(request, issue, action):
    """403 with a page that says why, and what the person can do instead."""
    return _render_action(
        request, issue, action, None, status=403, forbidden=_why_not(request.user, issue, action)
    )


@login_required
@require_http_methods(["GET", "POST"])
def issue_action(request, number, action):
    issue = _visible_issue(request.user, number)
    action = _action_or_404(action)
    allowed = action in workflow.available_actions(request.user, issue)

    if action == Action.EDIT:
        if not allowed:
            return _forbidden(request, issue, action)
        try:
            return redirect(reverse("issue_edit", kwargs={"number": issue.number}))
        except NoReverseMatch:
            raise Http404 from None

    form_class: type[ActionForm] = ACTION_FORMS[action]
    if request.method == "GET":
        if not allowed:
            return _forbidden(request, issue, action)
        form = form_class(issue=issue, user=request.user)
        return _render_action(request, issue, action, form)

    form = form_class(request.POST, request.FILES, issue=issue, user=request.user)
    if not allowed:
        submitted = form.submitted_version()
        if submitted is not None and submitted < issue.version:
            # someone moved the issue after this page was built: keep what the person typed
            form.is_valid()
            form.add_error(None, _gone_message(request.user, issue, action))
            return _render_action(request, issue, action, form, status=409, can_submit=False)
        unmet = _unmet_precondition(request.user, issue, action) if submitted is not None else None
        if unmet is None:
            return _forbidden(request, issue, action)
        # a form the person may post, refused by the issue as it stands (a second extension
        # request): say why above what they typed, as transition() would
        form.is_valid()
        form.add_error(None, unmet)
        return _render_action(request, issue, action, form, can_submit=False)

    if not form.is_valid():
        return _render_action(request, issue, action, form)
    try:
        workflow.transition(issue, actor=request.user, action=action, **form.transition_kwargs())
    except workflow.TransitionRefused as refusal:
        return _after_refusal(request, number, issue, action, form, refusal)
    except ValidationError as error:  # an attachment the workflow refused
        form.add_error("attachments" if "attachments" in form.fields else None, error)
        return _render_action(request, issue, action, form)
    messages.success(
        request,
        _("已对问题 %(number)s 执行“%(action)s”。")
        % {"number": issue.number, "action": action.label},
    )
    for warning in form.nonworking_warnings():
        messages.warning(request, warning)
    if not selectors.visible_to(request.user).filter(pk=issue.pk).exists():
        # e.g. 退回: the issue has left the department's sight, so its page would be a 404
        return redirect("home")
    return redirect(issue)


def _repeated_submission(user, issue, action, form, submitted) -> str:
    """A message if the event written right after the submitted version is this very form's:
    same person, same action, same text. Empty otherwise (someone else changed the issue)."""
    event = issue.events.order_by("-seq").first()
    if event is None or issue.version != submitted + 1:
        return ""
    note = (form.cleaned_data.get("note") or "").strip()
    if event.actor_id != user.pk or event.action != action or event.note != note:
        return ""
    return _(
        "这份“%(action)s”已于%(time)s提交并记录，本次是重复提交（例如按了浏览器的后退键"
        "或连续点击），未再记录。"
    ) % {
        "action": action.label,
        "time": timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M"),
    }


def _after_refusal(request, number, issue, action, form, refusal):
    """Show the workflow's refusal with the person's input kept; nothing was written."""
    submitted = form.cleaned_data["version"]
    try:
        current = _visible_issue(request.user, number)
    except Http404:
        # the change made meanwhile took the issue out of this user's sight (e.g. 退回)
        form.add_error(None, refusal.message)
        return _render_action(request, issue, action, form, status=409, can_submit=False)
    stale = current.version != submitted
    if not stale:
        _refusal_to_form(form, refusal)
        return _render_action(request, current, action, form)
    repeated = _repeated_submission(request.user, current, action, form, submitted)
    if repeated:
        # the same form sent again (Back button, double click): recorded once, not twice
        form.add_error(None, repeated)
        return _render_action(request, current, action, form, status=409, can_submit=False)
    can_submit = action in workflow.available_actions(request.user, current)
    if can_submit:
        # the next submit applies the same input to the version now shown
        data = request.POST.copy()
        data["version"] = str(current.version)
        form = type(form)(data, issue=current, user=request.user)
        form.is_valid()
    _refusal_to_form(form, refusal)
    return _render_action(request, current, action, form, status=409, can_submit=can_submit)


# -- attachments ---------------------------------------------------------------------------


@login_required
@require_GET
def attachment_download(request, number, attachment_id):
    issue = _visible_issue(request.user, number)
    attachment = Attachment.objects.filter(pk=attachment_id, issue=issue).first()
    if attachment is None:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    inline_type = attachment_inline_type(attachment)
    response = FileResponse(
        handle, as_attachment=inline_type is None, filename=attachment.original_name
    )
    if inline_type is None:
        # never let a browser guess: everything else is a download of opaque bytes
        response["Content-Type"] = "application/octet-stream"
    else:
        response["Content-Type"] = inline_type
        if inline_type.startswith("image/"):
            # an image shown on its own: nothing else may load, no script may run
            response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
        # a PDF keeps the site's own policy (a sandbox would stop the browser's PDF viewer)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def attachment_inline_type(attachment) -> str | None:
    """The Content-Type to show `attachment` inline with, or None: download it.

    Decided from the stored file's extension, which the upload checked against
    ATTACHMENT_ALLOWED_EXTENSIONS, never from the type the uploading browser claimed."""
    suffix = PurePath(attachment.file.name or "").suffix.lower().lstrip(".")
    if suffix not in {s.lower() for s in settings.ATTACHMENT_ALLOWED_EXTENSIONS}:
        return None
    return INLINE_TYPES.get(suffix)


urlpatterns = [
    path("issues/<issue_number:number>/", issue_detail, name="issue_detail"),
    path("issues/<issue_number:number>/act/<str:action>/", issue_action, name="issue_action"),
    path(
        "issues/<issue_number:number>/attachments/<int:attachment_id>/",
        attachment_download,
        name="attachment_download",
    ),
]
