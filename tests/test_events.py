"""办理记录 are append-only and HMAC-chained; `manage.py events_verify` proves none was touched.

The tampering cases of issue 10 (heads, checkpoints, issue fields, files, keys) are in
tests/integrity/."""

import datetime
import io
import json

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models.deletion import ProtectedError
from django.test import override_settings
from django.utils import timezone, translation

from ledger import events, workflow
from ledger.integrity.models import Checkpoint
from ledger.integrity.services import checkpoint_payload, head_build
from ledger.models import EventImmutableError, Issue, IssueEvent
from tests import factories as f
from tests.integrity.tampering import raw

TABLE = IssueEvent._meta.db_table


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def closed_issue(world):
    """An issue with seven events: raise, assign, accept, progress, comment, resolve, close."""
    issue = world.in_progress_issue()
    workflow.transition(
        issue, actor=world.staff_b, action="progress", progress="smooth", note="已开工。"
    )
    workflow.transition(issue, actor=world.staff_a, action="comment", note="企业已确认。")
    workflow.transition(issue, actor=world.staff_b, action="resolve", resolution="已修复。")
    workflow.transition(issue, actor=world.supervisor, action="close", satisfaction="satisfied")
    assert issue.events.count() == 7
    return issue


def event_of(issue, seq) -> IssueEvent:
    return issue.events.get(seq=seq)


