"""The workflow as data: statuses, actions, and the table of what may follow what.

This module is deliberately free of database code so that people can read it
as the rulebook. Who may perform an action is decided by the
permission named in each row (see rules.py); from which status it may be taken
and to which status it leads is decided here. The package ledger.workflow applies
the rows: one module per action, each bound to its row by its `Action` (the rows
stay here as data, not in those modules, because the models read this module for
their choices and the action modules import the models; a registry in the package
checks at import that every row has exactly one module and every module a row).
"""

from dataclasses import dataclass
from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Status(models.TextChoices):
    RAISED = "raised", _("待交办")
    ASSIGNED = "assigned", _("已交办")
    IN_PROGRESS = "in_progress", _("办理中")
    RESOLVED = "resolved", _("已办结（待销号）")
    CLOSED = "closed", _("已销号")
    WITHDRAWN = "withdrawn", _("已撤销")


OPEN_STATUSES = frozenset({Status.RAISED, Status.ASSIGNED, Status.IN_PROGRESS})
# statuses in which a deadline is running for the lead department
RUNNING_STATUSES = frozenset({Status.ASSIGNED, Status.IN_PROGRESS})
FINAL_STATUSES = frozenset({Status.CLOSED, Status.WITHDRAWN})
ALL_STATUSES = frozenset(Status)


class Action(models.TextChoices):
    RAISE = "raise", pgettext_lazy("action", "登记")
    EDIT = "edit", pgettext_lazy("action", "修改")
    ASSIGN = "assign", pgettext_lazy("action", "交办")
    ACCEPT = "accept", pgettext_lazy("action", "签收")
    RETURN = "return", pgettext_lazy("action", "退回")
    REASSIGN = "reassign", pgettext_lazy("action", "改派")
    PROGRESS = "progress", pgettext_lazy("action", "进展反馈")
    EXTENSION_REQUEST = "extension_request", pgettext_lazy("action", "申请延期")
    EXTENSION_APPROVE = "extension_approve", pgettext_lazy("action", "批准延期")
    EXTENSION_REJECT = "extension_reject", pgettext_lazy("action", "驳回延期")
    RESOLVE = "resolve", pgettext_lazy("action", "办结")
    CLOSE = "close", pgettext_lazy("action", "销号")
    REOPEN = "reopen", pgettext_lazy("action", "重办")
    WITHDRAW = "withdraw", pgettext_lazy("action", "撤销")
    URGE = "urge", pgettext_lazy("action", "催办")
    ESCALATE = "escalate", pgettext_lazy("action", "督办")
    COMMENT = "comment", pgettext_lazy("action", "备注")
    # the enterprise's own rating of a resolved issue (not a user action: recorded through
    # workflow.feedback_record by the enterprise's link, ledger.service.feedback)
    FEEDBACK = "feedback", pgettext_lazy("action", "回访")
    # a spreadsheet import moving a matched issue's status on (ledger.exchange, through
    # workflow.issues_import): the sheet is history the system had not heard of
    IMPORT_CORRECT = "import_correct", pgettext_lazy("action", "导入更正")


class Party(StrEnum):
    """Whom an action concerns: the groups of people ledger.notify tells about it."""

    OVERSIGHT = "oversight"  # 督查室: every active supervisor
    LEAD = "lead"  # staff of the lead department (牵头单位)
    CO = "co"  # staff of the co-handling departments (配合单位)
    LEADER = "leader"  # the responsible leader (责任领导)
    RAISING = "raising"  # staff of the raising department (登记单位) and who logged it


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset  # statuses the action may be taken from
    target: Status | None  # None: the status does not change (see `moves`)
    permission: str | None  # rules permission checked against (user, issue); None: see below
    needs_note: bool = False  # a reason / note is required
    # the (from, to) status moves of an action whose target depends on its input; empty for
    # the rows whose target is fixed (or None)
    moves: frozenset = frozenset()

    def allows(self, source: str, target: str) -> bool:
        """Whether the row may move an issue from `source` to `target` (equal: no move)."""
        if source not in self.sources:
            return False
        if source == target:
            return True
        if self.moves:
            return (source, target) in self.moves
        return self.target is not None and target == self.target


RAISED, ASSIGNED, IN_PROGRESS = Status.RAISED, Status.ASSIGNED, Status.IN_PROGRESS
RESOLVED, CLOSED, WITHDRAWN = Status.RESOLVED, Status.CLOSED, Status.WITHDRAWN

