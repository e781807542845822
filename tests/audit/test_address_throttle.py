"""The security administrator lifts an address's sign-in limit (issue 18, password spraying:
LOGIN_ADDRESS_FAILURE_LIMIT) from the admin, and the audit trail says who, which address and
how many failures were counted."""

from axes.models import AccessAttempt

from ledger.audit.models import AuditRecord
from ledger.auditing import Kind
from ledger.models import ThrottleHit
from ledger.security.throttle import SIGN_IN_SCOPE
from tests import factories as f

LOGIN = "/accounts/login/"
FAILURES = "/admin/security/loginfailure/"
RIGHT = "zz-test-pass"


def _sign_in(client, username, password, address):
    client.logout()
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def _spray(client, address, count=30):
    for n in range(count):
        _sign_in(client, f"nobody{n % 12}", "Winter2026!", address)


def test_the_security_administrator_lifts_an_address_limit_and_it_is_recorded(client, world, roles):
    _spray(client, "192.0.2.10")
    _spray(client, "192.0.2.20")
    person = f.StaffFactory(username="office_clerk")
    assert _sign_in(client, person.username, RIGHT, "192.0.2.10").status_code == 429

    security = roles["security"]
    client.force_login(security)
    page = client.get(FAILURES)
    assert page.status_code == 200
    assert "解除所选记录来源地址的登录限流" in page.content.decode()
    selected = AccessAttempt.objects.filter(ip_address="192.0.2.10").values_list("pk", flat=True)
    assert len(selected) == 13  # one per user name tried from the address, the clerk's too
    response = client.post(
        FAILURES,
        {"action": "address_throttle_clear", "_selected_action": list(selected)},
        follow=True,
    )
    assert "已解除 1 个来源地址的登录限流。" in response.content.decode()

    # that address only: its count is gone, the other's stays, the failure records stay
    assert not ThrottleHit.objects.filter(scope=SIGN_IN_SCOPE, key="ip:192.0.2.10").exists()
    assert ThrottleHit.objects.filter(scope=SIGN_IN_SCOPE, key="ip:192.0.2.20").count() == 30
    assert AccessAttempt.objects.filter(ip_address="192.0.2.10").count() == 13
    record = AuditRecord.objects.filter(kind=Kind.UNLOCKED).get()
    assert record.actor_id == security.pk and record.target == "address 192.0.2.10"
    assert record.detail == {"ip_address": "192.0.2.10", "scope": "address", "failures": 30}
    assert record.target_label == "来源地址 192.0.2.10"

    assert _sign_in(client, person.username, RIGHT, "192.0.2.10").status_code == 302
    assert _sign_in(client, person.username, RIGHT, "192.0.2.20").status_code == 429


def test_only_who_may_delete_failure_records_has_the_action(client, world, roles):
    _spray(client, "192.0.2.30")
    selected = list(AccessAttempt.objects.values_list("pk", flat=True))
    for who in (roles["system"], roles["audit"], world.supervisor):
        client.force_login(who)
        response = client.post(
            FAILURES, {"action": "address_throttle_clear", "_selected_action": selected}
        )
        assert response.status_code in (302, 403), who.username
        if response.status_code == 302:
            assert "/login/" in response.url, who.username
    assert ThrottleHit.objects.filter(scope=SIGN_IN_SCOPE).count() == 30
    assert not AuditRecord.objects.filter(kind=Kind.UNLOCKED).exists()
