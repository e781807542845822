"""三员分立: the system, security and audit administrators can each do exactly their part in
the admin and the audit pages; the audit log is read-only for everyone."""

import io

import openpyxl
import pytest
from django.contrib.auth.models import Group

from ledger.audit.models import AuditRecord
from ledger.audit.roles import AUDIT_ADMIN, ROLE_GROUPS, SECURITY_ADMIN, SYSTEM_ADMIN, roles_setup
from ledger.auditing import Kind

AUDIT_LIST = "/admin/audit/auditrecord/"
EXPORT = "/audit/export/"
USERS = "/admin/ledger/user/"
LOCKOUTS = "/admin/security/loginfailure/"


def _get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


# what each role gets on each screen: 200 opens, 403 refused (a signed-in admin without the
# model's permission), 302 to the admin's login (not an admin-site user at all)
MATRIX = {
    AUDIT_LIST: {"system": 403, "security": 403, "audit": 200},
    EXPORT: {"system": 403, "security": 403, "audit": 200},
    USERS: {"system": 200, "security": 200, "audit": 403},
    USERS + "add/": {"system": 200, "security": 403, "audit": 403},
    LOCKOUTS: {"system": 403, "security": 200, "audit": 403},
    "/admin/auth/group/": {"system": 403, "security": 403, "audit": 403},
    "/admin/ledger/department/": {"system": 200, "security": 403, "audit": 403},
}


@pytest.mark.parametrize("url", MATRIX)
@pytest.mark.parametrize("role", ["system", "security", "audit"])
def test_each_role_reaches_exactly_its_screens(roles, client, url, role):
    assert _get(client, roles[role], url).status_code == MATRIX[url][role]


def test_other_roles_see_no_admin_and_no_audit_export(world, roles, client):
    for user in (world.staff_a, world.supervisor, world.leader.user):
        assert _get(client, user, AUDIT_LIST).status_code == 302
        assert _get(client, user, EXPORT).status_code == 403


def test_the_admin_index_shows_each_role_only_its_own(roles, client):
    index = {role: _get(client, user, "/admin/").content.decode() for role, user in roles.items()}
    assert "安全审计日志" in index["audit"]
    assert "安全审计日志" not in index["system"] and "安全审计日志" not in index["security"]
    assert "登录失败与锁定" in index["security"] and "登录失败与锁定" not in index["system"]


def test_the_audit_log_is_read_only_even_for_the_superuser(world, roles, client):
    record = AuditRecord.objects.order_by("-seq").first()
    for user in (roles["audit"], world.admin):
        client.force_login(user)
        assert client.get(AUDIT_LIST + "add/").status_code == 403
        assert client.get(f"{AUDIT_LIST}{record.pk}/delete/").status_code == 403
        page = client.get(f"{AUDIT_LIST}{record.pk}/change/")
        assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
        response = client.post(
            AUDIT_LIST, {"action": "delete_selected", "_selected_action": [record.pk]}
        )
        assert AuditRecord.objects.filter(pk=record.pk).exists()
        assert response.status_code in (200, 302)


def test_the_audit_admin_cannot_change_accounts(roles, client, world):
    client.force_login(roles["audit"])
    response = client.post(f"{USERS}{world.staff_a.pk}/change/", {"username": "renamed"})
    assert response.status_code == 403
    world.staff_a.refresh_from_db()
    assert world.staff_a.username == "staff_a"


