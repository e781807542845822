"""The per-issue head written with every event, and checkpoints.

A head is written by heads_write() in the transaction that writes the event (the core sends
ledger.signals.issue_event_written); a checkpoint seals every head (events_checkpoint).
verify.py checks events, issues, heads, checkpoints and files against each other.
"""

import hashlib
import json

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ledger import events
from ledger.models import Issue
from ledger.models.issues import STATE_FIELDS, issue_state

from .models import Checkpoint, IssueHead


def issue_state_of(issue: Issue) -> str:
    return issue_state({name: getattr(issue, name) for name in STATE_FIELDS})


def head_payload(head: IssueHead) -> list:
    return events.head_payload(
        head.issue_id, head.number, head.seq, head.digest, head.state, head.key_id
    )


def head_build(*, issue_id, number, seq, digest, state) -> IssueHead:
    head = IssueHead(
        issue_id=issue_id,
        number=number,
        seq=seq,
        digest=digest,
        state=state,
        key_id=settings.EVENTS_KEY_ID,
        written_at=timezone.now(),
    )
    head.mac = events.sign(head.key_id, head_payload(head))
    return head


def head_for(issue: Issue, *, seq: int, digest: str) -> IssueHead:
    return head_build(
        issue_id=issue.pk,
        number=issue.number,
        seq=seq,
        digest=digest,
        state=issue_state_of(issue),
    )


HEAD_UPDATE_FIELDS = ["number", "seq", "digest", "state", "key_id", "mac", "written_at"]


def heads_upsert(heads: list[IssueHead]) -> None:
    """One INSERT … ON CONFLICT DO UPDATE (both databases); the sealed columns stay."""
    IssueHead.objects.bulk_create(
        heads,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["issue_id"],
        update_fields=HEAD_UPDATE_FIELDS,
    )


def heads_write(sender, *, events, **kwargs) -> None:
    """Receiver of issue_event_written: the head of each issue becomes its newest event."""
    latest = {}
    for event in events:
        if event.issue_id not in latest or event.seq > latest[event.issue_id].seq:
            latest[event.issue_id] = event
    heads_upsert(
        [head_for(event.issue, seq=event.seq, digest=event.digest) for event in latest.values()]
    )


# -- checkpoints --------------------------------------------------------------------------


def checkpoint_payload(checkpoint: Checkpoint) -> dict:
    return {
        "number": checkpoint.number,
        "created_at": events.plain(checkpoint.created_at),
        "issues": checkpoint.issues,
        "events": checkpoint.events,
        "root": checkpoint.root,
        "known_gaps": checkpoint.known_gaps,
        "previous_mac": checkpoint.previous_mac,
        "key_id": checkpoint.key_id,
    }


class SealedRoot:
    """Accumulates the root over heads' sealed (seq, digest), in issue_id order."""

    def __init__(self):
        self.hash = hashlib.sha256()
        self.issues = 0
        self.events = 0

    def add(self, issue_id, number, sealed_seq, sealed_digest) -> None:
        if sealed_seq is None:
            return
        self.hash.update(f"{issue_id}:{number}:{sealed_seq}:{sealed_digest}\n".encode())
        self.issues += 1
        self.events += sealed_seq

    @property
    def root(self) -> str:
        return self.hash.hexdigest()


def checkpoint_seal(*, adopt=(), known_gaps: dict | None = None) -> Checkpoint:
    """Adopt issues that have no head yet (history from before heads; `adopt` holds the
    head_build() keyword dicts the verification made of them), seal every head and write the
    next signed checkpoint, in one transaction."""
    with transaction.atomic():
        # a head written meanwhile by a new event is newer: keep it
        IssueHead.objects.bulk_create(
            [head_build(**values) for values in adopt], batch_size=500, ignore_conflicts=True
        )
        IssueHead.objects.update(sealed_seq=F("seq"), sealed_digest=F("digest"))
        root = SealedRoot()
        for row in (
            IssueHead.objects.order_by("issue_id")
            .values_list("issue_id", "number", "sealed_seq", "sealed_digest")
            .iterator(chunk_size=5000)
        ):
            root.add(*row)
        previous = Checkpoint.objects.order_by("-number").first()
        checkpoint = Checkpoint(
            number=(previous.number + 1) if previous else 1,
            created_at=timezone.now(),
            issues=root.issues,
            events=root.events,
            root=root.root,
            known_gaps=known_gaps or {},
            previous_mac=previous.mac if previous else "",
            key_id=settings.EVENTS_KEY_ID,
        )
        checkpoint.mac = events.sign(checkpoint.key_id, checkpoint_payload(checkpoint))
        checkpoint.save()
    return checkpoint


def checkpoint_line(checkpoint: Checkpoint) -> str:
    """The checkpoint as one JSON line for the file kept off the database host."""
    return json.dumps(
        {**checkpoint_payload(checkpoint), "mac": checkpoint.mac},
        ensure_ascii=False,
        sort_keys=True,
    )
