"""Writes of ledger.notify: notifications for a committed event or a reminder, marking read,
preferences. E-mail goes out from a background task (tasks.py) enqueued after commit."""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from ledger import workflow
from ledger.models import Issue, IssueEvent
from ledger.states import Action, Status

from .models import Kind, Notification, Preference
from .recipients import SYSTEM_USERNAME, To, capacity_of, event_is_told, recipients_for

logger = logging.getLogger(__name__)


def issue_for_notify(issue_id: int) -> Issue:
    """The issue with what the recipients table and the permission checks read."""
    return (
        Issue.objects.select_related(
            "enterprise", "project", "leader", "lead_department", "raising_department"
        )
        .prefetch_related("co_departments")
        .get(pk=issue_id)
    )


def notifications_create(
    *,
    kind: str,
    issue: Issue,
    actor=None,
    event: IssueEvent | None = None,
    data=None,
    at=None,
    email: bool = True,
) -> list[Notification]:
    """Tell the table's recipients of `kind` on `issue`; e-mail after the commit.

    The caller holds a transaction or not; the e-mail tasks are enqueued on commit, so
    nothing is sent for what did not commit. Recipients already told of `event` are skipped.
    """
    at = at or timezone.now()
    users = recipients_for(kind, issue, actor=actor)
    if event is not None:
        told = set(
            Notification.objects.filter(event=event, recipient__in=users).values_list(
                "recipient_id", flat=True
            )
        )
        users = [u for u in users if u.pk not in told]
    rows = []
    for user in users:
        wants = email and bool(user.email) and _preference(user).wants_email(kind)
        capacity = capacity_of(user, kind, issue)
        rows.append(
            Notification(
                recipient=user,
                issue=issue,
                event=event,
                kind=kind,
                actor=actor,
                # the group the person is told as: the wording depends on it
                data={**(data or {}), **({"as": capacity.value} if capacity else {})},
                created_at=at,
                email_state=Notification.Email.PENDING if wants else Notification.Email.NONE,
            )
        )
    with transaction.atomic():
        created = Notification.objects.bulk_create(rows)
        pending = [n.pk for n in created if n.email_state == Notification.Email.PENDING]
        if pending:
            transaction.on_commit(lambda: _emails_enqueue(pending))
    return created


def _preference(user) -> Preference:
    try:
        return user.notify_preference
    except Preference.DoesNotExist:
        return Preference(user=user)


def _emails_enqueue(notification_ids: list[int]) -> None:
    from .tasks import notification_email_send

    for pk in notification_ids:
        try:
            notification_email_send.enqueue(pk)
        except Exception:
            # the queue itself is down: the notification stays `pending` and visible in the
            # admin; the user's action has committed and is not affected
            logger.exception("could not enqueue e-mail for notification %s", pk)


def event_notify(event_id: int) -> list[Notification]:
    """Notifications for one committed workflow event (the signal's receiver calls this)."""
    event = IssueEvent.objects.select_related("actor").filter(pk=event_id).first()
    if event is None or event.action not in Kind.values or not event_is_told(event):
        return []
    issue = issue_for_notify(event.issue_id)
    if event.action in REQUEST_DECIDED_BY:
        requests_mark_done(issue=issue, kinds=REQUEST_DECIDED_BY[event.action], at=event.created_at)
    return notifications_create(
        kind=event.action,
        issue=issue,
        actor=event.actor,
        event=event,
        at=event.created_at,
        data=event_data(event, issue),
    )


# NOTE_IN_TEXT characters of a reason are quoted in the notification (the page has it whole)
NOTE_IN_TEXT = 120


def event_data(event: IssueEvent, issue: Issue) -> dict:
    """What the notification's sentence needs from its event (the requested or new
    deadline, the reason, the enterprise's rating and comment), frozen as it was then."""
    changes = event.changes or {}

    def new(name):
        value = changes.get(name)
        return value[1] if isinstance(value, list | tuple) and len(value) == 2 else None

    data = {}
    if event.action == Kind.FEEDBACK:
        # the 回访's own words (rating, who, the enterprise's comment), as the timeline keeps them
        data["note"] = event.note
    elif event.action == Action.EXTENSION_REQUEST:
        data["requested"] = new("extension_requested")
        reason = (event.note or "").strip()
        data["reason"] = reason if len(reason) <= NOTE_IN_TEXT else reason[: NOTE_IN_TEXT - 1] + "…"
    elif event.action in (Action.EXTENSION_APPROVE, Action.REOPEN, Action.ASSIGN):
        data["deadline"] = new("deadline") or (issue.deadline and issue.deadline.isoformat())
    return {key: value for key, value in data.items() if value}


