"""Everyday journeys of an issue's first days, in a real browser over real HTTP:

1. staff logs an issue for an enterprise through the form (the chooser, the proposed leader,
   the duplicate hint, an attachment) and finds it in the ledger with the right fields;
5. lead staff returns an assigned issue to the office with a reason, the office sees it back
   in 待交办 with that reason, and withdraws (撤销) it while it is 待交办.

    make e2e
"""

import json
import re
import uuid

import pytest

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "docs" / "screenshots"
ATTACHMENT = {"name": "积水照片说明.txt", "mimeType": "text/plain", "buffer": "北门积水".encode()}

# An enterprise of the journey's own (its 分包 leader is the `leader` demo login, 方志远) and,
# with `title` given, an open issue of it raised by `staff` (区工信局).
SETUP = """
import json
from django.contrib.auth import get_user_model
from ledger import workflow
from ledger.models import Category, Enterprise, Leader, Source
from ledger.validators import credit_code_check_char

first17 = "91410803" + "{digits}"
enterprise = Enterprise.objects.create(
    name="{name}",
    credit_code=first17 + credit_code_check_char(first17),
    leader=Leader.objects.get(user__username="leader"),
)
number = ""
if "{title}":
    number = workflow.issue_raise(
        actor=get_user_model().objects.get(username="staff"),
        title="{title}",
        description="已有的在办问题。",
        category=Category.objects.get(name="水电气暖及基础设施"),
        source=Source.objects.get(name="企业走访"),
        enterprise=enterprise,
    ).number
print(json.dumps({{"enterprise": enterprise.pk, "number": number}}))
"""

# The office assigns the issue to 区工信局 (the `staff` login's department).
ASSIGN = """
import datetime
from django.contrib.auth import get_user_model
from ledger import workflow
from ledger.models import Department, Issue, Leader
from ledger.workdays import add_working_days

issue = Issue.objects.get(number="{number}")
workflow.transition(
    issue,
    actor=get_user_model().objects.get(username="supervisor"),
    action="assign",
    leader=Leader.objects.get(user__username="leader"),
    lead_department=Department.objects.get(name="区工信局"),
    deadline=add_working_days(datetime.date.today(), 20),
)
print(Issue.objects.get(pk=issue.pk).status)
"""


def unique() -> str:
    return uuid.uuid4().hex[:6].upper()


def shell(manage, script) -> str:
    """The last line a script run by `manage.py shell` printed (the shell may print a note
    on its automatic imports first)."""
    return manage("shell", "-c", script).strip().splitlines()[-1]


def enterprise_with_issue(manage, name, title=""):
    digits = f"{uuid.uuid4().int % 10**9:09d}"
    return json.loads(shell(manage, SETUP.format(digits=digits, name=name, title=title)))


def test_staff_logs_an_issue_for_an_enterprise_and_finds_it_in_the_ledger(session_factory, manage):
    tag = unique()
    enterprise = f"旅程登记企业{tag}有限公司"
    existing_title = f"厂区北门外道路积水{tag}"
    existing = enterprise_with_issue(manage, enterprise, existing_title)["number"]
    title = f"厂区北门外道路积水严重{tag}"

    session = session_factory("desktop", "staff")
    page = session.page
    session.goto("/issues/new/")
    page.get_by_label("问题标题").fill(title)
    page.get_by_label("问题描述").fill("雨后积水没过脚踝，货车无法进出。")
    page.get_by_label("问题类别").select_option(label="水电气暖及基础设施")
    page.get_by_label("问题来源").select_option(label="企业走访")

    # the chooser: type part of the name, pick the enterprise from the list
    page.get_by_role("combobox", name="企业").fill(f"旅程登记企业{tag}")
    page.get_by_role("option", name=re.compile(enterprise)).click()
    assert page.get_by_role("combobox", name="企业").input_value() == enterprise
    # its 分包 leader is proposed in the leader field and named under the chooser
    assert "方志远" in page.get_by_label("建议责任领导").locator("option:checked").inner_text()
    assert "方志远" in page.locator("[data-chooser-hint]").first.inner_text()

    # the duplicate hint names the similar open issue of that enterprise
    duplicates = page.get_by_test_id("duplicates")
    duplicates.get_by_role("link", name=existing).wait_for()
    assert "相似的在办问题（1 条）" in duplicates.inner_text()
    assert existing_title in duplicates.inner_text()
    page.screenshot(path=SHOTS / "journey-raise-form.png", full_page=True)

    # saving without saying it is not a duplicate is refused, with the reason, nothing saved
    page.get_by_label("附件").set_input_files(files=[ATTACHMENT])
    page.get_by_role("button", name="登记问题").click()
    page.get_by_test_id("form-errors").wait_for()
    assert page.get_by_label("问题标题").input_value() == title
    page.get_by_test_id("duplicates").get_by_role("link", name=existing).wait_for()
    page.get_by_label("仍然登记（已核对，不是重复问题）").check()
    # files are chosen again after the form comes back (the page says so)
    assert page.get_by_test_id("reselect-files").is_visible()
    page.get_by_label("附件").set_input_files(files=[ATTACHMENT])
    with page.expect_navigation():
        page.get_by_role("button", name="登记问题").click()

    assert re.search(r"/issues/ZZ-[\w-]+/$", page.url), page.url
    number = page.url.rstrip("/").rsplit("/", 1)[-1]
    assert page.get_by_role("alert").filter(has_text="问题已登记").is_visible()
    assert page.get_by_role("heading", name=re.compile(re.escape(title))).is_visible()
    main = page.locator("main")
    for text in (enterprise, "待交办", "水电气暖及基础设施", "企业走访", "方志远", "区工信局"):
        assert text in main.inner_text(), text
    attachment = page.get_by_test_id("attachments").get_by_role("link", name="积水照片说明.txt")
    assert attachment.is_visible()
    with page.expect_download() as download:
        attachment.click()
    assert download.value.path().read_text(encoding="utf-8") == "北门积水"
    page.screenshot(path=SHOTS / "journey-raise-issue.png", full_page=True)

    # the ledger: search by the tag, then the 待交办 filter on top; one row, the right fields
    session.goto("/issues/")
    page.get_by_role("searchbox").fill(tag)
    with page.expect_navigation():
        page.get_by_role("button", name="查询", exact=True).click()
    rows = page.locator("tbody tr")
    assert rows.count() == 2, rows.all_inner_texts()  # the new issue and the older one
    toggle = page.get_by_role("button", name="筛选条件")
    toggle.click()
    # the panel has finished opening before anything in it is used: Bootstrap sets
    # aria-expanded when the slide starts, and the panel is `.collapsing` (clipped) until it
    # ends; a click on the apply button during the slide was once lost under a loaded machine
    page.wait_for_function(
        "b => b.getAttribute('aria-expanded') === 'true'", arg=toggle.element_handle()
    )
    page.wait_for_function(
        "() => { const p = document.getElementById('ledger-filters');"
        " return p.classList.contains('show') && !p.classList.contains('collapsing'); }"
    )
    page.get_by_role("group", name="状态", exact=True).get_by_label("待交办").check()
    with page.expect_navigation(url=re.compile(r"[?&]status=raised"), timeout=20_000):
        page.get_by_role("button", name="应用筛选").click()
    row = page.locator("tbody tr").filter(has_text=number)
    assert row.count() == 1
    cells = {
        label: row.locator(f"td[data-label='{label}']").inner_text().strip()
        for label in ("问题来源", "企业/项目", "问题类别", "责任领导", "状态")
    }
    assert cells["问题来源"] == "企业走访"
    assert enterprise in cells["企业/项目"]
    assert cells["问题类别"] == "水电气暖及基础设施"
    assert "方志远" in cells["责任领导"]
    assert cells["状态"].startswith("待交办")
    assert title in row.inner_text()
    page.screenshot(path=SHOTS / "journey-raise-ledger.png", full_page=True)
    assert not session.errors, "\n".join(session.errors)


