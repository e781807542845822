"""Journey 3: the lead department's staff accepts (签收) an assigned issue, posts progress and
asks for an extension (new date and reason); the responsible leader approves it from the
notification on a 375 px phone in at most three taps (bell → notification → 批准延期), the
requested date and reason in view before the approving tap; the co-department is told the
new deadline in its bell.

    make e2e
"""

import datetime
import re
import uuid

import pytest

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "docs" / "screenshots"
REASON = "设备供应商延迟到货，需等待安装调试"

# demo units and people (manage.py demo_logins): 区工信局 leads (staff), 李封办事处 helps
# (staff2), 方志远 (leader) is responsible, the office (supervisor) assigned it
ASSIGNED = """
import datetime
import re
from ledger import workflow
from ledger.models import Category, Department, Leader, Source, User
office = User.objects.get(username="supervisor")
issue = workflow.issue_raise(
    actor=User.objects.get(username="staff_fgw"),
    title={title!r},
    description="企业新建车间的配电增容迟迟未落实。",
    category=Category.objects.order_by("pk").first(),
    source=Source.objects.order_by("pk").first(),
)
workflow.transition(
    issue,
    actor=office,
    action="assign",
    leader=Leader.objects.get(user__username="leader"),
    lead_department=Department.objects.get(name="区工信局"),
    co_departments=[Department.objects.get(name="李封办事处")],
    deadline=datetime.date.fromisoformat({deadline!r}),
)
print(issue.number)
"""


def working_day(days_ahead: int) -> datetime.date:
    """A Monday-to-Friday date about `days_ahead` days on, away from New Year."""
    day = datetime.date.today() + datetime.timedelta(days=days_ahead)
    while day.weekday() >= 5 or (day.month, day.day) in {(1, 1), (1, 2), (1, 3)}:
        day += datetime.timedelta(days=1)
    return day


def act(page, number, link, fill, submit):
    """On the issue page: follow the action `link`, fill its form, submit, back on the page."""
    page.get_by_test_id("issue-actions").get_by_role("link", name=link, exact=True).click()
    fill(page)
    page.get_by_role("button", name=submit, exact=True).click()
    page.wait_for_url(f"**/issues/{number}/")
    assert page.get_by_text(f"已对问题 {number} 执行“{link}”。").is_visible()


def test_leader_approves_an_extension_from_the_notification_in_three_taps(session_factory, manage):
    title = f"车间配电增容未落实 {uuid.uuid4().hex[:6]}"
    deadline, asked = working_day(10), working_day(40)
    number = (
        manage("shell", "-c", ASSIGNED.format(title=title, deadline=deadline.isoformat()))
        .strip()
        .splitlines()[-1]
    )

    # the lead department: 签收, 进展反馈, 申请延期
    lead = session_factory("desktop", "staff")
    page = lead.page
    lead.goto(f"/issues/{number}/")
    act(page, number, "签收", lambda p: None, "确认签收")
    assert page.get_by_test_id("issue-status").inner_text() == "办理中"

    def progress(p):
        p.get_by_role("radio", name="进展缓慢").check()
        p.get_by_label("进展说明").fill("已与供电公司对接，增容设备已下单。")

    act(page, number, "进展反馈", progress, "提交进展")

    def extension(p):
        p.get_by_label("申请延至").fill(asked.isoformat())
        p.get_by_label("延期理由").fill(REASON)
        p.screenshot(path=SHOTS / "journey-extension-1-request.png", full_page=True)

    act(page, number, "申请延期", extension, "提交延期申请")
    assert not lead.errors, lead.errors

    # the leader, on a phone, from any page: every tap counted
    leader = session_factory("phone", "leader")
    phone = leader.page
    leader.goto("/")
    taps = 0

    def tap(locator):
        nonlocal taps
        # a click where a finger would tap (the context has no touch events); scrolling to it
        # is no tap
        locator.scroll_into_view_if_needed()
        locator.click()
        taps += 1

    assert phone.get_by_test_id("bell").is_visible()  # in the navbar, not behind the menu
    tap(phone.get_by_test_id("bell"))
    phone.wait_for_url("**/notifications/")
    entry = phone.get_by_test_id("notification").filter(has_text=title).first
    # the notification itself says what is asked and why
    text = entry.inner_text()
    assert "申请延期" in text and asked.isoformat() in text and REASON in text, text
    phone.screenshot(path=SHOTS / "journey-extension-2-leader-bell.png")
    tap(entry)
    phone.wait_for_url(re.compile(rf"/issues/{number}/act/extension_approve/\?notification=\d+$"))
    # the bell marks the notification read on arrival (waiting is no tap)
    phone.get_by_test_id("bell-count").wait_for(state="attached")
    # the page it opens shows the request and has the approval one tap away, prefilled
    request = phone.get_by_test_id("pending-extension").inner_text()
    assert f"{deadline.isoformat()} 延至 {asked.isoformat()}" in request and REASON in request
    assert phone.get_by_label("批准延至").input_value() == asked.isoformat()
    approve = phone.get_by_role("button", name="批准延期", exact=True)
    phone.screenshot(path=SHOTS / "journey-extension-3-leader-approve.png", full_page=True)
    tap(approve)
    phone.wait_for_url(f"**/issues/{number}/")
    print(f"\njourney 3: the leader approved the extension in {taps} taps")
    assert taps <= 3
    assert phone.get_by_text(f"已对问题 {number} 执行“批准延期”。").is_visible()
    assert phone.get_by_test_id("deadline").inner_text().startswith(asked.isoformat())
    phone.screenshot(path=SHOTS / "journey-extension-4-approved.png")
    assert not leader.errors, leader.errors
    # the request was read on arrival: no longer among the leader's unread
    leader.goto("/notifications/?unread=1")
    unread = phone.get_by_test_id("notification").filter(has_text=title)
    assert not unread.filter(has_text=REASON).count()

    # the co-department hears the new deadline, in its own words
    co = session_factory("phone", "staff2")
    co.goto("/")
    co.page.get_by_test_id("bell").click()
    co.page.wait_for_url("**/notifications/")
    told = co.page.get_by_test_id("notification").filter(has_text=title).first.inner_text()
    assert "批准延期" in told and f"新的完成时限为{asked.isoformat()}" in told, told
    assert "配合办理" in told
    co.page.screenshot(path=SHOTS / "journey-extension-5-co-department-bell.png")
    assert not co.errors, co.errors
