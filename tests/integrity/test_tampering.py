"""Each tampering case of issue 10 item 3, done with raw SQL, is found by events_verify."""

import datetime
import hashlib
import hmac
import json

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from ledger import workflow
from ledger.integrity.models import Checkpoint, IssueHead
from ledger.models import Attachment, Issue, IssueEvent, LedgerCounter
from tests.integrity.conftest import checkpoint, findings, verify
from tests.integrity.tampering import EVENTS, issue_delete, raw

ISSUES = Issue._meta.db_table


def event_of(issue, seq) -> IssueEvent:
    return issue.events.get(seq=seq)


def test_the_untouched_ledger_verifies(world, full):
    world.assigned_issue()
    out = verify("--files")
    assert out.startswith("OK") and "2 个问题" in out and "8 条办理记录" in out
    assert "1 个文件" in out


def test_every_event_is_keyed_and_every_issue_has_a_signed_head(world, full):
    assert set(IssueEvent.objects.values_list("key_id", flat=True)) == {settings.EVENTS_KEY_ID}
    head = IssueHead.objects.get(issue_id=full.pk)
    last = full.events.order_by("-seq").first()
    assert (head.seq, head.digest, head.number) == (last.seq, last.digest, full.number)


# -- 1. actor_department_id ---------------------------------------------------------------


def test_a_changed_actor_department_is_found(world, full):
    event = event_of(full, 3)  # the assignment, by the oversight office
    raw(f"UPDATE {EVENTS} SET actor_department_id = %s WHERE id = %s", [world.dept_c.pk, event.pk])
    err = findings()
    assert f"{full.number} #3" in err and "校验值不符" in err


# -- 2. the last event deleted and the version lowered --------------------------------------


def test_a_deleted_last_event_with_the_version_lowered_is_found(world, full):
    last = full.events.order_by("-seq").first()
    raw(f"DELETE FROM {EVENTS} WHERE id = %s", [last.pk])
    raw(
        f"UPDATE {ISSUES} SET version = version - 1, status = %s, resolution = '' WHERE id = %s",
        [last.from_status, full.pk],
    )
    err = findings()
    assert f"{full.number}：链头为 #{last.seq}" in err and "已被删除" in err


# -- 3. a whole issue deleted with its events -------------------------------------------------


def test_a_deleted_issue_leaves_a_gap_in_the_ledger_numbers(world, full):
    second = world.assigned_issue()
    world.raise_issue()
    issue_delete(second)
    IssueHead.objects.filter(issue_id=second.pk).delete()  # the head too
    err = findings()
    assert f"{second.year} 年的编号缺失：{second.seq}" in err


def test_a_deleted_issue_whose_head_remains_is_named(world, full):
    issue_delete(full)
    err = findings()
    assert f"{full.number}：问题已不存在" in err


def test_the_last_issue_deleted_with_its_head_and_counter_is_found_by_the_checkpoint(world, full):
    later = world.assigned_issue()
    checkpoint()
    issue_delete(later)
    IssueHead.objects.filter(issue_id=later.pk).delete()
    LedgerCounter.objects.filter(year=later.year).update(last=later.seq - 1)  # no gap left
    err = findings()
    assert "检查点 #1" in err and "与现存链头不符" in err


def test_events_truncated_after_a_checkpoint_are_found(world, full):
    checkpoint()
    raw(f"DELETE FROM {EVENTS} WHERE issue_id = %s AND seq > 5", [full.pk])
    raw(
        f"UPDATE {ISSUES} SET version = 5, status = 'in_progress', resolution = '' WHERE id = %s",
        [full.pk],
    )
    # the head replaced by a forged one is refused by its signature; the sealed seq stays
    IssueHead.objects.filter(issue_id=full.pk).update(seq=5, digest=event_of(full, 5).digest)
    err = findings()
    assert f"{full.number}：链头签名无效" in err
    assert f"{full.number}：检查点封存的记录 #6 已不存在" in err


# -- 4. issue fields no event explains ------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "label"),
    [
        ("deadline", "2031-01-31", "完成时限"),
        ("title", "另一个标题", "问题标题"),
        ("measures", "什么也不做。", "整改措施"),
        ("resolution", "没有办结。", "办结情况"),
    ],
)
def test_a_field_changed_without_an_event_is_named(world, full, column, value, label):
    raw(f"UPDATE {ISSUES} SET {column} = %s WHERE id = %s", [value, full.pk])
    err = findings()
    assert f"{full.number}：“{label}”现为“{value}”" in err
    assert "没有办理记录说明这一改动" in err


def test_a_field_no_event_ever_recorded_is_caught_by_the_head(world, full):
    raw(f"UPDATE {ISSUES} SET description = %s WHERE id = %s", ["改写的描述", full.pk])
    err = findings()
    assert f"{full.number}：问题的字段在最后一条办理记录" in err


def test_a_changed_leader_is_named(world, full):
    raw(f"UPDATE {ISSUES} SET leader_id = %s WHERE id = %s", [world.other_leader.pk, full.pk])
    err = findings()
    assert f"{full.number}：“责任领导”现为“{world.other_leader}”" in err


