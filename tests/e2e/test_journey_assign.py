"""Journey 2: the oversight office assigns a raised issue in the browser (leader, lead
department, a co-department, deadline); the lead department's staff, the co-department's
staff and the leader each open their bell and find it, each in their own words.

    make e2e
"""

import datetime
import re
import uuid

import pytest

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "docs" / "screenshots"

# demo units and people (manage.py demo_logins): 区工信局 leads (staff), 李封办事处 helps
# (staff2), 方志远 (leader) is responsible; 区发改委 (staff_fgw) raised it
RAISE = """
from ledger import workflow
from ledger.models import Category, Source, User
issue = workflow.issue_raise(
    actor=User.objects.get(username="staff_fgw"),
    title={title!r},
    description="企业反映园区道路夜间无照明，影响货车通行。",
    category=Category.objects.order_by("pk").first(),
    source=Source.objects.order_by("pk").first(),
)
print(issue.number)
"""


def working_day(days_ahead: int) -> datetime.date:
    """A Monday-to-Friday date about `days_ahead` days on, away from New Year."""
    day = datetime.date.today() + datetime.timedelta(days=days_ahead)
    while day.weekday() >= 5 or (day.month, day.day) in {(1, 1), (1, 2), (1, 3)}:
        day += datetime.timedelta(days=1)
    return day


def bell_entry(session, title):
    """Open the bell from the home page and return the list entry of the issue `title`."""
    session.goto("/")
    page = session.page
    assert page.get_by_test_id("bell-count").inner_text().strip()[:1].isdigit()
    page.get_by_test_id("bell").click()
    page.wait_for_url("**/notifications/")
    return page.get_by_test_id("notification").filter(has_text=title).first


def test_office_assigns_and_each_party_reads_it_in_its_own_words(session_factory, manage):
    title = f"园区道路夜间无照明 {uuid.uuid4().hex[:6]}"
    number = manage("shell", "-c", RAISE.format(title=title)).strip().splitlines()[-1]
    deadline = working_day(20)

    office = session_factory("desktop", "supervisor")
    page = office.page
    office.goto(f"/issues/{number}/")
    page.get_by_test_id("issue-actions").get_by_role("link", name="交办", exact=True).click()
    page.get_by_label("责任领导").select_option(label="方志远 (副区长)")
    page.get_by_label("牵头单位").select_option(label="区工信局")
    page.get_by_role("checkbox", name="李封办事处").check()
    page.get_by_label("完成时限", exact=True).fill(deadline.isoformat())
    page.get_by_label("交办意见").fill("请一周内拿出整改方案。")
    page.screenshot(path=SHOTS / "journey-assign-1-form.png", full_page=True)
    page.get_by_role("button", name="交办", exact=True).click()
    page.wait_for_url(f"**/issues/{number}/")
    assert page.get_by_text(f"已对问题 {number} 执行“交办”。").is_visible()
    assert page.get_by_test_id("issue-status").inner_text() == "已交办"
    assert "李封办事处" in page.inner_text("main")
    assert not office.errors

    expected = {
        # the lead department is asked to 签收
        "staff": ("desktop", "请牵头单位及时签收办理"),
        # the co-department is told it helps, and is not asked to 签收
        "staff2": ("phone", "你单位为配合单位，请配合牵头单位办理"),
        "leader": ("phone", "由您担任责任领导，请督促牵头单位办理"),
    }
    texts = {}
    for username, (width, words) in expected.items():
        session = session_factory(width, username)
        entry = bell_entry(session, title)
        text = entry.inner_text()
        texts[username] = text
        assert words in text, f"{username} reads: {text}"
        assert number in text and "交办" in text
        if username == "staff2":
            assert "签收" not in text
        session.page.screenshot(path=SHOTS / f"journey-assign-2-bell-{username}.png")
        # the entry is a link: it opens the issue, and the notification is read on arrival
        assert entry.evaluate("el => el.tagName") == "A"
        entry.click()
        session.page.wait_for_url(re.compile(rf"/issues/{number}/\?notification=\d+$"))
        assert title in session.page.inner_text("main")
        # the page's bell marks it read (a POST with the CSRF token) and shows the new count
        session.page.get_by_test_id("bell-count").wait_for(state="attached")
        session.goto("/notifications/?unread=1")
        assert not session.page.get_by_test_id("notification").filter(has_text=title).count()
        assert not session.errors, session.errors
    assert len(set(texts.values())) == 3
