"""What lands on the audit log: sign-ins, failures, sign-outs, lockouts and unlocks, password,
role and rights changes, admin changes, exports and imports — each once, with who, from where
and the outcome, and never a password hash."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group

from ledger.audit.models import AuditRecord
from ledger.auditing import Kind
from tests import factories as f

from .conftest import kinds

RIGHT = "zz-test-pass"
LOGIN = "/accounts/login/"


def _post_login(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def _new(before: int):
    return AuditRecord.objects.filter(seq__gt=before).order_by("seq")


def _last_seq() -> int:
    return AuditRecord.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_sign_in_failure_and_sign_out_are_recorded_with_the_address(world, client):
    before = _last_seq()
    assert _post_login(client, "staff_a", "wrong", REMOTE_ADDR="10.9.8.7").status_code == 200
    assert _post_login(client, "staff_a", RIGHT, REMOTE_ADDR="10.9.8.7").status_code == 302
    client.post("/accounts/logout/", REMOTE_ADDR="10.9.8.7")
    records = list(_new(before))
    assert [r.kind for r in records] == [Kind.SIGN_IN_FAILED, Kind.SIGN_IN, Kind.SIGN_OUT]
    failed, signed_in, signed_out = records
    assert failed.outcome == "failure" and failed.username == "staff_a" and failed.actor_id is None
    assert signed_in.outcome == "success" and signed_in.actor_id == world.staff_a.pk
    assert {r.ip for r in records} == {"10.9.8.7"}
    assert signed_out.actor_id == world.staff_a.pk
    assert "wrong" not in str(failed.detail)  # the typed password never lands


def test_a_lockout_and_its_lifting_in_the_admin_are_recorded(world, client):
    before = _last_seq()
    for _ in range(10):
        _post_login(client, "staff_a", "wrong", REMOTE_ADDR="10.1.1.1")
    locked = list(_new(before).filter(kind=Kind.LOCKED_OUT))
    assert len(locked) == 1 and locked[0].username == "staff_a" and locked[0].ip == "10.1.1.1"
    client.force_login(world.admin)
    attempt = AccessAttempt.objects.get(username="staff_a")
    response = client.post(
        "/admin/security/loginfailure/",
        {"action": "lockout_reset", "_selected_action": [attempt.pk]},
    )
    assert response.status_code == 302
    unlocked = list(_new(before).filter(kind=Kind.UNLOCKED))
    assert len(unlocked) == 1 and unlocked[0].target == "user staff_a"
    assert unlocked[0].actor_id == world.admin.pk  # who lifted it, from the request
    assert unlocked[0].detail["failures"] == 10


def test_a_successful_sign_in_clearing_failures_is_no_unlock(world, client):
    before = _last_seq()
    for _ in range(3):
        _post_login(client, "staff_a", "wrong")
    _post_login(client, "staff_a", RIGHT)
    assert not AccessAttempt.objects.filter(username="staff_a").exists()
    assert Kind.UNLOCKED not in kinds(seq__gt=before)


def test_a_password_change_is_recorded_once_without_the_hash(world, client):
    client.force_login(world.staff_a)
    before = _last_seq()
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": RIGHT,
            "new_password1": "Another-pass-2026",
            "new_password2": "Another-pass-2026",
        },
    )
    assert response.status_code == 302
    changed = list(_new(before).filter(kind=Kind.PASSWORD_CHANGED))
    assert len(changed) == 1 and changed[0].target == "user staff_a"
    world.staff_a.refresh_from_db()
    for record in AuditRecord.objects.all():
        assert world.staff_a.password not in str(record.detail)


def test_saving_a_user_without_changes_records_nothing(world):
    before = _last_seq()
    world.staff_a.save()
    world.staff_a.save(update_fields=["last_login"])
    assert kinds(seq__gt=before) == []


def test_role_rights_and_activity_changes_are_recorded(world):
    user = world.staff_a
    before = _last_seq()
    user.role = "supervisor"
    user.is_staff = True
    user.save()
    user.is_active = False
    user.save(update_fields=["is_active"])
    group = Group.objects.create(name="临时组")
    user.groups.add(group)
    user.groups.remove(group)
    records = list(_new(before))
    by_kind = {}
    for record in records:
        by_kind.setdefault(record.kind, []).append(record.detail)
    assert by_kind[Kind.ROLE_CHANGED] == [{"changes": {"role": ["staff", "supervisor"]}}]
    assert {"changes": {"is_staff": [False, True]}} in by_kind[Kind.PERMISSIONS_CHANGED]
    assert by_kind[Kind.ACCOUNT_CHANGED] == [{"changes": {"is_active": [True, False]}}]
    group_changes = [d for d in by_kind[Kind.PERMISSIONS_CHANGED] if d.get("field") == "groups"]
    assert [(d["action"], d["items"]) for d in group_changes] == [
        ("add", ["临时组"]),
        ("remove", ["临时组"]),
    ]


def test_an_admin_change_names_its_actor(world, client):
    client.force_login(world.admin)
    before = _last_seq()
    response = client.post(
        f"/admin/ledger/department/{world.dept_c.pk}/change/",
        {
            "name": "区环境保护局",
            "short_name": "环保局",
            "kind": world.dept_c.kind,
            "order": 0,
            "is_active": "on",
        },
    )
    assert response.status_code in (200, 302)
    records = list(_new(before).filter(kind=Kind.ADMIN_CHANGED))
    if response.status_code == 200:  # the form asked for more: then nothing was changed
        pytest.fail(response.content.decode()[:2000])
    assert len(records) == 1
    assert records[0].actor_id == world.admin.pk and records[0].username == "admin"
    assert records[0].detail["action"] == "change"
    assert records[0].detail["model"] == "ledger.department"


def test_creating_an_account_is_recorded(db):
    before = _last_seq()
    f.StaffFactory(username="newcomer")
    created = list(_new(before).filter(kind=Kind.ACCOUNT_CREATED))
    assert [r.target for r in created] == ["user newcomer"]


def test_a_ledger_export_records_who_the_filter_and_the_row_count(world, client):
    world.raise_issue()
    world.raise_issue()
    client.force_login(world.supervisor)
    before = _last_seq()
    response = client.get("/issues/export.xlsx", {"q": ""}, REMOTE_ADDR="10.2.2.2")
    assert response.status_code == 200
    exported = list(_new(before).filter(kind=Kind.EXPORTED))
    assert len(exported) == 1
    assert exported[0].actor_id == world.supervisor.pk and exported[0].ip == "10.2.2.2"
    assert exported[0].detail == {"filter": "q=", "rows": 2}


def test_a_bulk_deletion_in_the_admin_records_each_row(world, client):
    from ledger.models import Category

    first, second = f.CategoryFactory(name="临时类别一"), f.CategoryFactory(name="临时类别二")
    client.force_login(world.admin)
    before = _last_seq()
    response = client.post(
        "/admin/ledger/category/",
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Category.objects.filter(pk__in=[first.pk, second.pk]).exists()
    deleted = list(_new(before).filter(kind=Kind.ADMIN_CHANGED))
    assert sorted(r.detail["object_id"] for r in deleted) == sorted([str(first.pk), str(second.pk)])
    assert {r.detail["action"] for r in deleted} == {"delete"}
    assert {r.actor_id for r in deleted} == {world.admin.pk}


def test_changes_made_in_the_admin_name_the_administrator_and_the_address(world, client):
    client.force_login(world.admin)
    before = _last_seq()
    response = client.post(
        f"/admin/ledger/user/{world.staff_b.pk}/password/",
        {"password1": "Set-by-admin-2026", "password2": "Set-by-admin-2026"},
        REMOTE_ADDR="10.3.3.3",
    )
    assert response.status_code == 302
    # someone else's password set by the administrator: recorded once, as set by the admin
    assert not _new(before).filter(kind=Kind.PASSWORD_CHANGED).exists()
    changed = _new(before).get(kind=Kind.PASSWORD_SET_BY_ADMIN)
    assert changed.target == "user staff_b"
    assert (changed.actor_id, changed.username, changed.ip) == (world.admin.pk, "admin", "10.3.3.3")


def test_a_change_outside_a_request_names_no_actor(world):
    before = _last_seq()
    world.staff_b.set_password("Changed-by-command-1")
    world.staff_b.save()
    changed = _new(before).get(kind=Kind.PASSWORD_CHANGED)
    assert (changed.actor_id, changed.username, changed.ip) == (None, "", None)


def test_targets_are_named_in_chinese_on_screen():
    from ledger.audit.models import target_label

    assert target_label("user staff2") == "用户 staff2"
    assert target_label("group 审计管理员") == "角色组 审计管理员"
    assert target_label("ledger export") == "问题台账导出"
    assert target_label("master data export enterprises") == "基础数据导出 enterprises"
    assert target_label("ledger.department 区住建局") == "单位 区住建局"
    assert target_label("something new") == "something new"
