"""events_checkpoint seals every head; events_verify holds the ledger to the seal."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from ledger import workflow
from ledger.events import signature_ok
from ledger.integrity.models import Checkpoint, IssueHead
from ledger.models import IssueEvent
from tests.integrity.conftest import checkpoint, findings, verify
from tests.integrity.tampering import EVENTS, issue_delete, raw
from tests.integrity.test_tampering import _unkeyed


def refused(*args) -> str:
    err = io.StringIO()
    with translation.override("zh-hans"), pytest.raises(CommandError) as failed:
        call_command("events_checkpoint", *args, stdout=io.StringIO(), stderr=err)
    return str(failed.value) + err.getvalue()


def test_a_checkpoint_seals_every_head_and_is_signed(world, full):
    other = world.assigned_issue()
    out = checkpoint()
    assert "检查点 #1" in out and "2 个问题、8 条办理记录" in out
    sealed = IssueHead.objects.order_by("issue_id").values_list("sealed_seq", flat=True)
    assert list(sealed) == [6, 2]
    first = Checkpoint.objects.get()
    assert (first.number, first.issues, first.events, first.previous_mac) == (1, 2, 8, "")
    workflow.transition(other, actor=world.staff_b, action="accept")
    assert "检查点 #1" in verify()
    checkpoint()
    second = Checkpoint.objects.get(number=2)
    assert second.previous_mac == first.mac and second.events == 9


def test_the_file_keeps_the_checkpoint_off_the_database(world, full, tmp_path):
    path = tmp_path / "checkpoints.jsonl"
    checkpoint("--file", str(path))
    checkpoint("--file", str(path))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    kept = json.loads(lines[-1])
    mac = kept.pop("mac")
    assert kept["number"] == 2 and signature_ok(kept["key_id"], kept, mac)
    verify("--checkpoint-file", str(path))
    # the database restored to a copy from before checkpoint 2 (or its row deleted)
    Checkpoint.objects.filter(number=2).delete()
    verify("--checkpoint-dir", str(tmp_path / "none"))  # the database alone cannot tell
    err = findings("--checkpoint-file", str(path))
    assert "检查点文件中的检查点 #2 在数据库中缺失" in err
    # nor can it hide from the files events_checkpoint writes to EVENTS_CHECKPOINT_DIR
    assert "checkpoint-000002.jsonl 记载的检查点 #2 在数据库中缺失" in findings()


def test_a_deleted_earlier_checkpoint_and_a_forged_one_are_found(world, full):
    checkpoint()
    checkpoint()
    Checkpoint.objects.filter(number=1).delete()
    assert "检查点 #1–#1 缺失" in findings()
    Checkpoint.objects.filter(number=2).update(events=99)
    assert "检查点 #2 的签名无效" in findings()


def test_a_tampered_ledger_is_not_sealed(world, full):
    raw(f"UPDATE {EVENTS} SET note = %s WHERE issue_id = %s AND seq = 2", ["改", full.pk])
    message = refused()
    assert "未写入检查点" in message and f"{full.number} #2" in message
    assert not Checkpoint.objects.exists()
    assert IssueHead.objects.get(issue_id=full.pk).sealed_seq is None


def test_gaps_are_sealed_only_when_accepted(world, full):
    gone = world.assigned_issue()
    world.raise_issue()
    issue_delete(gone)
    IssueHead.objects.filter(issue_id=gone.pk).delete()
    assert "编号缺失" in refused()
    checkpoint("--accept-gaps")
    assert Checkpoint.objects.get().known_gaps == {str(gone.year): [gone.seq]}
    verify()
    checkpoint()  # accepted gaps stay accepted
    verify()
    newer = world.raise_issue()
    world.raise_issue()
    issue_delete(newer)
    IssueHead.objects.filter(issue_id=newer.pk).delete()
    err = findings()
    assert f"编号缺失：{newer.seq}（" in err


def test_history_from_before_keys_verifies_and_is_adopted_by_the_first_checkpoint(world, full):
    """Events written before EVENTS_KEY existed carry an unkeyed SHA-256 and no head."""
    previous = ""
    for event in full.events.order_by("seq"):
        event.key_id = ""
        digest = _unkeyed(event, previous)
        raw(f"UPDATE {EVENTS} SET key_id = '', digest = %s WHERE id = %s", [digest, event.pk])
        previous = digest
    raw("UPDATE ledger_attachment SET sha256 = '' WHERE issue_id = %s", [full.pk])
    IssueHead.objects.all().delete()
    out = verify("--files")
    assert "尚无检查点" in out
    assert "新纳入 1 个问题" in checkpoint()
    head = IssueHead.objects.get(issue_id=full.pk)
    assert (head.seq, head.sealed_seq) == (6, 6)
    verify()
    # from now on the unkeyed chain is anchored: recomputing it no longer goes unnoticed
    previous = ""
    for event in full.events.order_by("seq"):
        if event.seq == 3:
            event.note = "补写"
        digest = _unkeyed(event, previous)
        raw(
            f"UPDATE {EVENTS} SET note = %s, digest = %s WHERE id = %s",
            [event.note, digest, event.pk],
        )
        previous = digest
    err = findings()
    assert "与链头不符" in err and "检查点封存的记录 #6" in err


def test_a_head_deleted_after_the_first_checkpoint_is_found(world, full):
    checkpoint()
    later = world.raise_issue()
    IssueHead.objects.filter(issue_id=later.pk).delete()
    assert f"{later.number}：缺少链头" in findings()


def test_an_issue_written_behind_the_head_is_found(world, full):
    """An event inserted with the key but without the application (no head update)."""
    last = full.events.order_by("-seq").first()
    forged = IssueEvent(
        issue=full,
        seq=last.seq + 1,
        actor=world.supervisor,
        action="comment",
        from_status=full.status,
        to_status=full.status,
        key_id=last.key_id,
        created_at=last.created_at,
    )
    forged.digest = forged.compute_digest(last.digest, number=full.number)
    forged.save()
    raw("UPDATE ledger_issue SET version = version + 1 WHERE id = %s", [full.pk])
    assert f"{full.number}：#6 之后的办理记录不是由系统写入的" in findings()