# action: (from statuses, to status, permission, note required)
TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in [
        # staff (or the office) correct a logged issue before it is assigned; EDIT never
        # changes the status (a sheet that does is an IMPORT_CORRECT, below)
        Transition(Action.EDIT, frozenset({RAISED}), None, "ledger.edit_issue"),
        # 交办: leader + lead department + deadline
        Transition(Action.ASSIGN, frozenset({RAISED}), ASSIGNED, "ledger.assign_issue"),
        # 签收 by the lead department
        Transition(Action.ACCEPT, frozenset({ASSIGNED}), IN_PROGRESS, "ledger.handle_issue"),
        # 退回: not our remit; back to the office that assigns, with a reason
        Transition(Action.RETURN, frozenset({ASSIGNED}), RAISED, "ledger.handle_issue", True),
        # 改派: a new lead department (and leader or deadline) must accept again
        Transition(
            Action.REASSIGN, frozenset({ASSIGNED, IN_PROGRESS}), ASSIGNED, "ledger.direct_issue"
        ),
        Transition(Action.PROGRESS, frozenset({IN_PROGRESS}), None, "ledger.handle_issue", True),
        Transition(
            Action.EXTENSION_REQUEST,
            frozenset({ASSIGNED, IN_PROGRESS}),
            None,
            "ledger.handle_issue",
            True,
        ),
        Transition(
            Action.EXTENSION_APPROVE,
            frozenset({ASSIGNED, IN_PROGRESS}),
            None,
            "ledger.direct_issue",
        ),
        Transition(
            Action.EXTENSION_REJECT,
            frozenset({ASSIGNED, IN_PROGRESS}),
            None,
            "ledger.direct_issue",
            True,
        ),
        # 办结: resolution text required
        Transition(Action.RESOLVE, frozenset({IN_PROGRESS}), RESOLVED, "ledger.handle_issue"),
        # 销号: verified, with the enterprise's satisfaction
        Transition(Action.CLOSE, frozenset({RESOLVED}), CLOSED, "ledger.direct_issue"),
        # 重办: with a reason and a new deadline
        Transition(
            Action.REOPEN, frozenset({RESOLVED, CLOSED}), IN_PROGRESS, "ledger.direct_issue", True
        ),
        # 撤销: duplicates or invalid entries, by the oversight office; the raising
        # department may withdraw its own issue while it is still 待交办 (rules.py)
        Transition(
            Action.WITHDRAW, frozenset({RAISED, ASSIGNED}), WITHDRAWN, "ledger.withdraw_issue", True
        ),
        Transition(Action.URGE, frozenset({ASSIGNED, IN_PROGRESS}), None, "ledger.oversee_issue"),
        Transition(
            Action.ESCALATE, frozenset({ASSIGNED, IN_PROGRESS}), None, "ledger.oversee_issue", True
        ),
        Transition(Action.COMMENT, ALL_STATUSES, None, "ledger.comment_issue", True),
    ]
}

# the status order of an issue's life, for the import: a sheet may move an issue forward only
STATUS_RANK = {RAISED: 0, ASSIGNED: 1, IN_PROGRESS: 2, RESOLVED: 3, CLOSED: 4}

# Rows no one is offered as a button: each is recorded through its own door in ledger.workflow,
# whose caller has already decided who may (permission None: the door checks it).
SYSTEM_TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in [
        # 回访: the enterprise rates a resolved issue through its link (ledger.service.feedback);
        # the status does not change, 销号 still records the office's satisfaction
        Transition(Action.FEEDBACK, frozenset({RESOLVED}), None, None, True),
        # 导入更正: a sheet (checked ledger.import_ledger) corrects a matched issue's fields in
        # any status, and may move it forward or withdraw one not yet being handled; never back
        # (the system is newer than the sheet)
        Transition(
            Action.IMPORT_CORRECT,
            ALL_STATUSES,
            None,
            None,
            moves=frozenset(
                {
                    (a, b)
                    for a in STATUS_RANK
                    for b in STATUS_RANK
                    if STATUS_RANK[a] < STATUS_RANK[b]
                }
                | {(RAISED, WITHDRAWN), (ASSIGNED, WITHDRAWN)}
            ),
        ),
    ]
}

# every row: what people are offered and what the system's own doors record
RULEBOOK: dict[Action, Transition] = {**TRANSITIONS, **SYSTEM_TRANSITIONS}
