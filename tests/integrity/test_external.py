"""Checkpoint files outside the database (issue 18, finding 2): someone holding the database
without the key can no longer rewrite history and pass events_verify.

Each test has its own EVENTS_CHECKPOINT_DIR (tests/conftest.py). The three tamperings of the
issue are done with raw SQL, as a database administrator would, and run on SQLite and
PostgreSQL (the suite runs on both).
"""

import datetime
import hashlib
import io
import json
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone, translation

from ledger.integrity.apps import checkpoint_dir_check
from ledger.integrity.models import Checkpoint, IssueHead
from ledger.models import IssueEvent, LedgerCounter
from tests.integrity.conftest import checkpoint, findings, verify
from tests.integrity.tampering import EVENTS, issue_delete, raw, triggers_off
from tests.integrity.test_tampering import _unkeyed


def folder() -> Path:
    return Path(django_settings.EVENTS_CHECKPOINT_DIR)


def files() -> list[Path]:
    return sorted(folder().glob("checkpoint-*.jsonl"))


def lines_of(path: Path) -> list:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def refused(*args) -> str:
    err = io.StringIO()
    with translation.override("zh-hans"), pytest.raises(CommandError) as failed:
        call_command("events_checkpoint", *args, stdout=io.StringIO(), stderr=err)
    return str(failed.value) + err.getvalue()


def rewrite_unkeyed(issue) -> None:
    """Pass an issue's whole chain off as events from before keys: SHA-256 without a key."""
    previous = ""
    for event in issue.events.order_by("seq"):
        event.key_id = ""
        digest = _unkeyed(event, previous)
        raw(f"UPDATE {EVENTS} SET key_id = '', digest = %s WHERE id = %s", [digest, event.pk])
        previous = digest


def age_heads(days=2) -> None:
    """The heads written `days` ago: the ledger has been in use that long."""
    IssueHead.objects.update(written_at=timezone.now() - datetime.timedelta(days=days))


# -- the file ------------------------------------------------------------------------------


def test_each_checkpoint_writes_a_signed_file_chained_to_the_one_before(world, full):
    other = world.assigned_issue()
    assert "checkpoint-000001.jsonl" in checkpoint()
    world.raise_issue()
    checkpoint()
    first, second = files()
    assert [p.name for p in (first, second)] == [
        "checkpoint-000001.jsonl",
        "checkpoint-000002.jsonl",
    ]
    header, *heads, trailer = lines_of(second)
    assert header["sequence"] == 2
    assert header["previous"] == hashlib.sha256(first.read_bytes()).hexdigest()
    assert header["checkpoint"]["number"] == 2
    assert header["checkpoint"]["mac"] == Checkpoint.objects.get(number=2).mac
    assert header["counters"] == {str(full.year): 3}
    assert header["newest_event"] == IssueEvent.objects.order_by("-id").first().pk
    assert header["first_keyed_event"] == full.events.order_by("id").first().pk
    assert header["issues"] == 3 == len(heads)
    assert heads[:2] == [
        [full.pk, full.number, 6, full.events.get(seq=6).digest],
        [other.pk, other.number, 2, other.events.get(seq=2).digest],
    ]
    assert set(trailer) == {"heads", "mac"}
    out = verify()
    assert "检查点文件：2 个，链完整" in out and "checkpoint-000002.jsonl" in out
    assert not list(folder().glob(".checkpoint-*"))  # no temporary file left behind


def test_no_folder_means_no_file_a_warning_and_a_deploy_check(world, full, settings):
    settings.EVENTS_CHECKPOINT_DIR = ""
    err = io.StringIO()
    with translation.override("zh-hans"):
        call_command("events_checkpoint", stdout=io.StringIO(), stderr=err)
    assert "未设置 EVENTS_CHECKPOINT_DIR" in err.getvalue()
    assert Checkpoint.objects.count() == 1
    assert [e.id for e in checkpoint_dir_check()] == ["integrity.W002"]
    assert "未设置 EVENTS_CHECKPOINT_DIR" in refused("--mail")
    settings.EVENTS_CHECKPOINT_DIR = "/srv/ledger-anchor"
    assert checkpoint_dir_check() == []


# -- the three tamperings of issue 18 ------------------------------------------------------


