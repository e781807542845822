"""An import commit is recorded with who, the file and the counts (a refused one as a
failure); the demo's three administrators are seeded once, each in its group."""

import io

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ledger.audit.demo import ROLE_ACCOUNTS
from ledger.audit.models import AuditRecord
from ledger.auditing import Kind
from tests import factories as f
from tests.exchange.import_sheets import csv_bytes, file_of, messy_rows


def _commit_of(client, data, name):
    from ledger.exchange.models import ImportBatch

    client.post(reverse("exchange:issue_import"), {"file": SimpleUploadedFile(name, data)})
    batch = ImportBatch.objects.order_by("-pk").first()
    client.post(reverse("exchange:import_commit", args=[batch.pk]))
    return batch


def test_a_committed_import_is_recorded_with_its_counts(world, client):
    f.CategoryFactory(name="其他")
    f.SourceFactory(name="其他")
    client.force_login(world.supervisor)
    rows = [
        ["问题描述", "责任领导", "牵头单位", "完成时限"],
        ["路灯不亮", world.leader.user.name, "区住建局", "2026-06-30"],
    ]
    batch = _commit_of(client, csv_bytes(rows), "台账.csv")
    record = AuditRecord.objects.get(kind=Kind.IMPORTED)
    assert record.outcome == "success" and record.actor_id == world.supervisor.pk
    assert record.detail["file"] == "台账.csv" and record.detail["counts"]["to_create"] == 1
    assert record.target == f"import ledger #{batch.pk}"


def test_a_refused_import_commit_is_recorded_as_a_failure(world, client):
    f.CategoryFactory(name="其他")
    f.SourceFactory(name="其他")
    client.force_login(world.supervisor)
    rows, merged, _expected = messy_rows(world, errors=True)
    _commit_of(client, *file_of("xlsx", rows, merged))
    record = AuditRecord.objects.get(kind=Kind.IMPORTED)
    assert record.outcome == "failure" and record.detail["counts"] == {}


def test_the_demo_seeds_the_three_administrators_once(db):
    from django.apps import apps

    room = apps.get_app_config("audit")
    room.seed_demo(today=None, stdout=io.StringIO())
    before = AuditRecord.objects.count()
    room.seed_demo(today=None, stdout=io.StringIO())
    assert AuditRecord.objects.count() == before  # nothing changed the second time
    users = get_user_model().objects.filter(username__in=[r["username"] for r in ROLE_ACCOUNTS])
    assert {(u.username, tuple(u.groups.values_list("name", flat=True))) for u in users} == {
        (r["username"], (r["group"],)) for r in ROLE_ACCOUNTS
    }
    assert not any(u.is_superuser for u in users) and all(u.is_staff for u in users)
    assert all(u.check_password("zz-demo-2014") for u in users)
