"""签收: the lead department takes the issue on."""

from ledger.states import Action, Party

from .core import ActionSpec, declare


def apply(change, *, actor, note, today, at):
    change.set("accepted_at", at)


SPEC = declare(
    ActionSpec(Action.ACCEPT, apply, concerns=frozenset({Party.OVERSIGHT, Party.RAISING}))
)