def test_a_changed_status_or_version_is_found(world, full):
    raw(
        f"UPDATE {ISSUES} SET status = 'closed', satisfaction = 'satisfied' WHERE id = %s",
        [full.pk],
    )
    assert f"{full.number}：问题状态与最后一条办理记录" in findings()
    raw(f"UPDATE {ISSUES} SET status = 'resolved', satisfaction = '' WHERE id = %s", [full.pk])
    verify()
    raw(f"UPDATE {ISSUES} SET version = version + 3 WHERE id = %s", [full.pk])
    assert "其后的记录缺失" in findings()


def test_a_department_renamed_later_is_no_finding(world, full):
    """Events record names; a rename in the directory is not a change to the issue."""
    world.dept_b.name = "区住房和城乡建设局"
    world.dept_b.save()
    world.leader.title = "常务副区长"
    world.leader.save()
    verify()


# -- 5. attachments -------------------------------------------------------------------------


def test_a_swapped_attachment_file_is_found_with_files(world, full):
    attachment = Attachment.objects.get(issue=full)
    assert attachment.sha256 == hashlib.sha256(attachment.file.read()).hexdigest()
    attachment.file.close()
    path = default_storage.path(attachment.file.name)
    with open(path, "wb") as handle:
        handle.write(b"%PDF-1.4\n% another report\n%%EOF\n")
    verify()  # without --files the content is not read
    err = findings("--files")
    assert "整改报告.pdf" in err and "内容已被替换" in err


def test_a_swapped_file_with_its_recorded_hash_is_found(world, full):
    attachment = Attachment.objects.get(issue=full)
    other = b"%PDF-1.4\n% forged\n%%EOF\n"
    with open(default_storage.path(attachment.file.name), "wb") as handle:
        handle.write(other)
    Attachment.objects.filter(pk=attachment.pk).update(
        sha256=hashlib.sha256(other).hexdigest(), size=len(other)
    )
    err = findings("--files")
    assert f"{full.number} #5" in err and "校验值不符" in err


def test_a_renamed_attachment_is_found(world, full):
    Attachment.objects.filter(issue=full).update(original_name="验收合格证明.pdf")
    err = findings()
    assert f"{full.number} #5" in err and "附件被改动" in err


def test_an_attachment_moved_to_another_event_or_added_is_found(world, full):
    attachment = Attachment.objects.get(issue=full)
    Attachment.objects.filter(pk=attachment.pk).update(event=event_of(full, 6))
    err = findings()
    assert f"{full.number} #5" in err and f"{full.number} #6" in err


def test_a_missing_file_is_found(world, full):
    attachment = Attachment.objects.get(issue=full)
    default_storage.delete(attachment.file.name)
    assert "文件不存在" in findings("--files")


# -- 6. a note changed and the chain recomputed without the key ------------------------------


