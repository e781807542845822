"""Signals the core sends so that the rooms (notify, oversight …) can listen without the
core importing them. Sent only after the transaction that wrote the event commits."""

from django.dispatch import Signal

# sent with `event_id` (an IssueEvent pk) once the event's transaction has committed
issue_event_committed = Signal()

# sent with `events` (a list of IssueEvent, each with its `issue` instance as just saved)
# INSIDE the transaction that wrote them, synchronously: a receiver's writes (ledger.integrity
# keeps each issue's signed head) commit or roll back with the events
issue_event_written = Signal()

# sent with `issue_ids` (the issues an import created) and `actor_id` once the import's
# transaction has committed: ledger.notify tells each lead department of those imported as
# 已交办, once, as a digest
issues_imported = Signal()

# sent with `issue_count` after a bulk load that bypassed the workflow (the scale room's
# seed_bench COPYs issues and events directly): every room that keeps figures derived from
# the events (ledger.oversight's day facts) rebuilds them. The core's own summary rows are
# rebuilt by the loader itself (ledger.summaries.rebuild).
issues_bulk_loaded = Signal()