def test_the_security_admin_sees_accounts_but_cannot_change_them(roles, client, world):
    client.force_login(roles["security"])
    page = client.get(f"{USERS}{world.staff_a.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    response = client.post(f"{USERS}{world.staff_a.pk}/change/", {"username": "renamed"})
    assert response.status_code == 403


def test_the_system_admin_cannot_raise_rights_or_touch_the_other_two(roles, client, world):
    system = roles["system"]
    client.force_login(system)
    # groups, direct permissions and the superuser flag are not his to give
    html = client.get(f"{USERS}{world.staff_a.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in html and 'name="groups"' not in html
    assert 'name="user_permissions"' not in html
    # the audit and security administrators' accounts and the superuser's are not his
    for other in (roles["audit"], roles["security"], world.admin):
        page = client.get(f"{USERS}{other.pk}/change/")
        assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
        assert client.get(f"{USERS}{other.pk}/password/").status_code == 403
        assert client.get(f"{USERS}{other.pk}/delete/").status_code == 403
    # not through the bulk action either
    client.post(USERS, {"action": "deactivate_users", "_selected_action": [roles["audit"].pk]})
    roles["audit"].refresh_from_db()
    assert roles["audit"].is_active


def test_the_system_admin_manages_an_ordinary_account(roles, client, world):
    client.force_login(roles["system"])
    client.post(USERS, {"action": "deactivate_users", "_selected_action": [world.staff_b.pk]})
    world.staff_b.refresh_from_db()
    assert not world.staff_b.is_active


def test_the_audit_admin_exports_and_the_export_is_recorded(roles, client, world):
    client.force_login(roles["audit"])
    client.logout()
    client.post("/accounts/login/", {"username": "staff_a", "password": "wrong"})
    client.force_login(roles["audit"])
    response = client.get(EXPORT, {"date_from": "2000-01-01", "date_to": "2001-06-30"})
    assert response.status_code == 400  # over a year
    assert "一次最多导出 366 天" in response.content.decode()
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    response = client.get(
        EXPORT,
        {"date_from": today, "date_to": today, "kind": Kind.SIGN_IN_FAILED, "username": "staff_a"},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 1 and rows[0][2] == "登录失败" and rows[0][4] == "staff_a"
    exported = AuditRecord.objects.filter(kind=Kind.AUDIT_EXPORTED).get()
    assert exported.actor_id == roles["audit"].pk
    assert exported.detail == {
        "filter": {
            "date_from": today,
            "date_to": today,
            "kind": "sign_in_failed",
            "username": "staff_a",
        },
        "rows": 1,
    }


@pytest.mark.parametrize(
    "params, message",
    [
        ({"date_from": "2026-02-01", "date_to": "2026-01-01"}, "结束日期不能早于开始日期"),
        ({"date_from": "not-a-date", "date_to": "2026-01-01"}, "日期"),
        ({"date_from": "2026-01-01", "date_to": "2026-01-02", "kind": "nonsense"}, "nonsense"),
    ],
)
def test_a_bad_export_filter_is_a_clear_400_and_records_nothing(roles, client, params, message):
    client.force_login(roles["audit"])
    response = client.get(EXPORT, params)
    assert response.status_code == 400 and message in response.content.decode()
    assert not AuditRecord.objects.filter(kind=Kind.AUDIT_EXPORTED).exists()


def test_roles_setup_is_idempotent_and_puts_back_what_was_changed(db):
    first = roles_setup()
    assert set(first) == set(ROLE_GROUPS)
    audit = Group.objects.get(name=AUDIT_ADMIN)
    assert sorted(audit.permissions.values_list("codename", flat=True)) == [
        "export_auditrecord",
        "view_auditrecord",
    ]
    from django.contrib.auth.models import Permission

    audit.permissions.add(Permission.objects.get(codename="change_user"))
    assert roles_setup() == first
    assert not audit.permissions.filter(codename="change_user").exists()
    system = Group.objects.get(name=SYSTEM_ADMIN)
    assert system.permissions.filter(codename="change_user").exists()
    assert not system.permissions.filter(content_type__app_label__in=["audit", "auth"]).exists()
    security = Group.objects.get(name=SECURITY_ADMIN)
    assert security.permissions.filter(codename="delete_loginfailure").exists()
    assert not security.permissions.filter(codename="change_user").exists()


def test_the_audit_list_links_to_the_export_and_shows_chinese_labels(roles, client):
    html = _get(client, roles["audit"], AUDIT_LIST).content.decode()
    assert f'href="{EXPORT}"' in html and "导出 Excel" in html
    assert "类别" in html and "来源地址" in html and "结果" in html
