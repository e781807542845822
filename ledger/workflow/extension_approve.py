"""批准延期: to the requested date, or to another the approver grants."""

from django.utils.translation import gettext as _

from ledger.models import ExtensionRequest, IssueDeadline
from ledger.states import Action, Party

from .core import ActionSpec, TransitionRefused, _check_deadline, _check_horizon, declare


def precondition(issue, *, extension_pending, today):
    if not extension_pending:
        return _("该问题没有待审批的延期申请，可能已由他人处理。")
    return None


def apply(change, *, actor, note, today, at, granted_deadline=None):
    """To the requested date, or to `granted_deadline` when the approver grants another one
    (not before today, later than the deadline in force); the event records the date asked
    for next to the one granted."""
    issue = change.issue
    pending = change.pending_extension  # the precondition saw that there is one
    previous = issue.deadline
    granted = granted_deadline or pending.requested_deadline
    _check_horizon(granted, today, "granted_deadline")
    if granted != pending.requested_deadline:
        _check_deadline(granted, today, "granted_deadline")
        if previous is not None and granted <= previous:
            message = _("批准的日期须晚于当前时限（%(deadline)s）。") % {
                "deadline": previous.isoformat()
            }
            raise TransitionRefused(message, field_errors={"granted_deadline": message})
        change.fields["extension_granted"] = [
            pending.requested_deadline.isoformat(),
            granted.isoformat(),
        ]
    change.set("deadline", granted)

    def save():
        pending.state = ExtensionRequest.State.APPROVED
        pending.decided_by, pending.decided_at, pending.decision_note = actor, at, note
        pending.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        IssueDeadline.objects.create(
            issue=issue,
            deadline=granted,
            previous=previous,
            reason=IssueDeadline.Reason.EXTENDED,
            set_by=actor,
            set_at=at,
        )

    return [save]


SPEC = declare(
    ActionSpec(
        Action.EXTENSION_APPROVE,
        apply,
        # the co-departments work to the deadline too: they hear the new one
        concerns=frozenset({Party.LEAD, Party.CO}),
        precondition=precondition,
        reads_pending_extension=True,
    )
)
