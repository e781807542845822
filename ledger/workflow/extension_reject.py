"""驳回延期: the pending request is refused, with a reason; the deadline stays."""

from ledger.models import ExtensionRequest
from ledger.states import Action, Party

from .core import ActionSpec, declare
from .extension_approve import precondition


def apply(change, *, actor, note, today, at):
    pending = change.pending_extension  # the precondition saw that there is one
    change.fields["extension_rejected"] = [pending.requested_deadline.isoformat(), ""]

    def save():
        pending.state = ExtensionRequest.State.REJECTED
        pending.decided_by, pending.decided_at, pending.decision_note = actor, at, note
        pending.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])

    return [save]


SPEC = declare(
    ActionSpec(
        Action.EXTENSION_REJECT,
        apply,
        concerns=frozenset({Party.LEAD}),
        # the same as approving: there must be a request pending
        precondition=precondition,
        reads_pending_extension=True,
    )
)
