"""Who may call the API (issue 20), over real HTTP against the demo server: an administrator
registers a system in the admin and sees its secret once; a person creates a token on their
own page, sees it once, calls GET /api/v1/schema/ with it (200), revokes it, and the same
call gets 401.

    make e2e
"""

import json
import re
import urllib.error
import urllib.request
import uuid

import pytest

from tests.e2e.conftest import axe_violations

pytestmark = pytest.mark.e2e

SCHEMA = "/api/v1/schema/"


def api_get(base: str, path: str, secret: str) -> int:
    """The status of a GET with the bearer secret, as a program would send it."""
    request = urllib.request.Request(  # noqa: S310
        base + path, headers={"Authorization": f"Bearer {secret}", "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            body = response.read()
            assert body, "the schema has a body"
            return response.status
    except urllib.error.HTTPError as error:
        problem = json.loads(error.read() or b"{}")
        assert error.headers.get("Content-Type", "").startswith("application/problem+json"), problem
        return error.code


def test_an_administrator_registers_a_client_and_sees_its_secret_once(session_factory, base_url):
    name = f"企业服务平台{uuid.uuid4().int % 10**6:06d}"
    session = session_factory("desktop", "admin")
    page = session.page
    session.goto("/admin/")
    page.locator("#content").get_by_role("link", name="接口客户端", exact=True).click()
    with page.expect_navigation():
        page.locator("#content").get_by_role("link", name=re.compile("增加")).click()
    page.get_by_label(re.compile(r"^名称[:：]?$")).fill(name)
    page.get_by_label("代为登记的单位").select_option(label="区政府督查室")
    page.get_by_label("推送工单").check()
    page.get_by_label("读取问题").check()
    page.get_by_label("允许的来源地址").fill("127.0.0.1\n10.0.0.0/8")
    with page.expect_navigation():
        page.get_by_role("button", name="保存", exact=True).click()
    box = page.get_by_test_id("client-secret")
    assert name in box.inner_text()
    secret = box.get_by_label("客户端密钥").input_value()
    assert re.fullmatch(r"zzc_[0-9a-f]{12}_[A-Za-z0-9_-]+", secret), secret
    assert api_get(base_url, SCHEMA, secret) == 200

    # once: the list and the client's page show its prefix, never the secret
    with page.expect_navigation():
        page.get_by_role("link", name="我已保存密钥，返回列表").click()
    assert name in page.locator("#result_list").inner_text()
    assert secret not in page.content()
    with page.expect_navigation():
        page.locator("#result_list").get_by_role("link", name=name).click()
    prefix = secret.split("_")[1]
    assert page.get_by_text(f"zzc_{prefix}…").count() == 1, page.content()[-3000:]
    assert secret not in page.content()
    assert not session.errors, session.errors


def test_a_person_creates_uses_and_revokes_a_token(session_factory, base_url):
    session = session_factory("desktop", "staff")
    page = session.page
    session.goto("/")
    page.get_by_test_id("whoami").get_by_role("button").click()
    with page.expect_navigation():
        page.get_by_role("link", name="接口令牌").click()
    assert page.locator("h1").inner_text() == "接口令牌"

    name = f"办公电脑{uuid.uuid4().int % 10**6:06d}"
    page.get_by_label("名称").fill(name)
    page.get_by_label("有效期（天）").fill("30")
    with page.expect_navigation():
        page.get_by_role("button", name="创建令牌").click()
    token = page.get_by_label("新令牌").input_value()
    assert re.fullmatch(r"zzp_[0-9a-f]{12}_[A-Za-z0-9_-]+", token), token
    assert page.url.removeprefix(base_url) == "/account/tokens/", "not in the URL"
    assert token not in page.url
    assert not axe_violations(page, "/account/tokens/ (new token)")

    assert api_get(base_url, SCHEMA, token) == 200

    # shown once: the page again lists it by prefix only, used just now
    session.goto("/account/tokens/")
    assert token not in page.content()
    row = page.get_by_test_id("token-row").filter(has_text=name)
    assert f"zzp_{token.split('_')[1]}" in row.inner_text()
    assert "有效" in row.inner_text() and "从未使用" not in row.inner_text()

    with page.expect_navigation():
        row.get_by_role("link", name=re.compile("吊销")).click()
    assert not axe_violations(page, "revoke confirmation")
    with page.expect_navigation():
        page.get_by_role("button", name="确认吊销").click()
    assert f"令牌“{name}”已吊销" in page.content()
    assert "已吊销" in page.get_by_test_id("token-row").filter(has_text=name).inner_text()

    assert api_get(base_url, SCHEMA, token) == 401
    assert not session.errors, session.errors


def test_the_api_reference_page_works_offline_under_the_sites_policy(session_factory, base_url):
    """/api/v1/docs/ draws the operations from the schema with files of our own origin only,
    and the Content-Security-Policy refuses nothing (no inline script or style)."""
    session = session_factory("desktop", "admin")
    page = session.page
    elsewhere = []
    page.on("request", lambda r: r.url.startswith(base_url) or elsewhere.append(r.url))
    session.goto("/api/v1/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "中站问题台账 API" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock-tag", has_text="intake").first.wait_for()
    assert page.locator(".opblock").count() > 10  # the operations, drawn from the schema
    assert not elsewhere, f"requests to another origin: {elsewhere}"
    assert not session.errors, session.errors
