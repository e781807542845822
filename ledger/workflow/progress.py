"""进展反馈: the lead department reports how far it has come (on the issue page, told nobody)."""

from django.utils.translation import gettext as _

from ledger.models import Issue
from ledger.states import Action

from .core import ActionSpec, TransitionRefused, declare


def apply(change, *, actor, note, today, at, progress=None, measures=None):
    if progress not in Issue.Progress.values:
        raise TransitionRefused(
            _("请选择进展情况。"), field_errors={"progress": _("请选择进展情况。")}
        )
    change.set("progress", progress)
    change.set("progress_note", note)
    if measures:
        change.set("measures", measures.strip())


SPEC = declare(ActionSpec(Action.PROGRESS, apply))
