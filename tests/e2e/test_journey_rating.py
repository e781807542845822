"""Journey 4: the enterprise's rating loop, over real HTTP with the production middleware.

The lead department resolves an issue with a photo and hands out the enterprise's link (the
address the page shows: the host and port actually served); the enterprise opens it logged
out on a 375 px phone, sees the progress without internal notes or staff names, and rates
不满意 with a comment; the leader and the oversight office are told (bell and e-mail); the
office reopens it (重办) with a new deadline; it is resolved again; the enterprise rates 满意;
the office strikes it off (销号); the timeline shows every step.

    make e2e
"""

import datetime
import json
import re
import time
import uuid

import pytest

from tests.authz.world import png_bytes
from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "docs" / "screenshots"
SECRET_NOTE = "内部备注：企业负责人脾气急，注意沟通方式"

# raised by staff for a demo enterprise with a new contact, assigned by the office to the
# demo leader and staff's department, accepted; an internal comment the enterprise must not
# see. Prints what the journey checks against.
SETUP = """
import datetime
import json
from django.contrib.auth import get_user_model
from django.utils import timezone
from ledger import workflow
from ledger.models import Category, Contact, Enterprise, Leader, Source

User = get_user_model()
staff = User.objects.get(username="staff")
office = User.objects.get(username="supervisor")
leader = Leader.objects.get(user__username="leader")
enterprise = Enterprise.objects.filter(leader=leader).order_by("pk").first()
contact = Contact.objects.create(
    enterprise=enterprise, name="{contact}", email="{contact_email}", mobile=""
)
issue = workflow.issue_raise(
    actor=staff,
    title="{title}",
    description="厂区门前道路雨后积水，车辆无法进出。",
    category=Category.objects.order_by("pk").first(),
    source=Source.objects.order_by("pk").first(),
    enterprise=enterprise,
)
workflow.transition(
    issue,
    actor=office,
    action="assign",
    leader=leader,
    lead_department=staff.department,
    deadline=timezone.localdate() + datetime.timedelta(days=20),
)
workflow.transition(issue, actor=staff, action="accept")
workflow.transition(issue, actor=staff, action="comment", note="{secret}")
print(json.dumps({{
    "number": issue.number,
    "staff_name": str(staff),
    "office_name": str(office),
    "leader_email": leader.user.email,
    "office_emails": sorted(
        User.objects.filter(role="supervisor", is_active=True)
        .exclude(email="").exclude(username__startswith="zz_")
        .values_list("email", flat=True)
    ),
}}, ensure_ascii=False))
"""


def shot(page, step):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"journey-rating-{step}.png"), full_page=True)


def open_action(session, number, label):
    """From the issue page, the action button a person sees."""
    session.goto(f"/issues/{number}/")
    actions = session.page.get_by_test_id("issue-actions")
    actions.get_by_role("link", name=label, exact=True).click()


def resolve(session, number, text, photo=None):
    open_action(session, number, "办结")
    page = session.page
    page.get_by_label("办结情况").fill(text)
    if photo is not None:
        page.get_by_label("附件").set_input_files(
            [{"name": "现场照片.png", "mimeType": "image/png", "buffer": photo}]
        )
    page.get_by_role("button", name="提交办结", exact=True).click()
    page.wait_for_url(re.compile(rf"/issues/{number}/"))
    assert page.get_by_text("已办结（待销号）").first.is_visible()


def rate(phone, url, choice, comment):
    page = phone.page
    page.goto(url)
    page.get_by_label(choice, exact=True).check()
    page.get_by_label("意见或建议").fill(comment)
    page.get_by_test_id("feedback-submit").click()
    page.wait_for_url(re.compile(r"\?saved=1$"))
    assert page.get_by_test_id("feedback-saved").is_visible()