def test_lead_staff_returns_an_issue_and_the_office_withdraws_it(session_factory, manage):
    tag = unique()
    title = f"企业用电增容申请未答复{tag}"
    number = enterprise_with_issue(manage, f"旅程退回企业{tag}有限公司", title)["number"]
    assert shell(manage, ASSIGN.format(number=number)) == "assigned"
    reason = f"增容审批属供电公司职责，不属于本单位，建议交区发改委协调。{tag}"

    # lead staff (区工信局) returns it: without a reason it is refused and nothing changes
    staff = session_factory("desktop", "staff")
    page = staff.page
    staff.goto(f"/issues/{number}/")
    assert "已交办" in page.get_by_test_id("issue-status").inner_text()
    page.get_by_test_id("issue-actions").get_by_role("link", name="退回", exact=True).click()
    page.get_by_label("退回理由").wait_for()
    page.get_by_test_id("submit").click()
    errors = page.get_by_test_id("form-errors")
    errors.wait_for()
    assert "问题没有任何改变" in errors.inner_text()
    assert "请说明退回理由。" in page.locator("main").inner_text()
    page.get_by_label("退回理由").fill(reason)
    page.screenshot(path=SHOTS / "journey-return-form.png", full_page=True)
    with page.expect_navigation():
        page.get_by_test_id("submit").click()
    assert page.url.endswith(f"/issues/{number}/")
    assert "待交办" in page.get_by_test_id("issue-status").inner_text()
    assert reason in page.get_by_test_id("timeline").inner_text()
    assert not staff.errors, "\n".join(staff.errors)

    # the office sees it back in 待交办, marked 已退回 with the reason
    office = session_factory("desktop", "supervisor")
    page = office.page
    office.goto(f"/issues/?status=raised&q={tag}")
    row = page.locator("tbody tr").filter(has_text=number)
    assert row.count() == 1
    returned = row.get_by_test_id("returned")
    assert "已退回" in returned.inner_text()
    assert reason[:20] in returned.inner_text()
    assert row.locator("td[data-label='牵头单位']").inner_text().strip() == "—"
    page.screenshot(path=SHOTS / "journey-return-ledger.png", full_page=True)

    # and withdraws it while it is 待交办, with a reason; it leaves the 待交办 list
    page.get_by_role("link", name=number).click()
    page.get_by_test_id("issue-actions").get_by_role("link", name="撤销", exact=True).click()
    page.get_by_label("撤销理由").fill(f"企业已自行与供电公司解决，撤销。{tag}")
    with page.expect_navigation():
        page.get_by_test_id("submit").click()
    assert "已撤销" in page.get_by_test_id("issue-status").inner_text()
    timeline = page.get_by_test_id("timeline").inner_text()
    assert f"企业已自行与供电公司解决，撤销。{tag}" in timeline and reason in timeline
    assert not page.get_by_test_id("issue-actions").get_by_role("link", name="撤销").count()
    page.screenshot(path=SHOTS / "journey-withdraw-issue.png", full_page=True)
    office.goto(f"/issues/?status=raised&q={tag}")
    assert not page.locator("tbody tr").filter(has_text=number).count()
    office.goto(f"/issues/?status=withdrawn&q={tag}")
    assert page.locator("tbody tr").filter(has_text=number).count() == 1
    assert not office.errors, "\n".join(office.errors)
