"""Sign-in protection: lockout after repeated wrong passwords (django-axes) on both login
pages, visible and lifted in the admin; the client address from a proxy header only when
configured; the password-reset form's limits; Argon2 first among the hashers.
"""

import datetime

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import authenticate
from django.core import mail
from django.http import HttpRequest

import zhongzhan.settings as project_settings
from tests import factories as f

RIGHT = "zz-test-pass"
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


def _post(client, url, username, password, **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def _fail(client, url, username, times, **extra):
    for _ in range(times):
        response = _post(client, url, username, "wrong-password", **extra)
        assert response.status_code in (200, 429)
    return response


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# -- the lockout ----------------------------------------------------------------------


def test_the_configured_limit_is_ten_failures_per_user_and_address_for_thirty_minutes():
    assert settings.AXES_FAILURE_LIMIT == 10
    assert datetime.timedelta(minutes=30) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AUTHENTICATION_BACKENDS[0] == "ledger.security.backends.LockoutBackend"


@pytest.mark.parametrize("url", [LOGIN, ADMIN_LOGIN])
def test_ten_wrong_passwords_lock_the_account_and_the_right_one_is_refused(world, client, url):
    username = world.admin.username
    response = _fail(client, url, username, 9)
    assert response.status_code == 200  # nine: still the form
    response = _post(client, url, username, "wrong-password")
    assert response.status_code == 429
    response = _post(client, url, username, RIGHT)
    assert response.status_code == 429
    assert not _signed_in(client)
    html = response.content.decode()
    assert 'data-testid="lockout"' in html
    assert "账号暂时锁定" in html and "30 分钟" in html and "系统管理员" in html
    # the other login page is locked too: the lock is the user name + address, not the page
    other = ADMIN_LOGIN if url == LOGIN else LOGIN
    assert _post(client, other, username, RIGHT).status_code == 429
    assert not _signed_in(client)


def test_nine_wrong_passwords_then_the_right_one_signs_in_and_clears_the_count(world, client):
    _fail(client, LOGIN, "staff_a", 9)
    response = _post(client, LOGIN, "staff_a", RIGHT)
    assert response.status_code == 302 and _signed_in(client)
    assert not AccessAttempt.objects.filter(username="staff_a").exists()


def test_the_lock_is_per_address_another_address_may_still_sign_in(world, client):
    _fail(client, LOGIN, "staff_a", 10, REMOTE_ADDR="10.0.0.5")
    assert _post(client, LOGIN, "staff_a", RIGHT, REMOTE_ADDR="10.0.0.5").status_code == 429
    response = _post(client, LOGIN, "staff_a", RIGHT, REMOTE_ADDR="10.0.0.6")
    assert response.status_code == 302 and _signed_in(client)


def test_the_lock_ends_after_the_cool_off(world, client):
    _fail(client, LOGIN, "staff_a", 10)
    assert _post(client, LOGIN, "staff_a", RIGHT).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=31)
    )
    response = _post(client, LOGIN, "staff_a", RIGHT)
    assert response.status_code == 302 and _signed_in(client)


def test_a_sign_in_without_the_request_is_refused_not_crashing(world):
    assert authenticate(username="staff_a", password=RIGHT) is None
    assert authenticate(HttpRequest(), username="staff_a", password=RIGHT) == world.staff_a


# -- the client address ------------------------------------------------------------------


