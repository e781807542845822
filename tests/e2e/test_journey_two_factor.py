"""Journey: two-factor sign-in and the password policy, in a real browser over real HTTP, on a
demo server of its own with LEDGER_REQUIRE_2FA=privileged and PASSWORD_CHANGE_INITIAL on (the
production defaults; the shared server turns them off for the other journeys):

- the supervisor signs in with the demo password and is sent to enrolment before anything
  else; reads the secret beside the QR code (as a phone app would after scanning), confirms
  with the app's code and is shown ten recovery codes; signs out;
- signs in again: after the password the code is asked, and the ledger opens only after it;
- signs in with a recovery code instead; the same code is refused the next time;
- the administrator's admin pages need the code too: /admin/ sends to enrolment;
- a staff member (optional for staff) is asked for no code;
- an initial password (the demo's, or one a script set) is changed first: 修改密码 opens before
  anything else, after the code.

    DEBUG=1 .venv/bin/pytest -m e2e tests/e2e/test_journey_two_factor.py
"""

import base64
import re
import subprocess
import sys
import time

import pytest
from django_otp.oath import TOTP

from tests.e2e.conftest import (
    PASSWORD,
    ROOT,
    Session,
    axe_violations,
    demo_server,
    require_chromium,
)

pytestmark = pytest.mark.e2e

CODE = re.compile(r"^\s*验证码\s*\*?\s*$")  # the field's label (required fields carry a *)
NEW_PASSWORD = "Supervisor-2026-new"
POLICIES = {"LEDGER_REQUIRE_2FA": "privileged", "PASSWORD_CHANGE_INITIAL": "1"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    with demo_server(tmp_path_factory.mktemp("e2e_2fa"), extra_env=POLICIES) as running:
        yield running


@pytest.fixture(scope="module")
def chromium(server, chromium_browser):
    """The run's browser without the shared demo server (the `browser` fixture starts that):
    this module signs in to a server of its own, with both policies on."""
    return chromium_browser


@pytest.fixture
def session(chromium, server):
    made = Session(chromium, server[0])
    yield made
    made.close()


def app_code(secret: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for this secret (30-second steps, 6 digits)."""
    secret = secret.replace(" ", "")
    totp = TOTP(base64.b32decode(secret + "=" * (-len(secret) % 8)), step=30, digits=6)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def password_step(session, username, password=PASSWORD):
    session.context.clear_cookies()
    session.goto("/accounts/login/")
    session.page.get_by_label("用户名", exact=True).fill(username)
    session.page.get_by_label("密码", exact=True).fill(password)
    with session.page.expect_navigation():
        session.page.get_by_role("button", name="登录").click()


def visit(session, path):
    """Open a page without waiting for the bell: until sign-in is done it has no count."""
    session.page.goto(session.base + path)


def change_password(session, old, new):
    page = session.page
    assert "/accounts/password_change/" in page.url
    assert page.get_by_text("您的密码由他人设置或已到期").is_visible()
    page.get_by_label(re.compile(r"^\s*旧密码")).fill(old)
    page.get_by_label(re.compile(r"^\s*新密码\s*\*?\s*$")).fill(new)
    page.get_by_label(re.compile(r"^\s*新密码确认")).fill(new)
    with page.expect_navigation():
        page.get_by_role("button", name="修改密码").click()
    assert "/accounts/password_change/done/" in page.url


def give_code(session, code):
    session.page.get_by_label(CODE).fill(code)
    with session.page.expect_navigation():
        session.page.get_by_role("button", name="验证").click()


def sign_out(session):
    with session.page.expect_navigation():
        session.page.get_by_role("button", name="退出").click()


def test_the_supervisor_enrols_and_signs_in_with_a_code(session):
    page = session.page
    password_step(session, "supervisor")
    assert "/account/two-factor/enrol/" in page.url
    assert page.get_by_role("heading", name="启用两步验证").is_visible()
    assert not page.get_by_role("button", name=re.compile("通知")).count(), "no bell yet"
    # nothing else opens before enrolment
    visit(session, "/issues/")
    assert "/account/two-factor/enrol/" in page.url
    qr = page.get_by_role("img", name="两步验证的二维码")
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0"), "the QR code is drawn"
    secret = page.get_by_test_id("otp-secret").inner_text()
    found = axe_violations(page, "enrolment")
    page.get_by_label(CODE).fill(app_code(secret))
    with page.expect_navigation():
        page.get_by_role("button", name="确认并启用").click()
    assert page.get_by_role("heading", name="两步验证已启用").is_visible()
    codes = page.get_by_test_id("recovery-codes").get_by_role("listitem").all_inner_texts()
    assert len(codes) == 10
    with page.expect_navigation():
        page.get_by_role("link", name="我已保存恢复码，继续").click()
    # the demo password was not chosen by its holder: changed next, before the ledger
    change_password(session, PASSWORD, NEW_PASSWORD)
    session.goto("/issues/")
    assert page.url.endswith("/issues/")
    sign_out(session)

    # the password, then the code (the next step's: a code is taken once)
    password_step(session, "supervisor", NEW_PASSWORD)
    assert "/account/two-factor/verify/" in page.url
    visit(session, "/issues/")
    assert "/account/two-factor/verify/" in page.url, "the ledger waits for the code"
    found += axe_violations(page, "the code after the password")
    assert found == [], found
    give_code(session, "000000")
    assert page.get_by_text("验证码不正确").is_visible()
    time.sleep(1.2)  # django-otp's back-off after a wrong code
    give_code(session, app_code(secret, steps_ahead=1))
    assert page.url.endswith("/issues/")
    sign_out(session)

    # a recovery code instead of the phone, once
    password_step(session, "supervisor", NEW_PASSWORD)
    give_code(session, codes[0])
    assert "/account/two-factor/verify/" not in page.url
    assert page.get_by_text("您用了一个恢复码，还剩 9 个").is_visible()
    sign_out(session)
    password_step(session, "supervisor", NEW_PASSWORD)
    give_code(session, codes[0])
    assert "/account/two-factor/verify/" in page.url
    assert page.get_by_text("验证码不正确").is_visible()
    assert session.errors == []


def test_the_admin_pages_ask_the_administrator_to_enrol(session):
    password_step(session, "admin")
    visit(session, "/admin/")
    assert "/account/two-factor/enrol/" in session.page.url
    assert session.page.get_by_text("您的角色必须启用两步验证").is_visible()


def test_staff_are_asked_for_no_code(session):
    password_step(session, "staff")
    visit(session, "/issues/")
    assert "/account/two-factor/" not in session.page.url
    assert "/accounts/password_change/" in session.page.url  # the demo's initial password


SCRIPTED_ACCOUNT = """
from django.contrib.auth import get_user_model
from ledger.models import Department

get_user_model().objects.create_user(
    username="zz_initial", password="Given-2026-pass", name="旅程初始密码", role="staff",
    department=Department.objects.get(name="区工信局"),
)
"""


def test_a_password_set_by_someone_else_is_changed_first(session, server):
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-c", SCRIPTED_ACCOUNT],
        cwd=ROOT,
        env=server[1],
        check=True,
        capture_output=True,
    )
    page = session.page
    password_step(session, "zz_initial", "Given-2026-pass")
    change_password(session, "Given-2026-pass", "Mine-2026-zz!")
    session.goto("/issues/")
    assert page.url.endswith("/issues/")
    assert session.errors == []