def test_a_chain_rewritten_unkeyed_with_its_head_and_all_checkpoints_deleted_is_found(world, full):
    world.assigned_issue()
    checkpoint()
    rewrite_unkeyed(full)
    IssueHead.objects.filter(issue_id=full.pk).delete()
    Checkpoint.objects.all().delete()
    verify("--checkpoint-dir", str(folder() / "elsewhere"))  # the database alone: consistent
    err = findings()
    assert "checkpoint-000001.jsonl 记载的检查点 #1 在数据库中缺失" in err
    assert f"{full.number}：检查点文件 checkpoint-000001.jsonl 记载了此问题" in err
    assert "链头被删除" in err
    assert f"{full.number}：办理记录 #6 与检查点文件 checkpoint-000001.jsonl 封存的不符" in err
    # the file knows the key was in use from full's first event on
    assert f"{full.number} #2" in err and "未签名的记录写于签名密钥启用之后" in err


def test_a_later_chain_rewritten_unkeyed_is_found_even_without_the_files(world, full):
    """The database alone: an unsigned event written after the first signed one."""
    later = world.assigned_issue()
    rewrite_unkeyed(later)
    IssueHead.objects.filter(issue_id=later.pk).delete()
    Checkpoint.objects.all().delete()
    err = findings("--checkpoint-dir", str(folder() / "elsewhere"))
    assert f"{later.number} #1" in err and "未签名的记录写于签名密钥启用之后" in err


def test_all_checkpoints_deleted_is_found(world, full):
    checkpoint()
    checkpoint()
    Checkpoint.objects.all().delete()
    err = findings()
    assert "checkpoint-000002.jsonl 记载的检查点 #2 在数据库中缺失" in err
    assert "数据库中最新为 —" in err


def test_no_checkpoint_in_a_ledger_older_than_a_day_is_a_finding(world, full):
    checkpoint()
    Checkpoint.objects.all().delete()
    for path in files():  # the files out of reach too: the database's own rule still holds
        path.unlink()
    verify()  # heads written today: a ledger in its first day has no checkpoint yet
    age_heads()
    err = findings()
    assert "尚无检查点，而办理记录始于" in err and "超过 24 小时" in err
    # the checkpoint is what ends it: events_checkpoint is not refused for it
    assert "检查点 #1" in checkpoint()
    verify()


def test_the_newest_issue_erased_with_its_head_and_counter_and_the_checkpoints_is_found(
    world, full
):
    newest = world.assigned_issue()
    checkpoint()
    issue_delete(newest)
    IssueHead.objects.filter(issue_id=newest.pk).delete()
    LedgerCounter.objects.filter(year=newest.year).update(last=newest.seq - 1)
    Checkpoint.objects.all().delete()
    verify("--checkpoint-dir", str(folder() / "elsewhere"))  # the database alone: consistent
    err = findings()
    assert f"{newest.number}：检查点文件 checkpoint-000001.jsonl 记载的问题" in err
    assert "已不存在——问题被删除" in err
    assert f"{newest.year} 年的编号计数器为 {newest.seq - 1}，低于检查点文件" in err
    assert "检查点 #1 在数据库中缺失" in err
    assert "最新的办理记录 ID" in err


def test_the_events_table_truncated_is_found(world, full):
    """Issue 18 finding 8: TRUNCATE is no row operation, the append-only trigger does not see
    it (PostgreSQL; SQLite has no TRUNCATE, its DELETE without WHERE is the same emptying)."""
    checkpoint()
    with triggers_off() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {EVENTS} CASCADE")
        else:
            cursor.execute("DELETE FROM ledger_attachment")
            cursor.execute(f"DELETE FROM {EVENTS}")
    assert not IssueEvent.objects.exists()
    err = findings("--checkpoint-dir", str(folder() / "elsewhere"))  # the database alone
    assert f"{full.number}：没有任何办理记录" in err
    assert f"{full.number}：链头为 #6，办理记录却已全部缺失" in err
    err = findings()
    assert "最新的办理记录 ID 为 —，低于检查点文件 checkpoint-000001.jsonl" in err
    assert f"{full.number}：检查点文件 checkpoint-000001.jsonl 封存的办理记录 #6 已不存在" in err


# -- the chain of files --------------------------------------------------------------------


def test_a_deleted_altered_or_forged_file_breaks_the_chain(world, full):
    for _ in range(3):
        checkpoint()
    first, second, third = files()
    second.unlink()
    assert "checkpoint-000003.jsonl 与前一个文件 checkpoint-000001.jsonl 不衔接" in findings()
    header, *rest = third.read_text(encoding="utf-8").splitlines()
    changed = json.loads(header)
    changed["counters"] = {str(full.year): 0}
    third.write_text("\n".join([json.dumps(changed, ensure_ascii=False), *rest]) + "\n")
    assert "checkpoint-000003.jsonl 已损坏或签名无效" in findings()
    third.write_text("\n".join([header, *rest[:-2]]) + "\n")  # cut short
    assert "checkpoint-000003.jsonl 已损坏或签名无效" in findings()
    third.unlink()
    verify()  # what remains is a consistent chain of one file the database still matches


