"""交办: the office names the responsible leader, the lead department and the deadline."""

from django.utils.translation import gettext as _

from ledger.models import Department, IssueDeadline, Leader
from ledger.models.issues import SINGLE_LINE_FIELDS
from ledger.services import single_line
from ledger.states import Action, Party

from .core import (
    UNSET,
    ActionSpec,
    TransitionRefused,
    _check_deadline,
    _deadline_record,
    _require,
    _set_co_departments,
    declare,
)


def apply(
    change,
    *,
    actor,
    note,
    today,
    at,
    leader=UNSET,
    lead_department=UNSET,
    co_departments=UNSET,
    deadline=None,
    is_long_term=False,
    measures=None,
    responsible_person=None,
):
    """The input: leader and lead department (required), co-departments (left out: the
    current ones stay, less the lead department), a deadline or 长期坚持, and the measures and
    responsible person when given."""
    return assignment_set(
        change,
        actor=actor,
        today=today,
        at=at,
        leader=leader,
        lead_department=lead_department,
        co_departments=co_departments,
        deadline=deadline,
        is_long_term=is_long_term,
        measures=measures,
        responsible_person=responsible_person,
        reason=IssueDeadline.Reason.ASSIGNED,
    )


def assignment_set(
    change,
    *,
    actor,
    today,
    at,
    leader,
    lead_department,
    co_departments,
    deadline,
    is_long_term,
    measures,
    responsible_person,
    reason,
):
    """What 交办 and 改派 both set; `reason` is the deadline record's (assigned, reassigned)."""
    issue = change.issue
    leader = _require(leader, "leader", _("请选择责任领导。"))
    lead = _require(lead_department, "lead_department", _("请选择牵头单位。"))
    # 长期坚持 instead of a deadline: progress on a cycle, no date to fall due on
    long_term = bool(is_long_term)
    deadline = None if long_term else deadline
    if not long_term:
        _check_deadline(deadline, today)
    if not isinstance(leader, Leader) or not leader.is_active:
        raise TransitionRefused(
            _("所选责任领导无效。"), field_errors={"leader": _("所选责任领导无效。")}
        )
    if not isinstance(lead, Department) or not lead.is_active:
        raise TransitionRefused(
            _("所选牵头单位无效。"), field_errors={"lead_department": _("所选牵头单位无效。")}
        )
    previous = issue.deadline
    change.set("leader", leader)
    change.set("lead_department", lead)
    for name, value in (("measures", measures), ("responsible_person", responsible_person)):
        if value is not None:
            clean = single_line if name in SINGLE_LINE_FIELDS else str.strip
            change.set(name, clean(value))
    callbacks = []
    # without a new list the current co-departments stay, less the (new) lead department
    if co_departments is UNSET:
        co_departments = issue.co_departments.all()
    callback = _set_co_departments(change, co_departments)
    if callback:
        callbacks.append(callback)
    change.set("is_long_term", long_term)
    if long_term:
        change.set("deadline", None)
    elif deadline != previous or reason == IssueDeadline.Reason.ASSIGNED:
        change.set("deadline", deadline)
        callbacks.append(
            _deadline_record(
                issue, deadline=deadline, previous=previous, reason=reason, actor=actor, at=at
            )
        )
    change.set("assigned_at", at)
    change.set("accepted_at", None)
    return callbacks


SPEC = declare(
    ActionSpec(
        Action.ASSIGN,
        apply,
        concerns=frozenset({Party.LEAD, Party.CO, Party.LEADER, Party.RAISING}),
    )
)