def verify(*numbers) -> tuple[str, str]:
    """Run events_verify (in Chinese); (stdout, stderr). CommandError propagates."""
    out, err = io.StringIO(), io.StringIO()
    with translation.override("zh-hans"):
        call_command("events_verify", *numbers, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def verify_fails(*numbers) -> tuple[str, CommandError]:
    err = io.StringIO()
    with translation.override("zh-hans"), pytest.raises(CommandError) as failed:
        call_command("events_verify", *numbers, stdout=io.StringIO(), stderr=err)
    assert failed.value.returncode != 0  # manage.py exits with this status
    return err.getvalue(), failed.value


# -- append-only ------------------------------------------------------------------------------


def test_an_event_cannot_be_saved_again(world):
    issue = world.assigned_issue()
    event = event_of(issue, 2)
    event.note = "改写的说明"
    with pytest.raises(EventImmutableError):
        event.save()
    with pytest.raises(EventImmutableError):
        event.save(update_fields=["note"])
    assert event_of(issue, 2).note == ""


def test_an_event_cannot_be_overwritten_by_a_new_object_with_its_pk(world):
    issue = world.assigned_issue()
    original = event_of(issue, 2)
    forged = IssueEvent(
        pk=original.pk,
        issue=issue,
        seq=2,
        actor=world.staff_a,
        action="assign",
        to_status="assigned",
        note="伪造",
    )
    with pytest.raises(EventImmutableError):
        forged.save()
    assert event_of(issue, 2).note == original.note
    assert event_of(issue, 2).actor == world.supervisor


def test_an_event_cannot_be_deleted(world):
    issue = world.assigned_issue()
    with pytest.raises(EventImmutableError):
        event_of(issue, 2).delete()
    assert issue.events.count() == 2


@pytest.mark.parametrize(
    "queryset",
    [
        lambda issue: IssueEvent.objects.all(),
        lambda issue: IssueEvent.objects.filter(issue=issue),
        lambda issue: issue.events.all(),
        lambda issue: issue.events,
    ],
    ids=["all", "filter", "related", "related-manager"],
)
def test_bulk_update_and_delete_are_refused(world, queryset):
    issue = world.assigned_issue()
    before = list(IssueEvent.objects.values_list("pk", "note", "digest"))
    with pytest.raises(EventImmutableError):
        queryset(issue).update(note="改写")
    with pytest.raises(EventImmutableError):
        queryset(issue).delete()
    events = list(issue.events.all())
    for event in events:
        event.note = "改写"
    # bulk_update runs in atomic(savepoint=False): give it a savepoint to fail in
    with pytest.raises(EventImmutableError), transaction.atomic():
        IssueEvent.objects.bulk_update(events, ["note"])
    assert list(IssueEvent.objects.values_list("pk", "note", "digest")) == before


def test_an_issue_with_events_cannot_be_deleted(world):
    issue = world.assigned_issue()
    with pytest.raises(ProtectedError):
        Issue.objects.get(pk=issue.pk).delete()
    assert issue.events.count() == 2


# -- the digest chain -------------------------------------------------------------------------


def test_each_event_chains_to_the_previous_event_of_its_issue(world):
    issue = closed_issue(world)
    other = world.assigned_issue()  # interleaved with the first issue's events
    for subject in (issue, other):
        previous = ""
        for expected_seq, event in enumerate(subject.events.order_by("seq"), start=1):
            assert event.seq == expected_seq
            assert len(event.digest) == 64
            assert event.digest == event.compute_digest(previous)
            if previous:
                assert event.digest != event.compute_digest("")
            previous = event.digest
    digests = list(IssueEvent.objects.values_list("digest", flat=True))
    assert len(set(digests)) == len(digests)


@pytest.mark.parametrize(
    "field",
    [
        "note",
        "action",
        "to_status",
        "from_status",
        "actor",
        "changes",
        "created_at",
        "seq",
        "actor_department",
        "key_id",
        "number",
        "issue",
    ],
)
def test_the_digest_covers_every_recorded_fact(world, field):
    issue = closed_issue(world)
    event = event_of(issue, 4)
    previous = event_of(issue, 3).digest
    assert event.compute_digest(previous) == event.digest
    if field == "note":
        event.note += "。"
    elif field == "action":
        event.action = "urge"
    elif field == "to_status":
        event.to_status = "closed"
    elif field == "from_status":
        event.from_status = "raised"
    elif field == "actor":
        event.actor = world.staff_c
    elif field == "changes":
        event.changes = {**event.changes, "progress": ["", "slow"]}
    elif field == "created_at":
        event.created_at += datetime.timedelta(microseconds=1)
    elif field == "seq":
        event.seq = 5
    elif field == "actor_department":
        event.actor_department = world.dept_c
    elif field == "key_id":
        event.key_id = "old"
    elif field == "number":
        event.issue.number = "ZZ-2026-9999"
    elif field == "issue":
        event.issue_id = world.raise_issue().pk
    with override_settings(EVENTS_KEYS={**settings.EVENTS_KEYS, "old": "another secret"}):
        assert event.compute_digest(previous) != event.digest
    assert event_of(issue, 4).compute_digest("") != event.digest  # the previous digest counts


# -- events_verify --------------------------------------------------------------------------------


def test_verify_reports_ok_with_counts(world):
    closed_issue(world)
    world.assigned_issue()
    out, err = verify()
    assert out.startswith("OK")
    assert "2 个问题" in out
    assert "9 条办理记录" in out
    assert err == ""


def test_verify_on_an_empty_ledger_is_ok(db):
    out, _ = verify()
    assert "0 个问题" in out and "0 条办理记录" in out


def test_verify_can_check_chosen_issues(world):
    issue = closed_issue(world)
    tampered = world.assigned_issue()
    raw(f"UPDATE {TABLE} SET note = %s WHERE id = %s", ["改写", event_of(tampered, 2).pk])
    out, _ = verify(issue.number)
    assert "1 个问题" in out and "7 条办理记录" in out
    err, _ = verify_fails(tampered.number)
    assert tampered.number in err
    with translation.override("zh-hans"), pytest.raises(CommandError) as unknown:
        call_command("events_verify", "ZZ-1999-0001", stdout=io.StringIO())
    assert "ZZ-1999-0001" in str(unknown.value)


@pytest.mark.parametrize("column", ["note", "action", "to_status", "actor_id", "created_at"])
def test_verify_detects_a_column_changed_with_raw_sql(world, column):
    issue = closed_issue(world)
    untouched = world.assigned_issue()
    event = event_of(issue, 5)  # the comment
    value = {
        "note": "已由他人改写",
        "action": "urge",
        "to_status": "closed",
        "actor_id": world.staff_c.pk,
        "created_at": connection.ops.adapt_datetimefield_value(
            event.created_at - datetime.timedelta(days=1)
        ),
    }[column]
    raw(f"UPDATE {TABLE} SET {column} = %s WHERE id = %s", [value, event.pk])
    err, failed = verify_fails()
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    assert issue.number in lines[0] and "#5" in lines[0]
    assert untouched.number not in err
    assert "1 处" in str(failed)


def test_verify_detects_changed_json_changes(world):
    issue = closed_issue(world)
    event = event_of(issue, 6)  # resolve: its changes name the resolution
    changes = {**event.changes, "resolution": ["", "另一种说法"]}
    raw(
        f"UPDATE {TABLE} SET changes = %s WHERE id = %s",
        [json.dumps(changes, ensure_ascii=False), event.pk],
    )
    assert IssueEvent.objects.get(pk=event.pk).changes == changes
    err, _ = verify_fails()
    assert "#6" in err


def test_a_rewritten_digest_breaks_the_next_link(world):
    """Whoever alters an event and recomputes its digest is caught by the next event."""
    issue = closed_issue(world)
    event = event_of(issue, 3)
    event.note = "补写的说明"
    digest = event.compute_digest(event_of(issue, 2).digest)
    raw(f"UPDATE {TABLE} SET note = %s, digest = %s WHERE id = %s", [event.note, digest, event.pk])
    err, _ = verify_fails()
    assert "#4" in err
    assert "#3" not in err


def test_verify_detects_a_deleted_middle_event(world):
    issue = closed_issue(world)
    middle = event_of(issue, 4)
    assert not middle.attachments.exists()
    raw(f"DELETE FROM {TABLE} WHERE id = %s", [middle.pk])
    assert issue.events.count() == 6
    err, _ = verify_fails()
    assert f"{issue.number} #4：办理记录缺失" in err
    assert "#5" in err  # its successor no longer chains


def test_verify_detects_a_deleted_last_event(world):
    issue = closed_issue(world)
    raw(f"DELETE FROM {TABLE} WHERE id = %s", [event_of(issue, 7).pk])
    err, _ = verify_fails()
    assert issue.number in err and "#6" in err and "缺失" in err


def test_verify_detects_a_deleted_first_event_and_an_issue_without_events(world):
    issue = closed_issue(world)
    bare = world.raise_issue(title="只有登记记录")
    raw(f"DELETE FROM {TABLE} WHERE id IN (%s, %s)", [event_of(issue, 1).pk, event_of(bare, 1).pk])
    err, failed = verify_fails()
    assert f"{issue.number} #1：办理记录缺失" in err
    assert f"{bare.number}：没有任何办理记录" in err
    assert "#2" in err  # the second event chained to the first


def test_verify_detects_a_status_that_no_event_explains(world):
    issue = closed_issue(world)
    raw(f"UPDATE {Issue._meta.db_table} SET status = %s WHERE id = %s", ["in_progress", issue.pk])
    err, _ = verify_fails()
    assert issue.number in err and "状态" in err


def test_verify_lists_every_problem(world):
    first = closed_issue(world)
    second = closed_issue(world)
    raw(f"UPDATE {TABLE} SET note = %s WHERE id = %s", ["x", event_of(first, 2).pk])
    raw(f"UPDATE {TABLE} SET note = %s WHERE id = %s", ["y", event_of(second, 5).pk])
    raw(f"DELETE FROM {TABLE} WHERE id = %s", [event_of(second, 3).pk])
    err, failed = verify_fails()
    lines = err.strip().splitlines()
    assert len(lines) == 4, lines  # first #2; second #3 missing, #4 unchained, #5 altered
    assert "4 处" in str(failed)


def test_workflow_keeps_one_event_per_version(world):
    """The invariant events_verify relies on to see a missing last event."""
    issue = closed_issue(world)
    workflow.transition(issue, actor=world.supervisor, action="comment", note="回访完成。")
    workflow.transition(
        issue,
        actor=world.supervisor,
        action="reopen",
        note="企业反映问题复发。",
        deadline=f.days_from_today(5),
        at=timezone.now(),
    )
    issue.refresh_from_db()
    assert issue.version == issue.events.count() == 9
    assert issue.events.order_by("-seq").first().to_status == issue.status


# -- the canonical form, pinned ----------------------------------------------------------------
# Literal digests computed with the code as it stood before the signed format moved into
# ledger/events.py. Every digest already stored (demo data, production) depends on these bytes:
# if one of these tests fails, the canonical form changed and stored chains no longer verify.

PIN_KEYS = {"k2026": "fixed test secret"}
PIN_AT = datetime.datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=datetime.UTC)


