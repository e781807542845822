"""催办: the office (or the reminders) press the lead department; the count is kept."""

from ledger.states import Action, Party

from .core import ActionSpec, declare


def apply(change, *, actor, note, today, at):
    change.set("urge_count", change.issue.urge_count + 1)
    change.set("last_urged_at", at)


SPEC = declare(ActionSpec(Action.URGE, apply, concerns=frozenset({Party.LEAD, Party.LEADER})))
