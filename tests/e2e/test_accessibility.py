"""axe-core (bundled by axe-playwright-python) on the main screens at 1366 and 375 px, and at
375 px again with the phone menu opened: no serious or critical violation (every rule, not
only contrast), no console error such as a CSP refusal.

    make e2e
"""

import io
import re

import pytest

from tests.e2e.conftest import WIDTHS, axe_violations

pytestmark = pytest.mark.e2e

FOUND: dict[str, str] = {}  # paths found once per run


def first_link(session, list_path, pattern):
    """The first link on a list page whose href matches `pattern` (demo ids are not fixed)."""
    if pattern in FOUND:
        return FOUND[pattern]
    session.goto(list_path)
    hrefs = session.page.locator("main a[href]").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    found = [href for href in hrefs if re.fullmatch(pattern, href)]
    assert found, f"no link like {pattern} on {list_path}"
    FOUND[pattern] = found[0]
    return found[0]


def issue_with_history(session):
    """An issue under way whose timeline shows changed values (old values struck out)."""
    if "issue" in FOUND:
        return FOUND["issue"]
    session.goto("/issues/?status=in_progress&sort=health")
    hrefs = session.page.locator("a[href^='/issues/ZZ-']").evaluate_all(
        "links => [...new Set(links.map(a => a.getAttribute('href')))]"
    )
    for href in hrefs[:20]:
        session.goto(href)
        if session.page.locator(".issue-change-old").count():
            FOUND["issue"] = href
            return href
    raise AssertionError("no issue under way shows a changed value in its timeline")


def import_preview(session):
    """The preview of an uploaded ledger sheet, with a row the import refuses."""
    if "import" in FOUND:
        return FOUND["import"]
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        ["序号", "企业名称", "问题来源", "存在问题", "包联领导", "责任单位", "配合单位", "办结时限"]
    )
    rows = [
        ["键盘测试企业01有限公司", "企业走访", "道路破损。", "方志远", "住建局", "", "2026-12-31"],
        ["键盘测试企业02有限公司", "企业走访", "缺少焊工。", "张三", "#REF!", "", "2026年13月45日"],
    ]
    for n, row in enumerate(rows, start=1):
        sheet.append([n, *row])
    data = io.BytesIO()
    book.save(data)
    session.goto("/issues/import/")
    session.page.locator("input[type=file]").set_input_files(
        {"name": "台账.xlsx", "mimeType": XLSX, "buffer": data.getvalue()}
    )
    with session.page.expect_navigation():
        session.page.locator("main form button[type=submit]").first.click()
    path = session.page.url.removeprefix(session.base)
    assert re.fullmatch(r"/imports/\d+/", path), path
    FOUND["import"] = path
    return path


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# (name, user, path or a function giving the path, what must be on it); user None is signed out
SCREENS = [
    ("login", None, "/accounts/login/", "button[name=language]"),
    ("home", "staff", "/", "main"),
    ("home-supervisor", "supervisor", "/", "main"),
    ("ledger", "supervisor", "/issues/", "main a[href^='/issues/ZZ-']"),
    # the timeline's struck-out old values and the 催办 button
    ("issue", "supervisor", issue_with_history, (".issue-change-old", "[data-action=urge]")),
    ("issue-action", "supervisor", lambda s: issue_with_history(s) + "act/comment/", "main form"),
    ("log-form", "staff", "/issues/new/", "#id_enterprise"),
    ("enterprises", "staff", "/enterprises/", "main"),
    ("enterprise", "staff", lambda s: first_link(s, "/enterprises/", r"/enterprises/\d+/"), "h1"),
    ("projects", "staff", "/projects/", "main"),
    ("project", "staff", lambda s: first_link(s, "/projects/", r"/projects/\d+/"), "h1"),
    ("leader", "leader", "/leaders/me/", "main"),
    ("dashboard", "supervisor", "/dashboard/", ".chart-svg"),
    ("assessment", "supervisor", "/assessment/", "main table"),
    ("pace", "supervisor", "/projects/pace/", "main"),
    ("report-weekly", "supervisor", "/reports/weekly/", "main"),
    ("report-monthly", "supervisor", "/reports/monthly/", "main"),
    ("notifications", "staff", "/notifications/", ".notify-unread"),
    ("import", "supervisor", "/issues/import/", "input[type=file]"),
    ("import-preview", "supervisor", import_preview, "main table"),
    # the new screens of this round: printed ledger, 交办单, directory form, password change
    ("print", "supervisor", "/issues/print/?status=in_progress", "main table"),
    ("notice", "supervisor", lambda s: issue_with_history(s) + "notice/assign/", "main"),
    ("enterprise-new", "supervisor", "/enterprises/new/", "main form"),
    ("password-change", "staff", "/accounts/password_change/", "main form"),
]


@pytest.mark.parametrize(("name", "user", "path", "must"), SCREENS, ids=[s[0] for s in SCREENS])
def test_no_serious_violation(session_factory, name, user, path, must):
    """At 1366 px, then the same page at 375 px, then with the phone menu opened."""
    session = session_factory("desktop", user)
    page = session.page
    if callable(path):
        path = path(session)
    response = session.goto(path)
    assert response.status == 200, f"{path} gave {response.status}"
    for selector in (must,) if isinstance(must, str) else must:
        assert page.locator(selector).first.is_visible(), f"{name}: {selector} not shown"
    found = axe_violations(page, f"{name} 1366px")
    width, height = WIDTHS["phone"]
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_function(f"window.innerWidth === {width}")
    found += axe_violations(page, f"{name} {width}px")
    if user:
        toggler = page.locator(".navbar-toggler")
        toggler.click()
        page.locator("#mainnav.show").wait_for()  # after the collapse animation
        assert toggler.get_attribute("aria-expanded") == "true"
        # the opened menu is the only part that changed: check the navbar again
        found += axe_violations(page, f"{name} {width}px menu open", context="nav.navbar")
    assert not found, "\n".join(found)
    assert not session.errors, "\n".join(session.errors)
