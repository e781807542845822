"""Journey 11 (issue 16): a district leader on a 375 px phone logs a problem from
/leaders/me/ and records a 包联 visit with a photo; then carries 代办 steps on a key project
they 分包 — a procedure moved on, one turned into a ledger issue with 审批手续 chosen.

Each run makes its own enterprise and key project (unique names) for 秦守文 (leader_qin),
so nothing depends on another journey's data.

    make e2e
"""

import re
import struct
import uuid
import zlib

import pytest

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e

LEADER = "leader_qin"
SHOTS = ROOT / "docs" / "screenshots"

SETUP = """
from ledger.models import Contact, Department, Enterprise, KeyProject, Leader
from ledger.validators import credit_code_check_char

leader = Leader.objects.get(user__username="{leader}")
first17 = "91410803" + "{digits}"
enterprise = Enterprise.objects.create(
    name="{enterprise}",
    credit_code=first17 + credit_code_check_char(first17),
    leader=leader,
    subdistrict=Department.objects.get(name="李封办事处"),
)
Contact.objects.create(enterprise=enterprise, name="韩经理", position="总经理", is_primary=True)
project = KeyProject.objects.create(
    name="{project}",
    level="district",
    sector="industry",
    year=2026,
    total_investment=12000,
    annual_plan=3000,
    leader=leader,
    lead_department=Department.objects.get(name="区住建局"),
    owner=enterprise,
)
print(enterprise.pk, project.pk)
"""


