"""申请延期: the lead department asks for a later deadline, before the one in force passes."""

import datetime

from django.utils.translation import gettext as _

from ledger.models import ExtensionRequest
from ledger.states import Action, Party

from .core import ActionSpec, TransitionRefused, _check_horizon, declare


def precondition(issue, *, extension_pending, today):
    if issue.is_long_term:
        return _("长期坚持事项没有完成时限，无需申请延期；请按周期报送进展。")
    if extension_pending:
        return _("该问题已有一项待审批的延期申请。")
    if issue.deadline is not None and issue.deadline < today:
        return _("延期须在完成时限（%(deadline)s）之前申请，该问题已逾期。") % {
            "deadline": issue.deadline.isoformat()
        }
    return None


def apply(change, *, actor, note, today, at, new_deadline=None):
    issue = change.issue
    if not isinstance(new_deadline, datetime.date):
        raise TransitionRefused(
            _("请填写申请延至的日期。"), field_errors={"new_deadline": _("此项为必填项。")}
        )
    # overdue and already pending are refused by the precondition
    _check_horizon(new_deadline, today, "new_deadline")
    if new_deadline <= issue.deadline:
        message = _("申请延至的日期须晚于当前时限（%(deadline)s）。") % {
            "deadline": issue.deadline.isoformat()
        }
        raise TransitionRefused(message, field_errors={"new_deadline": message})
    change.fields["extension_requested"] = ["", new_deadline.isoformat()]
    return [
        lambda: ExtensionRequest.objects.create(
            issue=issue,
            requested_by=actor,
            requested_at=at,
            current_deadline=issue.deadline,
            requested_deadline=new_deadline,
            reason=note,
        )
    ]


SPEC = declare(
    ActionSpec(
        Action.EXTENSION_REQUEST,
        apply,
        # whoever may decide it (ledger.direct_issue): the responsible leader and the office
        concerns=frozenset({Party.LEADER, Party.OVERSIGHT}),
        precondition=precondition,
        reads_pending_extension=True,
    )
)