def _unkeyed(event, previous):
    payload = {
        "issue": event.issue_id,
        "seq": event.seq,
        "actor": event.actor_id,
        "action": event.action,
        "from": event.from_status,
        "to": event.to_status,
        "note": event.note,
        "changes": event.changes,
        "at": event.created_at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
        "prev": previous,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


@pytest.mark.parametrize("how", ["sha256", "unkeyed", "guessed-key"])
def test_a_note_rewritten_with_the_chain_recomputed_without_the_key_is_found(world, full, how):
    previous = ""
    for event in full.events.order_by("seq"):
        if event.seq == 4:
            event.note = "从未发生的说明"
        if how == "sha256":  # the old algorithm, key id left as it was
            digest = _unkeyed(event, previous)
        elif how == "unkeyed":  # pass every event off as one from before keys
            event.key_id = ""
            digest = _unkeyed(event, previous)
        else:  # HMAC under a key that is not ours
            with override_settings(EVENTS_KEYS={event.key_id: "guessed"}):
                digest = event.compute_digest(previous, number=full.number)
        raw(
            f"UPDATE {EVENTS} SET note = %s, key_id = %s, digest = %s WHERE id = %s",
            [event.note, event.key_id, digest, event.pk],
        )
        previous = digest
    assert _unkeyed(event_of(full, 2), event_of(full, 1).digest) == event_of(full, 2).digest or (
        how != "unkeyed"
    )
    err = findings()
    assert full.number in err
    if how == "unkeyed":
        assert "最后一条办理记录" in err and "与链头不符" in err
    else:
        assert f"{full.number} #1" in err and "校验值不符" in err


def test_an_unkeyed_event_after_keyed_ones_is_found(world, full):
    event = event_of(full, 6)
    event.key_id = ""
    raw(
        f"UPDATE {EVENTS} SET key_id = '', digest = %s WHERE id = %s",
        [_unkeyed(event, event_of(full, 5).digest), event.pk],
    )
    assert "未签名的记录出现在已签名的记录之后" in findings()


# -- the database refuses, the base manager refuses ------------------------------------------


def test_the_database_refuses_update_and_delete_of_events(world, full):
    """On PostgreSQL the trigger of migration integrity 0002; on SQLite its equivalent."""
    from django.db import DatabaseError, transaction

    event = event_of(full, 2)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [EVENTS],
            )
            assert [row[0] for row in cursor.fetchall()] == ["integrity_events_append_only"]
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [EVENTS],
            )
            assert {row[0] for row in cursor.fetchall()} == {
                "integrity_events_no_update",
                "integrity_events_no_delete",
            }
    for sql in (
        f"UPDATE {EVENTS} SET note = 'x' WHERE id = %s",
        f"UPDATE {EVENTS} SET actor_department_id = NULL WHERE id = %s",
        f"DELETE FROM {EVENTS} WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert event_of(full, 2).note == event.note
    assert full.events.count() == 6


def test_the_base_manager_refuses_to_update_or_delete(world, full):
    from ledger.models import EventImmutableError

    with pytest.raises(EventImmutableError):
        IssueEvent._base_manager.filter(issue=full).update(note="改写")
    with pytest.raises(EventImmutableError):
        IssueEvent._base_manager.filter(issue=full).delete()
    assert IssueEvent._base_manager.filter(issue=full).count() == 6


# -- keys ----------------------------------------------------------------------------------


def test_verification_passes_after_a_key_rotation(world, full, settings):
    old_id, old_key = settings.EVENTS_KEY_ID, settings.EVENTS_KEY
    checkpoint()
    settings.EVENTS_KEY, settings.EVENTS_KEY_ID = "a new and longer secret", "2027"
    settings.EVENTS_KEYS = {old_id: old_key, "2027": settings.EVENTS_KEY}
    workflow.transition(full, actor=world.supervisor, action="comment", note="换密钥之后。")
    assert event_of(full, 7).key_id == "2027"
    assert IssueHead.objects.get(issue_id=full.pk).key_id == "2027"
    verify("--files")
    checkpoint()
    assert Checkpoint.objects.get(number=2).key_id == "2027"
    verify()
    # the retired key removed: what it signed can no longer be verified
    settings.EVENTS_KEYS = {"2027": settings.EVENTS_KEY}
    err = findings()
    assert f"签名密钥“{old_id}”未配置" in err and "检查点 #1 的签名无效" in err


def test_no_key_refuses_to_write_events(world, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.EVENTS_KEY = ""
    with pytest.raises(ImproperlyConfigured):
        world.raise_issue()
    assert not Issue.objects.exists()


def test_the_deploy_check_wants_a_key_of_its_own(settings):
    from ledger.integrity.apps import events_key_check

    settings.EVENTS_KEY = ""
    assert [e.id for e in events_key_check()] == ["integrity.E001"]
    settings.EVENTS_KEY = settings.SECRET_KEY
    assert [e.id for e in events_key_check()] == ["integrity.W001"]
    settings.EVENTS_KEY = "something else entirely"
    assert events_key_check() == []


def test_head_signature_uses_the_events_key(world, full):
    head = IssueHead.objects.get(issue_id=full.pk)
    blob = json.dumps(
        [head.issue_id, head.number, head.seq, head.digest, head.state, head.key_id],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    key = settings.EVENTS_KEYS[head.key_id].encode()
    assert head.mac == hmac.new(key, blob, hashlib.sha256).hexdigest()


# -- imported history ----------------------------------------------------------------------


def test_imported_issues_are_signed_anchored_and_checked(world):
    now = timezone.now()
    fields = {
        "title": "导入的问题",
        "description": "从旧台账导入。",
        "category": world.category,
        "source": world.source,
        "raising_department": world.dept_a,
        "raised_at": now - datetime.timedelta(days=30),
        "status": "assigned",
        "leader": world.leader,
        "lead_department": world.dept_b,
        "deadline": datetime.date(2026, 12, 31),
        "assigned_at": now - datetime.timedelta(days=29),
    }
    rows = workflow.issues_import(
        actor=world.admin,
        at=now,
        file_name="旧台账.xlsx",
        items=[
            {"row": 3, "fields": fields, "co_departments": [], "number": None, "note": "第 3 行"}
        ],
    )
    issue = Issue.objects.get(pk=rows[3])
    event = issue.events.get()
    assert event.key_id == settings.EVENTS_KEY_ID
    assert IssueHead.objects.get(issue_id=issue.pk).digest == event.digest
    verify()
    # a later import moves the deadline: an edit event records it
    workflow.issues_import(
        actor=world.admin,
        at=now,
        file_name="旧台账.xlsx",
        items=[
            {
                "row": 3,
                "issue": issue.pk,
                "fields": {"deadline": datetime.date(2027, 1, 15)},
                "note": "第 3 行",
            }
        ],
    )
    verify()
    raw(f"UPDATE {ISSUES} SET deadline = %s WHERE id = %s", ["2027-06-30", issue.pk])
    assert f"{issue.number}：“完成时限”现为“2027-06-30”，办理记录最后记为“2027-01-15”" in findings()
