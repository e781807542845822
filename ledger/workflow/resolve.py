"""办结: the lead department reports the issue solved, with the resolution."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ledger.models import Issue
from ledger.states import Action, Party

from .core import ActionSpec, TransitionRefused, _cancel_pending_extension, declare


def apply(change, *, actor, note, today, at, resolution=None):
    resolution = (resolution or "").strip()
    if not resolution:
        raise TransitionRefused(
            _("请填写办结情况。"), field_errors={"resolution": _("办结须填写办结情况。")}
        )
    change.set("resolution", resolution)
    change.set("resolved_at", at)
    # a long-term item has no deadline to be on time for: neither on time nor late
    deadline = change.issue.deadline
    change.set("resolved_on_time", None if deadline is None else today <= deadline)
    change.set("progress", Issue.Progress.DONE)
    return _cancel_pending_extension(change.issue, actor, at, gettext_noop("问题已办结"))


SPEC = declare(
    ActionSpec(
        Action.RESOLVE,
        apply,
        concerns=frozenset({Party.OVERSIGHT, Party.LEADER, Party.RAISING}),
    )
)
