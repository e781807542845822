"""督办: the issue becomes a supervised item (once)."""

from django.utils.translation import gettext as _

from ledger.states import Action, Party

from .core import ActionSpec, declare


def precondition(issue, *, extension_pending, today):
    if issue.is_escalated:
        return _("该问题已是督办件。")
    return None


def apply(change, *, actor, note, today, at):
    change.set("is_escalated", True)


SPEC = declare(
    ActionSpec(
        Action.ESCALATE,
        apply,
        # the office hears of every 督办, also the automatic ones the system writes
        concerns=frozenset({Party.LEAD, Party.LEADER, Party.OVERSIGHT}),
        precondition=precondition,
    )
)
