"""What a notification says and where it leads, in the current language: read by the bell's
views (through services) and by the e-mail task, so neither needs the other."""

import datetime

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from ledger import workflow
from ledger.states import Action

from .models import Kind, Notification, Preference
from .recipients import SYSTEM_USERNAME, To


def preference_of(user) -> Preference:
    """`user`'s notification preference, or the defaults when they never saved one."""
    try:
        return user.notify_preference
    except Preference.DoesNotExist:
        return Preference(user=user)


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