# a request the recipients were asked to decide (请审核销号, 申请延期) is done once
# anyone decides it: their unread notices of it are marked read
REQUEST_DECIDED_BY = {
    Action.CLOSE: (Kind.RESOLVE,),
    Action.REOPEN: (Kind.RESOLVE,),
    Action.EXTENSION_APPROVE: (Kind.EXTENSION_REQUEST,),
    Action.EXTENSION_REJECT: (Kind.EXTENSION_REQUEST,),
}


def requests_mark_done(*, issue: Issue, kinds, at) -> int:
    return Notification.objects.filter(issue=issue, kind__in=kinds, read_at=None).update(read_at=at)


def import_notify(*, issue_ids, actor_id=None, at=None) -> list[Notification]:
    """One digest per lead department for issues imported as 已交办 (not one per issue): on
    the department's first such issue, with the count and a link to the ledger filtered to
    the department."""
    from ledger.models import User

    issues = (
        Issue.objects.filter(pk__in=issue_ids, status=Status.ASSIGNED)
        .exclude(lead_department=None)
        .order_by("pk")
        .values_list("pk", "lead_department_id")
    )
    by_department: dict[int, list[int]] = {}
    for pk, department_id in issues:
        by_department.setdefault(department_id, []).append(pk)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    created = []
    for department_id, pks in by_department.items():
        created += notifications_create(
            kind=Kind.IMPORTED,
            issue=issue_for_notify(pks[0]),
            actor=actor,
            at=at,
            data={"count": len(pks), "department": department_id},
        )
    return created


def on_issues_imported(sender, *, issue_ids, actor_id=None, **kwargs) -> None:
    """Receiver of ledger.signals.issues_imported (sent after the import committed)."""
    try:
        import_notify(issue_ids=issue_ids, actor_id=actor_id)
    except Exception:
        logger.exception("notifications for an import of %s issues failed", len(issue_ids))


def on_event_committed(sender, *, event_id, **kwargs) -> None:
    """Receiver of ledger.signals.issue_event_committed. Never raises: the action it reports
    has committed already, and a failure here must not turn the user's success into an error."""
    try:
        event_notify(event_id)
    except Exception:
        logger.exception("notifications for event %s failed", event_id)


# -- reading and marking -----------------------------------------------------------------


def notification_mark_read(*, user, notification_id: int) -> Notification:
    """Mark the user's own notification read; Notification.DoesNotExist for anyone else's."""
    notification = Notification.objects.select_related("issue").get(
        pk=notification_id, recipient=user
    )
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notification_target(notification: Notification, user=None) -> str:
    """Where a notification leads (a path): the issue page; for an extension request, the
    approval page when `user` may still decide it (the request's date and reason are there,
    the approval one button away); for an import digest, the ledger filtered to the
    department."""
    issue = notification.issue
    if notification.kind == Kind.IMPORTED:
        query = {"lead_department": notification.data.get("department", ""), "status": "assigned"}
        return reverse("issue_list") + "?" + urlencode(query)
    if (
        notification.kind == Kind.EXTENSION_REQUEST
        and user is not None
        and Action.EXTENSION_APPROVE in workflow.available_actions(user, issue)
    ):
        return reverse(
            "issue_action", kwargs={"number": issue.number, "action": Action.EXTENSION_APPROVE}
        )
    return reverse("issue_detail", args=[issue.number])


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at=None).update(read_at=timezone.now())


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at=None).count()


def preference_for(user) -> Preference:
    preference, _created = Preference.objects.get_or_create(
        user=user, defaults={"language": settings.LANGUAGE_CODE}
    )
    return preference


def preference_update(*, user, language: str, email_off: list[str]) -> Preference:
    preference = preference_for(user)
    preference.language = language
    preference.email_off = sorted(set(email_off) & set(Kind.values))
    preference.save(update_fields=["language", "email_off"])
    return preference


# -- what a notification says ------------------------------------------------------------------