def mails_for(outbox, address, number, *, wait=5.0):
    deadline = time.monotonic() + wait
    while True:
        found = [m for m in outbox.to(address) if number in str(m.get("Subject", ""))]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_the_enterprise_rates_dissatisfied_the_office_reopens_and_strikes_it_off(
    session_factory, base_url, manage, outbox
):
    started = time.monotonic()
    tag = uuid.uuid4().hex[:6]
    title = f"评价旅程 {tag} 厂区门前道路积水"
    contact = f"评价联系人{tag}"
    facts = json.loads(
        manage(
            "shell",
            "-c",
            SETUP.format(
                title=title,
                contact=contact,
                contact_email=f"rating-{tag}@example.invalid",
                secret=SECRET_NOTE,
            ),
        )
        .strip()
        .splitlines()[-1]
    )
    number = facts["number"]

    # -- the lead department resolves it with a photo, and hands out the enterprise's link
    staff = session_factory("desktop", "staff")
    resolve(staff, number, "已疏通排水管道，路面积水已排除。", photo=png_bytes())
    page = staff.page
    assert page.get_by_role("link", name="现场照片.png").first.is_visible()
    panel = page.get_by_test_id("feedback-panel")
    chooser = panel.get_by_label("企业联系人", exact=True)
    chooser.select_option(label=chooser.locator("option", has_text=contact).inner_text())
    panel.get_by_role("button", name="生成链接", exact=True).click()
    page.wait_for_url(re.compile(rf"/issues/{number}/"))
    url = page.get_by_test_id("feedback-link-url").input_value().strip()
    # the address actually served (this server's host and port), not a configured default
    assert url.startswith(base_url + "/feedback/"), url
    assert page.get_by_test_id("feedback-qr").locator("svg").is_visible()
    shot(page, "1-link")
    assert not staff.errors, staff.errors

    # -- the enterprise, logged out on a phone: progress, no internal notes or names
    phone = session_factory("phone")
    response = phone.page.goto(url)
    assert response.status == 200
    body = phone.page.locator("body")
    assert phone.page.get_by_test_id("feedback-title").inner_text() == title
    assert "已办理完毕，请您评价" in phone.page.get_by_test_id("feedback-status").inner_text()
    assert "已疏通排水管道" in phone.page.get_by_test_id("feedback-resolution").inner_text()
    text = body.inner_text()
    for hidden in (SECRET_NOTE, facts["staff_name"], facts["office_name"], "工作台"):
        assert hidden not in text, hidden
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width}px wide on a 375px phone"
    rate(phone, url, "不满意", "雨后门前仍有积水，希望彻底解决。")
    shot(phone.page, "2-dissatisfied")
    assert not phone.errors, phone.errors

    # -- the leader and the office are told: bell and e-mail
    office = session_factory("desktop", "supervisor")
    for username, who in (("leader", session_factory("phone", "leader")), ("supervisor", office)):
        who.goto("/")
        who.page.get_by_test_id("bell").click()
        item = who.page.get_by_test_id("notifications").locator("li", has_text=number).first
        assert "企业对办理结果不满意" in item.inner_text()
        assert "雨后门前仍有积水" in item.inner_text()
        shot(who.page, f"3-bell-{username}")
    for address in [facts["leader_email"], *facts["office_emails"]]:
        mails = mails_for(outbox, address, number)
        assert mails, f"no e-mail to {address}"
        message = mails[-1]
        assert "企业不满意" in str(message["Subject"])
        mail_body = outbox.body(message)
        assert "雨后门前仍有积水" in mail_body
        assert f"{base_url}/issues/{number}/" in mail_body

    # -- the office reopens it (重办) with a new deadline
    open_action(office, number, "重办")
    new_deadline = datetime.date.today() + datetime.timedelta(days=30)
    office.page.get_by_label("新的完成时限").fill(new_deadline.isoformat())
    office.page.get_by_label("重办理由").fill("企业反映仍有积水，请彻底整改。")
    office.page.get_by_role("button", name="重办", exact=True).click()
    office.page.wait_for_url(re.compile(rf"/issues/{number}/"))
    assert office.page.get_by_text("办理中").first.is_visible()
    assert office.page.get_by_text(new_deadline.strftime("%Y")).first.is_visible()
    shot(office.page, "4-reopened")

    # -- resolved again; the enterprise rates 满意 through the same link
    resolve(staff, number, "已重新铺设排水沟，连续降雨后无积水。")
    rate(phone, url, "满意", "这次彻底解决了，谢谢。")
    assert "您已评价" not in phone.page.locator("body").inner_text()  # the saved note instead
    assert not phone.errors, phone.errors

    # -- the office strikes it off (销号)
    open_action(office, number, "销号")
    office.page.get_by_label("满意", exact=True).check()
    office.page.get_by_role("button", name="销号", exact=True).click()
    office.page.wait_for_url(re.compile(rf"/issues/{number}/"))
    assert office.page.get_by_text("已销号").first.is_visible()

    # -- the timeline shows every step, in order
    timeline = office.page.get_by_test_id("timeline")
    steps = [
        text.strip().splitlines()[0] for text in timeline.get_by_test_id("event").all_inner_texts()
    ]
    assert steps == [
        "登记",
        "交办",
        "签收",
        "备注",
        "办结",
        "回访",
        "重办",
        "办结",
        "回访",
        "销号",
    ], steps
    timeline = timeline.inner_text()
    assert "不满意" in timeline and "雨后门前仍有积水" in timeline
    shot(office.page, "5-closed")
    assert not office.errors, office.errors

    # the enterprise's page now says it is closed, with its rating
    phone.page.goto(url)
    assert "满意" in phone.page.get_by_test_id("feedback-result").inner_text()
    print(f"journey rating: {time.monotonic() - started:.1f}s")
