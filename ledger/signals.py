"""Signals the core sends so that the rooms (notify, oversight …) can listen without the
core importing them. Sent only after the transaction that wrote the event commits."""

from django.dispatch import Signal

# sent with `event_id` (an IssueEvent pk) once the event's transaction has committed
issue_event_committed = Signal()