def notification_text(notification: Notification) -> str:
    """One sentence in the current language (no query when actor is selected)."""
    actor = str(notification.actor) if notification.actor_id else _("系统")
    system = notification.actor is not None and notification.actor.username == SYSTEM_USERNAME
    kind = notification.kind
    data = notification.data or {}
    if kind == Kind.URGE and system:
        if notification.issue.is_long_term:  # no deadline to be late for: the cycle chase
            return _("长期坚持事项上一周期未报送进展，系统自动催办，请及时报送进展。")
        return _("该问题已逾期，系统自动催办，请抓紧办理。")
    if kind == Kind.ESCALATE and system:
        return _("该问题逾期仍未办结，系统已自动列为督办件。")
    if kind == Kind.DUE_SOON:
        return _("该问题将于%(deadline)s到期，请抓紧办理。") % {
            "deadline": _date(data.get("deadline"))
        }
    if kind == Kind.NOT_ACCEPTED:
        return _("该问题交办已超过%(days)s个工作日仍未签收，请尽快签收。") % {
            "days": data.get("days", "")
        }
    if kind == Kind.FEEDBACK:
        text = _("企业对办理结果不满意，请核实情况，必要时重办。")
        return f"{text}{data['note']}" if data.get("note") else text
    if kind == Kind.NOT_ASSIGNED:
        return _("该问题登记已超过%(days)s个工作日仍未交办，请尽快交办。") % {
            "days": data.get("days", "")
        }
    if kind == Kind.IMPORTED:
        return _(
            "%(count)s 件问题已交办给你单位（%(actor)s导入台账），请在台账中查看并及时签收。"
        ) % {"count": data.get("count", 1), "actor": actor}
    capacity = data.get("as")
    values = {
        "actor": actor,
        "deadline": _date(data.get("deadline")),
        "requested": _date(data.get("requested")),
        # the sentence ends the reason itself: no "。。"
        "reason": (data.get("reason") or "").rstrip("。.！!；;，, \n"),
    }
    if capacity == To.CO:
        # a co-department helps the lead department: it does not 签收, and hears of the
        # deadlines it works to and of the end of the work
        template = {
            Kind.ASSIGN: _("%(actor)s交办了该问题，你单位为配合单位，请配合牵头单位办理。"),
            Kind.REASSIGN: _("%(actor)s改派了该问题，你单位为配合单位，请配合牵头单位办理。"),
            Kind.EXTENSION_APPROVE: _(
                "%(actor)s批准了该问题延期，新的完成时限为%(deadline)s，请按新时限配合办理。"
            ),
            Kind.REOPEN: _(
                "%(actor)s要求重办该问题，新的完成时限为%(deadline)s，请继续配合牵头单位办理。"
            ),
            Kind.CLOSE: _("%(actor)s已对该问题销号，配合工作结束。"),
        }.get(kind)
        if template:
            return template % values
    if capacity == To.LEADER and kind in (Kind.ASSIGN, Kind.REASSIGN):
        return _("%(actor)s交办了该问题，由您担任责任领导，请督促牵头单位办理。") % values
    if capacity == To.RAISING and kind in (Kind.ASSIGN, Kind.REASSIGN):
        return _("%(actor)s已交办你单位登记的该问题。") % values
    if kind == Kind.EXTENSION_REQUEST and data.get("requested"):
        return _("%(actor)s申请延期至%(requested)s，理由：%(reason)s。请审批。") % values
    if kind == Kind.EXTENSION_APPROVE and data.get("deadline"):
        return _("%(actor)s批准了延期申请，新的完成时限为%(deadline)s。") % values
    if kind == Kind.REOPEN and data.get("deadline"):
        return _("%(actor)s要求重办该问题，新的完成时限为%(deadline)s。") % values
    template = {
        Kind.RAISE: _("%(actor)s登记了新问题，请及时交办。"),
        Kind.ASSIGN: _("%(actor)s交办了该问题，请牵头单位及时签收办理。"),
        Kind.REASSIGN: _("%(actor)s改派了该问题。"),
        Kind.ACCEPT: _("%(actor)s已签收该问题。"),
        Kind.RETURN: _("%(actor)s退回了该问题，请重新交办。"),
        Kind.EXTENSION_REQUEST: _("%(actor)s申请延期，请审批。"),
        Kind.EXTENSION_APPROVE: _("%(actor)s批准了延期申请。"),
        Kind.EXTENSION_REJECT: _("%(actor)s驳回了延期申请。"),
        Kind.RESOLVE: _("%(actor)s已办结该问题，请审核销号。"),
        Kind.CLOSE: _("%(actor)s已对该问题销号。"),
        Kind.REOPEN: _("%(actor)s要求重办该问题。"),
        Kind.WITHDRAW: _("%(actor)s撤销了该问题。"),
        Kind.URGE: _("%(actor)s催办该问题，请抓紧办理。"),
        Kind.ESCALATE: _("%(actor)s将该问题列为督办件。"),
    }.get(kind)
    if template is None:
        return Kind(kind).label if kind in Kind.values else kind
    return template % values


def _date(value) -> str:
    if not value:
        return ""
    try:
        return date_format(datetime.date.fromisoformat(value), "DATE_FORMAT")
    except (TypeError, ValueError):
        return str(value)
