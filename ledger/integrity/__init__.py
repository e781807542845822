"""Integrity of the event history: signed per-issue heads, signed checkpoints over all heads,
and the commands that write them (events_checkpoint) and check everything (events_verify)."""
