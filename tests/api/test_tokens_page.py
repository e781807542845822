"""A person's own API tokens (/account/tokens/): shown once, stored hashed, capped in life,
single-use creation form, revocation, two-factor where sign-in asks for it, people only."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from ledger import auditing
from ledger.api import views_access
from ledger.api.models import ApiClient, PersonalToken
from ledger.api.secrets import digest_of, secret_parse
from ledger.security import account_policy
from tests import factories as f

PAGE = "/account/tokens/"
SCHEMA = "/api/v1/schema/"
TOKEN_RE = re.compile(r"zzp_[0-9a-f]{12}_[A-Za-z0-9_-]+")


@pytest.fixture
def audit_lines():
    lines = []

    def receiver(sender, **kwargs):
        lines.append(kwargs)

    auditing.audit_recorded.connect(receiver, dispatch_uid="test_tokens_page")
    yield lines
    auditing.audit_recorded.disconnect(dispatch_uid="test_tokens_page")


def _form(client) -> dict:
    page = client.get(PAGE)
    assert page.status_code == 200
    token = re.search(r'name="creation_token" value="([0-9a-f]{32})"', page.content.decode())
    assert token, "the page carries its single-use token"
    return {"name": "办公电脑客户端", "days": "30", "creation_token": token.group(1)}


def _create(client, **overrides):
    data = {**_form(client), **overrides}
    return client.post(PAGE, data), data


def _bearer(client, plain):
    return client.get(SCHEMA, headers={"authorization": f"Bearer {plain}"})


def test_reverse_names():
    assert reverse("api:token_list") == PAGE
    assert reverse("api:token_revoke", kwargs={"pk": 7}) == "/account/tokens/7/revoke/"


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_creating_a_token_shows_it_once_and_stores_only_its_digest(client, world, audit_lines):
    client.force_login(world.staff_a)
    response, _data = _create(client)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    found = TOKEN_RE.findall(response.content.decode())
    assert len(set(found)) == 1, "the new token is on the answer to the POST"
    plain = found[0]
    kind, prefix, secret_part = secret_parse(plain)
    token = PersonalToken.objects.get(user=world.staff_a)
    assert (token.name, token.prefix) == ("办公电脑客户端", prefix)
    assert token.digest == digest_of(secret_part) and secret_part not in token.digest
    assert abs(token.expires_at - (token.created_at + datetime.timedelta(days=30))) < (
        datetime.timedelta(seconds=1)
    )
    # never again: the list shows the prefix only
    again = client.get(PAGE).content.decode()
    assert plain not in again and f"zzp_{prefix}" in again
    created = [line for line in audit_lines if line["kind"] == auditing.Kind.API_TOKEN_CREATED]
    assert len(created) == 1 and created[0]["actor_id"] == world.staff_a.pk
    assert created[0]["detail"]["token"] == prefix
    assert plain not in str(created[0]) and secret_part not in str(created[0])


def test_token_authenticates_until_revoked(client, world, audit_lines):
    client.force_login(world.staff_a)
    response, _data = _create(client)
    plain = TOKEN_RE.search(response.content.decode()).group(0)
    caller = type(client)()  # no session: the token alone
    assert _bearer(caller, plain).status_code == 200
    token = PersonalToken.objects.get(user=world.staff_a)
    assert token.last_used_at is not None
    confirm = client.get(reverse("api:token_revoke", kwargs={"pk": token.pk}))
    assert confirm.status_code == 200 and "确认吊销" in confirm.content.decode()
    assert PersonalToken.objects.get(pk=token.pk).revoked_at is None, "a GET revokes nothing"
    done = client.post(reverse("api:token_revoke", kwargs={"pk": token.pk}))
    assert done.status_code == 302 and done["Location"] == PAGE
    assert PersonalToken.objects.get(pk=token.pk).revoked_at is not None
    assert _bearer(caller, plain).status_code == 401
    assert any(line["kind"] == auditing.Kind.API_TOKEN_REVOKED for line in audit_lines)
    assert "已吊销" in client.get(PAGE).content.decode()


def test_expired_token_is_refused(client, world):
    client.force_login(world.staff_a)
    response, _data = _create(client, days="1")
    plain = TOKEN_RE.search(response.content.decode()).group(0)
    PersonalToken.objects.filter(user=world.staff_a).update(
        created_at=timezone.now() - datetime.timedelta(days=3),
        expires_at=timezone.now() - datetime.timedelta(days=2),
    )
    assert _bearer(type(client)(), plain).status_code == 401
    assert "已过期" in client.get(PAGE).content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"days": "366"}, "有效期最长 365 天"),
        ({"days": "0"}, ""),
        ({"days": "-5"}, ""),
        ({"days": "九十"}, "请输入天数"),
        ({"days": "1" * 400}, ""),
        ({"name": "   "}, ""),
        ({"name": "长" * 61}, ""),
        ({"name": "a\x00b"}, ""),
        ({"creation_token": "not-a-token"}, "页面信息不完整"),
        ({"creation_token": ""}, "页面信息不完整"),
    ],
)
def test_bad_input_says_why_and_creates_nothing(client, world, settings, overrides, message):
    settings.API_TOKEN_MAX_DAYS = 365
    client.force_login(world.staff_a)
    response, _data = _create(client, **overrides)
    assert response.status_code == 200
    body = response.content.decode()
    assert "尚未保存" in body
    assert message in body
    assert not TOKEN_RE.search(body)
    assert not PersonalToken.objects.exists()


def test_longest_life_follows_the_setting(client, world, settings):
    settings.API_TOKEN_MAX_DAYS = 10
    client.force_login(world.staff_a)
    response, _data = _create(client, days="11")
    assert "有效期最长 10 天" in response.content.decode()
    response, _data = _create(client, days="10")
    assert TOKEN_RE.search(response.content.decode())


def test_sending_the_form_twice_creates_one_token(client, world):
    client.force_login(world.staff_a)
    first, data = _create(client)
    assert TOKEN_RE.search(first.content.decode())
    second = client.post(PAGE, data, follow=True)
    assert PersonalToken.objects.filter(user=world.staff_a).count() == 1
    body = second.content.decode()
    assert "未重复创建" in body and not TOKEN_RE.search(body)


def test_someone_elses_token_is_not_found(client, world):
    client.force_login(world.staff_a)
    response, _data = _create(client)
    token = PersonalToken.objects.get(user=world.staff_a)
    client.force_login(world.staff_b)
    url = reverse("api:token_revoke", kwargs={"pk": token.pk})
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert PersonalToken.objects.get(pk=token.pk).revoked_at is None
    assert f"zzp_{token.prefix}" not in client.get(PAGE).content.decode()


def test_revoking_twice_changes_nothing_more(client, world, audit_lines):
    client.force_login(world.staff_a)
    _create(client)
    token = PersonalToken.objects.get(user=world.staff_a)
    url = reverse("api:token_revoke", kwargs={"pk": token.pk})
    client.post(url)
    first = PersonalToken.objects.get(pk=token.pk).revoked_at
    client.post(url)
    assert PersonalToken.objects.get(pk=token.pk).revoked_at == first
    revoked = [line for line in audit_lines if line["kind"] == auditing.Kind.API_TOKEN_REVOKED]
    assert len(revoked) == 1


def _sign_in_done(client, user):
    """Signed in with the account policy's steps cleared, so the page's own rule is what is
    tested (the middleware would first send the session to enrol or verify)."""
    client.force_login(user)
    session = client.session
    session[account_policy.TODO] = []
    session.save()


def _verified(client, device):
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.mark.parametrize("mode", ["everyone", "privileged"])
def test_where_two_factor_is_required_creation_needs_a_verified_session(
    client, world, settings, mode
):
    settings.LEDGER_REQUIRE_2FA = mode
    user = world.supervisor  # asked in both modes
    _sign_in_done(client, user)
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    page = client.get(PAGE)
    assert "退出后重新登录并输入验证码" in page.content.decode()
    response, _data = _create(client)
    assert response.status_code == 403
    assert "创建令牌前，请先在本次登录中完成两步验证" in response.content.decode()
    assert not PersonalToken.objects.exists()
    _verified(client, device)
    response, _data = _create(client)
    assert response.status_code == 200 and TOKEN_RE.search(response.content.decode())


def test_a_device_of_someone_else_does_not_verify_the_session(client, world, settings):
    settings.LEDGER_REQUIRE_2FA = "everyone"
    _sign_in_done(client, world.staff_a)
    other = TOTPDevice.objects.create(user=world.staff_b, name="authenticator", confirmed=True)
    _verified(client, other)
    response, _data = _create(client)
    assert response.status_code == 403
    assert not PersonalToken.objects.exists()


def test_a_user_who_switched_two_factor_on_needs_it_too(client, world, settings):
    settings.LEDGER_REQUIRE_2FA = "off"
    _sign_in_done(client, world.staff_a)
    device = TOTPDevice.objects.create(user=world.staff_a, name="authenticator", confirmed=True)
    assert _create(client)[0].status_code == 403
    _verified(client, device)
    assert _create(client)[0].status_code == 200
    assert PersonalToken.objects.count() == 1


def test_without_two_factor_asked_a_plain_session_creates(client, world, settings):
    settings.LEDGER_REQUIRE_2FA = "privileged"
    _sign_in_done(client, world.staff_a)  # staff: not asked in this mode
    assert _create(client)[0].status_code == 200
    assert PersonalToken.objects.count() == 1


@pytest.mark.parametrize(
    "mode, asked",
    [
        ("off", set()),
        ("privileged", {"supervisor", "admin", "staff_in_admin"}),
        ("everyone", {"staff_a", "supervisor", "admin", "leader", "staff_in_admin"}),
    ],
)
def test_the_token_page_asks_the_sign_ins_two_factor_rule(world, settings, mode, asked):
    """One rule (ledger.rules.two_factor_required) for the sign-in and this page."""
    settings.LEDGER_REQUIRE_2FA = mode
    staff_flag = f.StaffFactory(username="staff_in_admin", is_staff=True)
    people = {
        "staff_a": world.staff_a,
        "supervisor": world.supervisor,
        "admin": world.admin,
        "leader": world.leader.user,
        "staff_in_admin": staff_flag,
    }
    assert views_access.two_factor_required is account_policy.two_factor_required
    assert {name for name, user in people.items() if views_access.two_factor_required(user)} == (
        asked
    )


def test_system_accounts_do_not_get_the_page(client, db):
    system = get_user_model().objects.get(username="zz_system")
    client.force_login(system)
    # its session is ended before any view (ledger/security/sessions.py): sent to sign in
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_api_clients_account_does_not_get_the_page(client, world):
    account = f.StaffFactory(username="api_hotline", department=world.oversight)
    ApiClient.objects.create(
        name="热线", account=account, department=world.oversight, created_by=world.admin
    )
    client.force_login(account)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"name": "x", "days": "1"}).status_code == 403
    assert not PersonalToken.objects.exists()


def test_the_user_menu_links_the_page(client, world):
    client.force_login(world.staff_a)
    assert f'href="{PAGE}"' in client.get(reverse("home")).content.decode()