def test_a_forged_forwarded_header_is_ignored_unless_a_setting_trusts_it(world, client):
    # without CLIENT_IP_HEADER a new X-Forwarded-For per guess does not escape the lock
    for n in range(10):
        _post(client, LOGIN, "staff_a", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = _post(client, LOGIN, "staff_a", RIGHT, HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_behind_a_configured_proxy_the_client_address_comes_from_its_header(
    world, client, settings
):
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.CLIENT_IP_PROXY_COUNT = 1
    # the proxy appends the address it saw; what the client wrote before it is ignored
    _fail(client, LOGIN, "staff_a", 10, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}
    locked = _post(client, LOGIN, "staff_a", RIGHT, HTTP_X_FORWARDED_FOR="9.9.9.9, 198.51.100.7")
    assert locked.status_code == 429
    # another client behind the same proxy is not locked out
    response = _post(client, LOGIN, "staff_a", RIGHT, HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert response.status_code == 302


# -- the admin -------------------------------------------------------------------------


def test_administrators_see_the_lockout_in_chinese_and_lift_it(world, client):
    _fail(client, LOGIN, "staff_a", 10, REMOTE_ADDR="10.1.1.1")
    admin = f.AdminFactory(username="root")
    client.force_login(admin)
    url = "/admin/security/loginfailure/"
    response = client.get(url, {"locked": "yes"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "staff_a" in html and "10.1.1.1" in html
    assert "锁定中" in html and "失败次数" in html and "解除所选记录的锁定" in html
    index = client.get("/admin/").content.decode()
    assert "登录与安全" in index and "登录失败与锁定" in index
    assert "Access attempts" not in index  # axes' own English admin is off
    assert "Attempt Time" not in html

    attempt = AccessAttempt.objects.get(username="staff_a")
    response = client.post(
        url, {"action": "lockout_reset", "_selected_action": [attempt.pk]}, follow=True
    )
    assert "已解除 1 条记录的锁定" in response.content.decode()
    client.logout()
    response = _post(client, LOGIN, "staff_a", RIGHT, REMOTE_ADDR="10.1.1.1")
    assert response.status_code == 302


def test_staff_cannot_open_the_lockout_admin(world, client):
    client.force_login(world.staff_a)
    response = client.get("/admin/security/loginfailure/")
    assert response.status_code == 302  # to the admin's login


# -- the password reset ----------------------------------------------------------------


def _reset(client, email, **extra):
    return client.post("/accounts/password_reset/", {"email": email}, **extra)


def test_password_reset_is_limited_per_email_address(world, client):
    email = world.staff_a.email
    for _ in range(3):
        assert _reset(client, email).status_code == 302
    assert len(mail.outbox) == 3
    response = _reset(client, email.upper(), REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 429
    assert 'data-testid="throttled"' in response.content.decode()
    assert len(mail.outbox) == 3
    # another address entered from the same client is still served
    assert _reset(client, world.staff_b.email).status_code == 302


def test_password_reset_is_limited_per_client_address(world, client, settings):
    settings.PASSWORD_RESET_THROTTLE = {**settings.PASSWORD_RESET_THROTTLE, "PER_ADDRESS": 4}
    for n in range(4):
        assert _reset(client, f"nobody{n}@example.invalid").status_code == 302
    assert _reset(client, "nobody9@example.invalid").status_code == 429
    # a GET of the form is never counted or refused
    assert client.get("/accounts/password_reset/").status_code == 200
    assert _reset(client, "x@example.invalid", REMOTE_ADDR="10.2.2.2").status_code == 302


# -- hashing -------------------------------------------------------------------------------


def test_argon2_is_the_first_password_hasher():
    # tests swap in MD5 for speed (tests/conftest.py); the project's own list is this
    assert project_settings.PASSWORD_HASHERS[0] == (
        "django.contrib.auth.hashers.Argon2PasswordHasher"
    )
    from django.contrib.auth.hashers import Argon2PasswordHasher

    hasher = Argon2PasswordHasher()
    encoded = hasher.encode("zz-test-pass", hasher.salt())
    assert encoded.startswith("argon2$") and hasher.verify("zz-test-pass", encoded)


def test_the_change_pages_of_the_login_records_open(world, client):
    from axes.models import AccessLog

    _fail(client, LOGIN, "staff_a", 2)
    assert _post(client, LOGIN, "staff_a", RIGHT).status_code == 302
    client.logout()
    _fail(client, LOGIN, "staff_b", 1)
    client.force_login(world.admin)
    failure = AccessAttempt.objects.get(username="staff_b")
    record = AccessLog.objects.filter(username="staff_a").first()
    for url in (
        f"/admin/security/loginfailure/{failure.pk}/change/",
        f"/admin/security/loginrecord/{record.pk}/change/",
        "/admin/security/loginrecord/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "staff_" in response.content.decode()
