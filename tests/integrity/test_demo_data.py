"""The demo ledger, written through the workflow, verifies untouched, seals, and still
verifies after the events key is rotated."""

import io

import pytest
from django.core.management import call_command
from django.db import transaction

from ledger import workflow
from ledger.integrity.models import Checkpoint, IssueHead
from ledger.models import Issue, IssueEvent, User
from tests.integrity.conftest import checkpoint, findings, verify
from tests.integrity.tampering import raw


@pytest.fixture(scope="module")
def demo_ledger(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", "--i-know-this-is-not-production", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_ledger, db):
    return Issue.objects.count()


def test_the_untouched_demo_verifies_seals_and_survives_a_key_rotation(demo, settings):
    assert demo >= 30
    assert IssueHead.objects.count() == demo
    assert not IssueEvent.objects.filter(key_id="").exists()
    out = verify("--files")
    assert out.startswith("OK") and f"{demo} 个问题" in out
    assert "检查点 #1" in checkpoint()
    verify()
    # rotation: a new current key; the old one stays for what it signed
    old_id, old_key = settings.EVENTS_KEY_ID, settings.EVENTS_KEY
    settings.EVENTS_KEY, settings.EVENTS_KEY_ID = "the key of the next year", "2027"
    settings.EVENTS_KEYS = {old_id: old_key, "2027": settings.EVENTS_KEY}
    issue = Issue.objects.filter(status="in_progress").first()
    workflow.transition(
        issue, actor=User.objects.get(username="supervisor"), action="urge", note="请加快。"
    )
    verify("--files")
    assert "检查点 #2" in checkpoint()
    assert Checkpoint.objects.get(number=2).key_id == "2027"
    verify()


def test_a_single_tampered_demo_event_is_the_one_finding(demo):
    event = IssueEvent.objects.filter(action="resolve").order_by("pk").first()
    raw("UPDATE ledger_issueevent SET note = %s WHERE id = %s", ["改写", event.pk])
    lines = findings().strip().splitlines()
    assert len(lines) == 1 and event.issue.number in lines[0]