def pinned_event(key_id) -> IssueEvent:
    return IssueEvent(
        issue_id=42,
        seq=3,
        actor_id=7,
        actor_department_id=5,
        action="assign",
        from_status="raised",
        to_status="assigned",
        note="请于“周五”前办结。\n第二行",
        changes={"deadline": ["", "2026-03-20"], "lead_department": ["", "区住建局"]},
        created_at=PIN_AT,
        key_id=key_id,
    )


@override_settings(EVENTS_KEYS=PIN_KEYS)
def test_a_keyed_event_digest_is_pinned():
    digest = pinned_event("k2026").compute_digest(
        "a" * 64, files=[("照片.jpg", "b" * 64, 1234)], number="ZZ-2026-0042"
    )
    assert digest == "0a127c740fa665a8836bd44e20b892bbd29b5ffbe83c5a2db73349e784a0c385"


def test_a_legacy_unkeyed_event_digest_is_pinned():
    digest = pinned_event("").compute_digest("c" * 64)
    assert digest == "dd29c31fd62100b104fee374eb46b89b1cbf559e47283acd2d3f5ffe6894f116"


@override_settings(EVENTS_KEYS=PIN_KEYS)
def test_a_digest_with_the_wrong_key_or_previous_differs_from_the_pin():
    pinned = "0a127c740fa665a8836bd44e20b892bbd29b5ffbe83c5a2db73349e784a0c385"
    files = [("照片.jpg", "b" * 64, 1234)]
    event = pinned_event("k2026")
    assert event.compute_digest("a" * 64, files=files, number="ZZ-2026-0043") != pinned
    assert event.compute_digest("0" * 64, files=files, number="ZZ-2026-0042") != pinned
    with override_settings(EVENTS_KEYS={"k2026": "another secret"}):
        assert event.compute_digest("a" * 64, files=files, number="ZZ-2026-0042") != pinned


