"""Journey 13: signing in, in a real browser over real HTTP, with throwaway accounts (never a
demo login, so no other journey finds its user locked or its password changed):

- LOGIN_FAILURE_LIMIT wrong passwords lock the account out of sign-in from this address and
  the lockout page says why and for how long; even the right password is then refused;
- a person changes their password (修改密码 in the menu under their name) and signs in
  with the new one;
- a person who forgot it asks for a reset link, reads it in the mail the server sent, follows
  it, sets a new password and signs in with it; the link works once.

    make e2e
"""

import re
import uuid

import pytest

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "docs" / "screenshots"
FIRST_PASSWORD = "Zhongzhan-first-2026"
NEW_PASSWORD = re.compile(r"^\s*新密码\s*\*?\s*$")  # the field's label (required fields carry a *)

ACCOUNT = """
from django.conf import settings
from django.contrib.auth import get_user_model
from ledger.models import Department

get_user_model().objects.create_user(
    username="{username}",
    password="{password}",
    email="{email}",
    name="{name}",
    role="staff",
    department=Department.objects.get(name="区工信局"),
)
print(settings.AXES_FAILURE_LIMIT, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
"""


def throwaway(manage, kind):
    tag = uuid.uuid4().hex[:6]
    username = f"zz_{kind}_{tag}"
    email = f"{username}@example.com"
    out = manage(
        "shell",
        "-c",
        ACCOUNT.format(
            username=username, password=FIRST_PASSWORD, email=email, name=f"旅程{kind}{tag}"
        ),
    )
    limit, cooloff = (int(n) for n in out.strip().splitlines()[-1].split())
    return username, email, limit, cooloff


def sign_in(session, username, password):
    """Fill and send the sign-in form; the response of the post."""
    page = session.page
    session.context.clear_cookies()
    session.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    return page


def signed_in_as(page, username) -> bool:
    return "/accounts/login/" not in page.url and page.get_by_role("button", name="退出").count()


def test_repeated_wrong_passwords_lock_the_account_and_the_page_says_so(session_factory, manage):
    username, _, limit, cooloff = throwaway(manage, "lock")
    session = session_factory("desktop")
    page = session.page
    for attempt in range(1, limit):
        sign_in(session, username, f"wrong-{attempt}")
        assert (
            page.get_by_role("alert").inner_text()
            == "用户名或密码不正确，请重新输入。注意区分大小写。"
        )
    # the limit-th failure: the lockout page, with the limit and the cool-off
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/accounts/login/")
    ) as posted:
        sign_in(session, username, "wrong-again")
    assert posted.value.status == 429
    lockout = page.get_by_test_id("lockout")
    assert lockout.get_by_role("heading", name="账号暂时锁定").is_visible()
    text = lockout.inner_text()
    assert f"密码连续输错 {limit} 次" in text and f"请在 {cooloff} 分钟后再试" in text
    page.screenshot(path=SHOTS / "journey-signin-lockout.png", full_page=True)
    # the right password is refused too while the lock lasts
    sign_in(session, username, FIRST_PASSWORD)
    assert page.get_by_test_id("lockout").is_visible()
    assert not signed_in_as(page, username)
    # the way back to the sign-in page works
    page.get_by_role("link", name="返回登录页").click()
    page.get_by_role("heading", name="登录问题台账").wait_for()
    # the browser logs each 429 answer as a failed load; nothing else (no CSP refusal)
    others = [e for e in session.errors if "status of 429" not in e]
    assert not others, "\n".join(others)


def test_a_person_changes_their_password_and_signs_in_with_the_new_one(session_factory, manage):
    username, _, _, _ = throwaway(manage, "change")
    new_password = f"Changed-{uuid.uuid4().hex[:8]}"
    session = session_factory("desktop")
    page = sign_in(session, username, FIRST_PASSWORD)
    assert signed_in_as(page, username)

    # 修改密码 is in the menu under the person's name in the navbar
    page.get_by_test_id("whoami").get_by_role("button").click()
    page.get_by_role("link", name="修改密码").click()
    page.get_by_role("heading", name="修改密码").wait_for()
    # a wrong current password: refused, with a message, nothing changed
    page.get_by_label("旧密码").fill("not-my-password")
    page.get_by_label(NEW_PASSWORD).fill(new_password)
    page.get_by_label("新密码确认").fill(new_password)
    with page.expect_navigation():
        page.get_by_role("button", name="修改密码").click()
    assert "密码尚未修改" in page.get_by_role("alert").inner_text()
    page.get_by_label("旧密码").fill(FIRST_PASSWORD)
    page.get_by_label(NEW_PASSWORD).fill(new_password)
    page.get_by_label("新密码确认").fill(new_password)
    with page.expect_navigation():
        page.get_by_role("button", name="修改密码").click()
    assert "/accounts/password_change/done/" in page.url
    page.screenshot(path=SHOTS / "journey-signin-password-changed.png", full_page=True)
    # still signed in, then out; the old password no longer works, the new one does
    assert signed_in_as(page, username)
    with page.expect_navigation():
        page.get_by_role("button", name="退出").click()
    assert page.get_by_test_id("signed-out").is_visible()
    sign_in(session, username, FIRST_PASSWORD)
    assert not signed_in_as(page, username)
    sign_in(session, username, new_password)
    assert signed_in_as(page, username)
    assert not session.errors, "\n".join(session.errors)


def test_password_reset_round_trip_through_the_mail(session_factory, manage, outbox):
    username, email, _, _ = throwaway(manage, "reset")
    new_password = f"Reset-{uuid.uuid4().hex[:8]}"
    session = session_factory("desktop")
    page = session.page
    session.goto("/accounts/login/")
    page.get_by_role("link", name="忘记密码？").click()
    page.get_by_role("heading", name="找回密码").wait_for()
    page.get_by_label("电子邮件").fill(email)
    with page.expect_navigation():
        page.get_by_role("button", name="发送重设链接").click()
    assert "/accounts/password_reset/done/" in page.url

    # the mail: one message to this person, in Chinese, with the link to this server
    messages = outbox.to(email)
    assert len(messages) == 1, [m["Subject"] for m in outbox.messages()]
    body = outbox.body(messages[0])
    assert f"您好，{username}" in body
    links = re.findall(r"https?://\S+/accounts/reset/\S+/", body)
    assert len(links) == 1, body
    link = links[0]
    assert link.startswith(session.base + "/"), (link, session.base)

    page.goto(link)
    page.get_by_role("heading", name="设置新密码").wait_for()
    page.get_by_label(NEW_PASSWORD).fill(new_password)
    page.get_by_label("新密码确认").fill(new_password)
    with page.expect_navigation():
        page.get_by_role("button", name="设置新密码").click()
    assert "/accounts/reset/done/" in page.url
    page.screenshot(path=SHOTS / "journey-signin-password-reset.png", full_page=True)

    sign_in(session, username, FIRST_PASSWORD)
    assert not signed_in_as(page, username)
    sign_in(session, username, new_password)
    assert signed_in_as(page, username)
    # the link was for one use
    session.context.clear_cookies()
    page.goto(link)
    assert page.get_by_test_id("invalid-link").is_visible()
    assert not session.errors, "\n".join(session.errors)