def test_a_file_signed_with_another_key_is_refused(world, full, settings):
    checkpoint()
    (path,) = files()
    settings.EVENTS_KEYS = {settings.EVENTS_KEY_ID: "not the key that signed"}
    settings.EVENTS_KEY = "not the key that signed"
    assert f"{path} 已损坏或签名无效" in findings()


# -- a restore, the mail, both languages -----------------------------------------------------


def test_a_database_behind_the_files_is_refused_until_accepted_after_a_restore(world, full):
    checkpoint()
    lost = world.assigned_issue()
    checkpoint()
    # what a restore of the backup taken between the two checkpoints gives
    issue_delete(lost)
    IssueHead.objects.filter(issue_id=lost.pk).delete()
    LedgerCounter.objects.filter(year=lost.year).update(last=lost.seq - 1)
    Checkpoint.objects.filter(number=2).delete()
    IssueHead.objects.filter(issue_id=full.pk).update(
        sealed_seq=6, sealed_digest=full.events.get(seq=6).digest
    )
    assert "checkpoint-000002.jsonl 记载的检查点 #2 在数据库中缺失" in findings()
    message = refused()
    assert "未写入检查点" in message and "--after-restore" in message
    assert "检查点 #2" in checkpoint("--after-restore")  # the database's next number
    newest = files()[-1]
    assert newest.name == "checkpoint-000003.jsonl"
    assert lines_of(newest)[0]["restored"]["behind_file"] == "checkpoint-000002.jsonl"
    verify()


def test_after_restore_does_not_excuse_a_rewritten_chain(world, full):
    checkpoint()
    rewrite_unkeyed(full)
    IssueHead.objects.filter(issue_id=full.pk).delete()
    Checkpoint.objects.all().delete()
    assert "未写入检查点" in refused("--after-restore")
    assert not Checkpoint.objects.exists() and len(files()) == 1


def test_the_file_digest_is_mailed_to_the_oversight_office(world, full, settings):
    out = checkpoint("--mail")
    (path,) = files()
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    (message,) = mail.outbox
    assert message.to == [world.supervisor.email]
    assert "#1" in message.subject and sha in message.body and path.name in message.body
    assert world.supervisor.email in out
    settings.EVENTS_CHECKPOINT_MAIL_TO = ["anchor@oversight.example.gov.cn"]
    checkpoint("--mail")
    assert mail.outbox[-1].to == ["anchor@oversight.example.gov.cn"]


def test_the_commands_print_chinese_and_english(world, full):
    out = io.StringIO()
    call_command("events_checkpoint", stdout=out, stderr=io.StringIO())
    out = io.StringIO()
    call_command("events_verify", stdout=out, stderr=io.StringIO())
    assert "OK：1 个问题、6 条办理记录" in out.getvalue()
    assert "OK: 1 issues, 6 timeline events" in out.getvalue()
    Checkpoint.objects.filter(number=1).update(events=99)
    err = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("events_verify", stdout=io.StringIO(), stderr=err)
    assert "检查点 #1 的签名无效" in err.getvalue()
    assert "Checkpoint #1 has an invalid signature" in err.getvalue()
    assert "发现" in str(failed.value) and "Found" in str(failed.value)


def test_a_new_file_written_with_the_key_after_an_erasure_shows_against_the_one_before(world, full):
    """Key, database and the right to add files (the application's host): a next file
    written for the smaller ledger agrees with it, but the ledger shrank between two files."""
    from ledger.integrity import external
    from ledger.integrity.services import checkpoint_seal

    newest = world.assigned_issue()
    checkpoint()
    issue_delete(newest)
    IssueHead.objects.filter(issue_id=newest.pk).delete()
    LedgerCounter.objects.filter(year=newest.year).update(last=newest.seq - 1)
    external.file_write(checkpoint_seal(), folder())
    err = findings()
    assert "检查点文件 checkpoint-000002.jsonl 记载的编号计数器或最新办理记录低于前一个文件" in err
    assert f"checkpoint-000001.jsonl（{newest.year}）" in err