def tiny_png() -> bytes:
    """A valid 1×1 PNG, made here (signature, IHDR, IDAT, IEND with their CRCs)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1×1, 8-bit RGB
    pixels = zlib.compress(b"\x00\x2e\x7d\x32")  # filter byte + one green pixel
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def shot(page, step):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"journey-leader-{step}.png"), full_page=True)


@pytest.fixture
def subjects(manage):
    """A new enterprise (with its contact) and key project of the leader, named for this run."""
    tag = uuid.uuid4().hex[:6]
    names = {
        # "一…" sorts first among the leader's never-visited subjects on /leaders/me/
        "enterprise": f"一诺精工{tag}有限公司",
        "project": f"一诺精工{tag}智能制造项目",
    }
    digits = f"{int(tag, 16) % 10**9:09d}"
    out = manage("shell", "-c", SETUP.format(leader=LEADER, digits=digits, **names))
    enterprise_pk, project_pk = (int(n) for n in out.split()[-2:])
    return {**names, "enterprise_pk": enterprise_pk, "project_pk": project_pk, "tag": tag}


def test_leader_logs_a_problem_and_a_visit_with_a_photo_on_a_phone(session_factory, subjects):
    session = session_factory("phone", LEADER)
    page = session.page
    enterprise = subjects["enterprise"]

    # /leaders/me/: the new enterprise is due this cycle (not overdue), and the cycle is named
    session.goto("/leaders/me/")
    due = page.get_by_test_id("visits-due")
    cycle = due.get_by_test_id("visit-cycle").inner_text()
    assert re.search(r"至少走访一次（\d{4}年", cycle), cycle
    row = due.get_by_test_id("visit-due-row").filter(has_text=enterprise)
    assert row.get_attribute("data-state") == "due"
    assert "本期待走访" in row.inner_text() and "尚未走访" in row.inner_text()
    shot(page, "1-me-phone")

    # a problem logged from there: the enterprise's page, then 为该企业登记问题
    row.get_by_role("link", name=enterprise).click()
    page.get_by_role("link", name="为该企业登记问题").click()
    assert page.get_by_test_id("leader-note").is_visible()
    title = f"{enterprise}厂区外道路破损"
    page.get_by_label("问题标题").fill(title)
    page.get_by_label("问题描述").fill("进厂道路破损，重载车辆通行困难，需协调修复。")
    page.get_by_label("问题类别").select_option(label="水电气暖及基础设施")
    with page.expect_navigation():
        page.get_by_role("button", name="登记问题").click()
    assert page.get_by_role("heading", name=title).is_visible()
    assert "待交办" in page.locator("main").inner_text()
    number = re.search(r"/issues/([^/]+)/", page.url).group(1)
    shot(page, "2-issue-phone")

    # back to /leaders/me/ and 登记走访 for that enterprise, with a photo and a second problem
    session.goto("/leaders/me/")
    row = page.get_by_test_id("visit-due-row").filter(has_text=enterprise)
    row.get_by_role("link", name="登记走访").click()
    assert enterprise in page.locator("main").inner_text()
    page.get_by_label("韩经理（总经理）").check()
    page.get_by_label("走访情况").fill("座谈了解生产经营，企业反映用电容量不足。")
    page.get_by_label("现场照片").set_input_files(
        files=[{"name": "现场.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )
    problem = page.get_by_test_id("problem-form").first
    visit_title = f"{enterprise}用电增容"
    problem.get_by_label("问题标题").fill(visit_title)
    problem.get_by_label("问题描述").fill("新增生产线需增容 800 千伏安。")
    problem.get_by_label("问题类别").select_option(label="水电气暖及基础设施")
    shot(page, "3-visit-form-phone")
    with page.expect_navigation():
        page.get_by_role("button", name="登记走访").click()
    main = page.locator("main")
    assert "走访已登记，1 个问题已登记到台账。" in main.inner_text()
    assert "韩经理" in main.inner_text()
    issues = page.get_by_test_id("visit-issues")
    assert visit_title in issues.inner_text() and "待交办" in issues.inner_text()
    photo = page.get_by_role("img", name="现场.png")
    assert photo.is_visible()
    # the browser has finished with the image (loaded or broken), then: it is the 1×1 photo
    page.wait_for_function("img => img.complete", arg=photo.element_handle())
    assert photo.evaluate("img => img.naturalWidth") == 1
    # a phone shows the page without sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "4-visit-phone")

    # /leaders/me/: the enterprise is no longer due; the problem logged first is in my list
    session.goto("/leaders/me/")
    assert not page.get_by_test_id("visit-due-row").filter(has_text=enterprise).count()
    assert "本期已走访" in page.get_by_test_id("visits-due").inner_text()
    session.goto(f"/issues/?q={subjects['tag']}")
    ledger = page.locator("main").inner_text()
    assert number in ledger and visit_title in ledger
    assert not session.errors


def test_leader_carries_a_key_projects_procedures(session_factory, subjects):
    session = session_factory("desktop", LEADER)
    page = session.page
    session.goto(f"/projects/{subjects['project_pk']}/")
    checklist = page.get_by_test_id("procedures")
    assert "尚未列出审批手续" in checklist.inner_text()

    # 按清单生成: each procedure goes to its usual unit (环评批复 → 生态环境分局)
    with page.expect_navigation():
        checklist.get_by_role("button", name="按清单生成手续").click()
    assert "已按清单添加 9 项手续。" in page.locator("main").inner_text()
    rows = page.get_by_test_id("procedure-row")
    assert rows.count() == 9
    assert "生态环境" in rows.filter(has_text="环评批复").inner_text()
    assert "自然资源" in rows.filter(has_text="规划许可").inner_text()
    assert "发改委" in rows.filter(has_text="立项备案").inner_text()

    # 立项备案 moves on: 办理中 with a plan, then 已办结
    rows.filter(has_text="立项备案").get_by_role("link", name="更新").click()
    assert page.get_by_label("状态").input_value() == "not_started"
    page.get_by_label("状态").select_option(label="办理中")
    page.get_by_label("计划办结日期").fill("2026-12-30")
    page.get_by_label("说明").fill("材料已报送发改委")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    row = page.get_by_test_id("procedure-row").filter(has_text="立项备案")
    assert "办理中" in row.inner_text() and "材料已报送发改委" in row.inner_text()
    row.get_by_role("link", name="更新").click()
    # the form opens at the stage the procedure has reached
    assert page.get_by_label("状态").input_value() == "in_progress"
    page.get_by_label("状态").select_option(label="已办结")
    today = page.evaluate(
        "() => { const d = new Date(); d.setMinutes(d.getMinutes() - d.getTimezoneOffset());"
        " return d.toISOString().slice(0, 10); }"
    )
    page.get_by_label("办结日期", exact=True).fill(today)
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    checklist = page.get_by_test_id("procedures")
    assert "已办结 1 / 9" in checklist.inner_text()
    assert (
        page.get_by_test_id("procedure-row")
        .filter(has_text="立项备案")
        .get_attribute("data-status")
        == "done"
    )
    shot(page, "5-procedures")

    # 环评批复 is stuck: 转为台账问题, the category 审批手续 already chosen
    page.get_by_test_id("procedure-row").filter(has_text="环评批复").get_by_role(
        "link", name="转为台账问题"
    ).click()
    category = page.get_by_label("问题类别")
    assert category.locator("option:checked").inner_text() == "审批手续"
    title = page.get_by_label("问题标题").input_value()
    assert subjects["project"] in title and "环评批复" in title
    shot(page, "6-procedure-raise")
    with page.expect_navigation():
        page.get_by_role("button", name="确认登记").click()
    main = page.locator("main").inner_text()
    number = re.search(r"/issues/([^/]+)/", page.url).group(1)
    assert f"已登记为台账问题 {number}。" in main
    assert "审批手续" in main and "待交办" in main
    assert page.get_by_test_id("from-procedure").is_visible()
    assert "环评批复" in page.get_by_test_id("from-procedure").inner_text()

    # the checklist links the issue and offers no second one while it is open
    session.goto(f"/projects/{subjects['project_pk']}/")
    row = page.get_by_test_id("procedure-row").filter(has_text="环评批复")
    assert number in row.inner_text()
    assert not row.get_by_role("link", name="转为台账问题").count()
    shot(page, "7-procedures-after")
    assert not session.errors