@override_settings(EVENTS_KEYS=PIN_KEYS, EVENTS_KEY_ID="k2026")
def test_a_head_signature_is_pinned():
    head = head_build(issue_id=42, number="ZZ-2026-0042", seq=3, digest="d" * 64, state="e" * 64)
    assert head.mac == "bc1aefbde882e97719d1e43e4c77d1b9804c4c19868ef38fc8665e87b7c8aa3d"


@override_settings(EVENTS_KEYS=PIN_KEYS)
def test_a_checkpoint_signature_is_pinned():
    checkpoint = Checkpoint(
        number=2,
        created_at=PIN_AT,
        issues=10,
        events=55,
        root="f" * 64,
        known_gaps={"2026": [3, 4]},
        previous_mac="9" * 64,
        key_id="k2026",
    )
    mac = events.sign("k2026", checkpoint_payload(checkpoint))
    assert mac == "9cdd3a7c400f75176bca3472810ddb79361310ce7ed0d2feaace36df6673964d"


def test_an_issue_state_hash_is_pinned():
    shanghai = datetime.timezone(datetime.timedelta(hours=8))
    values = [
        "ZZ-2026-0042",
        2026,
        42,
        "标题",
        datetime.datetime(2026, 3, 4, 13, 6, 7, 890123, tzinfo=shanghai),
        datetime.date(2026, 3, 20),
        None,
        True,
        False,
        0,
        "normal",
    ]
    state = events.state_digest(values)
    assert state == "ab3972981a778f53bdff1e4d6659d45e663344e11ce938f7572f1aa30745fb7e"


@override_settings(EVENTS_KEYS=PIN_KEYS)
def test_the_pure_python_encoder_signs_the_same_bytes(monkeypatch):
    """canonical() keeps a C encoder built once; without one (a Python that has none) the
    bytes, and so the pinned digest, are the same."""
    event = pinned_event("k2026")
    files = [("照片.jpg", "b" * 64, 1234)]
    fast = event.compute_digest("a" * 64, files=files, number="ZZ-2026-0042")
    monkeypatch.setattr(events, "_C_ENCODE", None)
    slow = event.compute_digest("a" * 64, files=files, number="ZZ-2026-0042")
    assert fast == slow == "0a127c740fa665a8836bd44e20b892bbd29b5ffbe83c5a2db73349e784a0c385"
    value = {"b": [1, 2.5, None, True, "“引号”\n\t\\"], "a": {"z": "", "y": -1}}
    encoded = events.canonical(value)
    monkeypatch.undo()
    assert events.canonical(value) == encoded
    assert (
        encoded
        == json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    )


def test_the_event_columns_are_the_event_model_s_stored_columns():
    stored = [f.attname for f in IssueEvent._meta.concrete_fields if f.name != "id"]
    assert sorted(events.EVENT_COLUMNS) == sorted(stored)


def test_an_issue_state_treats_choices_dates_and_times_as_their_plain_values():
    shanghai = datetime.timezone(datetime.timedelta(hours=8))
    at = datetime.datetime(2026, 3, 4, 13, 6, 7, tzinfo=shanghai)
    assert events.state_digest([Issue.Urgency.URGENT, at, datetime.date(2026, 3, 20)]) == (
        events.state_digest(["urgent", "2026-03-04T05:06:07.000000+00:00", "2026-03-20"])
    )
    assert events.state_digest([True]) != events.state_digest([1])
    assert events.state_digest([None]) != events.state_digest([""])
