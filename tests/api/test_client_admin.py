"""API clients registered by an administrator: the service account, the secret shown once and
working against the API, rotation with an overlap, revocation, the address allow-list, the
service account refused at sign-in, and who may manage clients."""

import datetime
import re

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from ledger import auditing
from ledger.api.models import ApiClient, ClientSecret
from ledger.api.secrets import digest_of, secret_parse
from ledger.audit.roles import SECURITY_ADMIN, SYSTEM_ADMIN, roles_setup
from tests import factories as f

ADD = "/admin/api/apiclient/"
SCHEMA = "/api/v1/schema/"
SECRET_RE = re.compile(r"zzc_[0-9a-f]{12}_[A-Za-z0-9_-]+")


@pytest.fixture
def audit_lines():
    lines = []

    def receiver(sender, **kwargs):
        lines.append(kwargs)

    auditing.audit_recorded.connect(receiver, dispatch_uid="test_client_admin")
    yield lines
    auditing.audit_recorded.disconnect(dispatch_uid="test_client_admin")


def _add_data(world, **overrides):
    data = {
        "name": "12345 Hotline",
        "department": world.oversight.pk,
        "source": world.source.pk,
        "scopes": ["intake", "issues:read"],
        "sees": "own",
        "categories": [world.category.pk],
        "allowed_ips": "",
        "rate_per_minute": "",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def _register(client, world, **overrides):
    response = client.post(reverse("admin:api_apiclient_add"), _add_data(world, **overrides))
    assert response.status_code == 200, response.content.decode()[:2000]
    found = SECRET_RE.findall(response.content.decode())
    assert len(set(found)) == 1, "the new secret is on the answer to the save"
    return ApiClient.objects.get(name=overrides.get("name", "12345 Hotline")), found[0]


def _call(client, secret, **extra):
    return client.get(SCHEMA, headers={"authorization": f"Bearer {secret}"}, **extra)


@pytest.fixture
def admin_client_(client, world):
    client.force_login(world.admin)
    return client


def test_registering_makes_the_service_account_and_shows_the_secret_once(
    admin_client_, world, audit_lines
):
    client_, secret = _register(admin_client_, world)
    account = client_.account
    assert account.username == "api_12345-hotline"
    assert account.role == "staff" and account.department == world.oversight
    assert account.name == "12345 Hotline"
    assert not account.has_usable_password() and not account.is_staff
    assert not account.is_superuser and account.is_active
    assert client_.created_by == world.admin
    assert client_.scopes == ["issues:read", "intake"]  # in SCOPES' order
    assert list(client_.categories.all()) == [world.category]
    _kind, prefix, secret_part = secret_parse(secret)
    stored = ClientSecret.objects.get(client=client_)
    assert stored.prefix == prefix and stored.digest == digest_of(secret_part)
    assert stored.expires_at is None
    # the secret is never shown again
    for url in (
        reverse("admin:api_apiclient_change", args=[client_.pk]),
        reverse("admin:api_apiclient_changelist"),
        reverse("admin:api_clientsecret_changelist"),
        reverse("admin:api_clientsecret_change", args=[stored.pk]),
    ):
        page = admin_client_.get(url)
        assert page.status_code == 200
        assert secret not in page.content.decode() and secret_part not in page.content.decode()
    assert any(line["kind"] == auditing.Kind.API_CLIENT_REGISTERED for line in audit_lines)
    assert all(secret_part not in str(line) for line in audit_lines)


def test_the_secret_authenticates_and_is_recorded_as_used(admin_client_, world):
    client_, secret = _register(admin_client_, world)
    caller = type(admin_client_)()
    assert _call(caller, secret).status_code == 200
    assert ClientSecret.objects.get(client=client_).last_used_at is not None
    assert _call(caller, secret[:-1] + ("A" if secret[-1] != "A" else "B")).status_code == 401


def test_a_chinese_name_gets_a_unique_account_name(admin_client_, world):
    first, _secret = _register(admin_client_, world, name="企业服务平台")
    second, _secret = _register(admin_client_, world, name="另一个平台")
    assert first.account.username == "api_client"
    assert second.account.username == "api_client_2"


def test_rotation_keeps_the_old_secret_for_the_overlap_then_refuses_it(
    admin_client_, world, settings, audit_lines
):
    settings.API_SECRET_OVERLAP_HOURS = 72
    client_, old = _register(admin_client_, world)
    before = timezone.now()
    response = admin_client_.post(
        reverse("admin:api_apiclient_changelist"),
        {"action": "rotate_secret", "_selected_action": [client_.pk]},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    new = SECRET_RE.findall(response.content.decode())
    assert len(set(new)) == 1 and new[0] != old
    new = new[0]
    old_row = ClientSecret.objects.get(prefix=secret_parse(old)[1])
    overlap = datetime.timedelta(hours=72)
    assert before + overlap <= old_row.expires_at <= timezone.now() + overlap
    caller = type(admin_client_)()
    assert _call(caller, old).status_code == 200, "the old secret works during the overlap"
    assert _call(caller, new).status_code == 200
    # the overlap is over
    ClientSecret.objects.filter(pk=old_row.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert _call(caller, old).status_code == 401
    assert _call(caller, new).status_code == 200
    assert any(line["kind"] == auditing.Kind.API_SECRET_ROTATED for line in audit_lines)
    assert (
        "已过期"
        in admin_client_.get(
            reverse("admin:api_apiclient_change", args=[client_.pk])
        ).content.decode()
    )


def test_rotating_again_does_not_lengthen_an_old_secrets_overlap(admin_client_, world):
    client_, old = _register(admin_client_, world)
    url = reverse("admin:api_apiclient_changelist")
    admin_client_.post(url, {"action": "rotate_secret", "_selected_action": [client_.pk]})
    old_row = ClientSecret.objects.get(prefix=secret_parse(old)[1])
    soon = timezone.now() + datetime.timedelta(hours=1)
    ClientSecret.objects.filter(pk=old_row.pk).update(expires_at=soon)
    admin_client_.post(url, {"action": "rotate_secret", "_selected_action": [client_.pk]})
    assert ClientSecret.objects.get(pk=old_row.pk).expires_at == soon
    assert ClientSecret.objects.filter(client=client_).count() == 3


def test_a_revoked_secret_is_refused_at_once(admin_client_, world, audit_lines):
    client_, secret = _register(admin_client_, world)
    row = ClientSecret.objects.get(client=client_)
    response = admin_client_.post(
        reverse("admin:api_clientsecret_changelist"),
        {"action": "revoke", "_selected_action": [row.pk]},
    )
    assert response.status_code == 302
    assert ClientSecret.objects.get(pk=row.pk).revoked_at is not None
    assert _call(type(admin_client_)(), secret).status_code == 401
    assert any(line["kind"] == auditing.Kind.API_SECRET_REVOKED for line in audit_lines)


def test_secrets_cannot_be_added_or_deleted_by_hand(admin_client_, world):
    assert admin_client_.get(reverse("admin:api_clientsecret_add")).status_code == 403
    client_, _secret = _register(admin_client_, world)
    row = ClientSecret.objects.get(client=client_)
    assert (
        admin_client_.post(
            reverse("admin:api_clientsecret_delete", args=[row.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert ClientSecret.objects.filter(pk=row.pk).exists()


def test_the_address_allow_list(admin_client_, world):
    _client, secret = _register(
        admin_client_, world, allowed_ips="10.1.2.0/24\n\n  192.0.2.7 \n2001:db8::/32"
    )
    assert _client.allowed_ips == "10.1.2.0/24\n192.0.2.7\n2001:db8::/32"
    caller = type(admin_client_)()
    refused = _call(caller, secret, REMOTE_ADDR="198.51.100.1")
    assert refused.status_code == 403
    assert _call(caller, secret, REMOTE_ADDR="10.1.2.99").status_code == 200
    assert _call(caller, secret, REMOTE_ADDR="192.0.2.7").status_code == 200
    assert _call(caller, secret, REMOTE_ADDR="192.0.2.8").status_code == 403


@pytest.mark.parametrize(
    ("allowed", "line"),
    [("10.1.2.0/24\n10.1.2.300", 2), ("intranet", 1), ("10.0.0.0/33", 1), ("1.2.3.4\x00", 1)],
)
def test_a_wrong_allow_list_line_is_named_and_nothing_is_saved(admin_client_, world, allowed, line):
    users = get_user_model().objects.count()
    response = admin_client_.post(
        reverse("admin:api_apiclient_add"), _add_data(world, allowed_ips=allowed)
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert f"第 {line} 行" in body or "Null characters" in body or "空字符" in body
    assert not SECRET_RE.search(body)
    assert not ApiClient.objects.exists() and not ClientSecret.objects.exists()
    assert get_user_model().objects.count() == users


def test_unknown_scope_and_missing_name_are_refused(admin_client_, world):
    for overrides in ({"scopes": ["everything"]}, {"name": "  "}, {"rate_per_minute": "0"}):
        response = admin_client_.post(
            reverse("admin:api_apiclient_add"), _add_data(world, **overrides)
        )
        assert response.status_code == 200 and "errornote" in response.content.decode()
    assert not ApiClient.objects.exists()


def test_deactivating_a_client_deactivates_its_account(admin_client_, world, audit_lines):
    client_, secret = _register(admin_client_, world)
    response = admin_client_.post(
        reverse("admin:api_apiclient_changelist"),
        {"action": "deactivate", "_selected_action": [client_.pk]},
    )
    assert response.status_code == 302
    client_.refresh_from_db()
    client_.account.refresh_from_db()
    assert not client_.is_active and not client_.account.is_active
    assert _call(type(admin_client_)(), secret).status_code == 401
    assert any(line["kind"] == auditing.Kind.API_CLIENT_CHANGED for line in audit_lines)


def test_the_change_form_keeps_the_account_in_step(admin_client_, world):
    client_, secret = _register(admin_client_, world)
    secrets = list(ClientSecret.objects.filter(client=client_))
    data = _add_data(world, name="12345 热线平台", department=world.dept_a.pk)
    data.pop("is_active")  # unticked: switched off
    data.update(
        {
            "secrets-TOTAL_FORMS": len(secrets),
            "secrets-INITIAL_FORMS": len(secrets),
            "secrets-MIN_NUM_FORMS": 0,
            "secrets-MAX_NUM_FORMS": 1000,
        }
    )
    for i, row in enumerate(secrets):
        data[f"secrets-{i}-id"] = row.pk
        data[f"secrets-{i}-client"] = client_.pk
    response = admin_client_.post(reverse("admin:api_apiclient_change", args=[client_.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    account = get_user_model().objects.get(pk=client_.account_id)
    assert account.name == "12345 热线平台" and account.department == world.dept_a
    assert not account.is_active
    assert _call(type(admin_client_)(), secret).status_code == 401


def test_the_service_account_cannot_sign_in(client, world):
    account = f.StaffFactory(username="api_hotline", department=world.oversight)
    ApiClient.objects.create(
        name="热线", account=account, department=world.oversight, created_by=world.admin
    )
    # even with a password someone set
    account.set_password("zz-test-pass")
    account.save()
    assert authenticate(HttpRequest(), username="api_hotline", password="zz-test-pass") is None
    response = client.post(
        reverse("login"), {"username": "api_hotline", "password": "zz-test-pass"}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    # a person with the same password still signs in: the refusal is the client's account's
    assert authenticate(HttpRequest(), username="staff_a", password="zz-test-pass") == (
        world.staff_a
    )


def test_a_registered_clients_account_cannot_sign_in(admin_client_, world):
    client_, _secret = _register(admin_client_, world)
    admin_client_.logout()
    assert authenticate(HttpRequest(), username=client_.account.username, password="") is None


def test_the_system_administrator_group_manages_clients_others_do_not(client, world):
    roles_setup()
    sysadmin = f.UserFactory(username="sysadmin_t", role="admin", department=None, is_staff=True)
    sysadmin.groups.set([Group.objects.get(name=SYSTEM_ADMIN)])
    secadmin = f.StaffFactory(username="secadmin_t", department=None, is_staff=True)
    secadmin.groups.set([Group.objects.get(name=SECURITY_ADMIN)])
    client.force_login(sysadmin)
    assert client.get(reverse("admin:api_apiclient_add")).status_code == 200
    _register(client, world)
    client.force_login(secadmin)
    assert client.get(reverse("admin:api_apiclient_add")).status_code == 403
    assert client.get(reverse("admin:api_apiclient_changelist")).status_code == 403
    client.force_login(world.staff_a)
    assert client.get(reverse("admin:api_apiclient_add")).status_code == 302  # not is_staff


def test_the_demo_client_is_seeded_once_and_its_secret_printed_only_under_debug(
    client, world, settings
):
    import io

    from ledger.api.demo import CLIENT_NAME, DEMO_SECRET, demo_client_seed

    settings.DEBUG = True
    out = io.StringIO()
    demo_client_seed(stdout=out)
    demo_client_seed(stdout=out)
    demo = ApiClient.objects.get(name=CLIENT_NAME)
    assert demo.scopes == ["issues:read", "intake"]
    assert demo.source.name == "12345 热线" and demo.department.name == "区政务服务中心"
    assert not demo.account.has_usable_password()
    assert ApiClient.objects.count() == 1 and demo.secrets.count() == 1
    assert out.getvalue().count(DEMO_SECRET) == 2
    assert _call(client, DEMO_SECRET).status_code == 200
    settings.DEBUG = False
    quiet = io.StringIO()
    demo_client_seed(stdout=quiet)
    assert DEMO_SECRET not in quiet.getvalue()
