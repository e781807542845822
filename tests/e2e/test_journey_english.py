"""Journey 12: the language switched to English and back through the navbar's switch, on the
screens the other journeys use, with no Chinese system text left on the English pages (the
people's own data aside: names, titles, units …); and the navbar on one line at 1366 px, the
English ledger without sideways scrolling at 375 px (issue 16, 2.7 and 2.16).

    make e2e
"""

import json
import re
import time
import uuid

import pytest

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+")
SHOTS = ROOT / "docs" / "screenshots"

# An issue of our own with an English title and notes, and a timeline with what the system
# writes itself in Chinese: the automatic 催办 (its note and its account) and an extension
# request; then the people's own words the pages show, to leave out of the check.
SETUP = """
import json
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from ledger import stored_text, workflow
from ledger.models import Category, Department, Leader, Source
from ledger.notify.reminders import system_actor
from django.utils import timezone
import datetime

User = get_user_model()
staff = User.objects.get(username="staff")
supervisor = User.objects.get(username="supervisor")
leader = Leader.objects.get(user__username="leader")
issue = workflow.issue_raise(
    actor=staff,
    title=TITLE,
    description="The road outside gate 3 floods after every rain.",
    category=Category.objects.order_by("pk").first(),
    source=Source.objects.order_by("pk").first(),
)
def go(actor, action, **data):
    workflow.transition(issue.pk, actor=actor, action=action, **data)
go(supervisor, "assign", leader=leader, lead_department=staff.department,
   deadline=timezone.localdate() + datetime.timedelta(days=20), note="Please fix the drain.")
go(staff, "accept")
go(staff, "progress", progress="slow", note="Waiting for the pipes.")
note = stored_text.stored(
    lambda: _("逾期自动催办：完成时限为%(deadline)s，至今未办结。")
    % {"deadline": "2026年3月5日"}
)
go(system_actor(), "urge", note=note)
go(staff, "extension_request", new_deadline=timezone.localdate() + datetime.timedelta(days=40),
   note="The pipes arrive late.")
print(json.dumps({"number": issue.number}))
"""

USER_DATA = """
import json
from django.apps import apps
from django.db import models

# every text a person typed or an office loaded, in the tables the journeys' pages show
FIELDS = {
    "ledger.Department": ["name", "short_name"],
    "ledger.User": ["name"],
    "ledger.Leader": ["title"],
    "ledger.Enterprise": ["name", "industry", "address"],
    "ledger.Contact": ["name", "position"],
    "ledger.KeyProject": ["name"],
    "ledger.Category": ["name"],
    "ledger.Source": ["name"],
    "ledger.Issue": ["title", "description", "progress_note", "resolution", "measures",
                     "satisfaction_note", "returned_reason", "responsible_person"],
    "ledger.ExtensionRequest": ["reason", "decision_note"],
    "service.ProcedureType": ["name"],
    "service.ProjectProcedure": ["note"],
    "service.Visit": ["summary", "companions_text", "met_text"],
    "feedback.FeedbackRating": ["comment", "contact_name"],
    "feedback.FeedbackLink": ["contact_name"],
}
found = set()
for label, names in FIELDS.items():
    try:
        model = apps.get_model(label)
    except LookupError:
        continue
    names = [n for n in names if any(f.name == n for f in model._meta.get_fields())]
    for row in model.objects.values_list(*names):
        found.update(str(v) for v in row if v)
# what people wrote in the timeline (a return's reason shows on the ledger); not the notes the
# system's own accounts wrote, which must read in English
IssueEvent = apps.get_model("ledger.IssueEvent")
found.update(
    IssueEvent.objects.exclude(note="").exclude(actor__username__startswith="zz_")
    .values_list("note", flat=True)
)
print(json.dumps(sorted(found, key=len, reverse=True), ensure_ascii=False))
"""

NAVBAR = """() => {
  const bar = document.querySelector('nav.navbar');
  const parts = '.navbar-brand, #mainnav > ul > li, #mainnav > :not(ul), [data-testid=bell]';
  const shown = [...bar.querySelectorAll(parts)].filter(e => e.offsetParent !== null);
  const middles = shown.map(e => {
    const r = e.getBoundingClientRect();
    return Math.round(r.top + r.height / 2);
  });
  return {height: Math.round(bar.getBoundingClientRect().height), items: shown.length,
          spread: Math.max(...middles) - Math.min(...middles)};
}"""
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def shell_json(manage, script):
    """The JSON a shell script prints last (the shell's own banner comes before it)."""
    return json.loads(manage("shell", "-c", script).strip().splitlines()[-1])


def chinese_left(page, user_data) -> list[str]:
    """The Chinese the visible page says that is not the people's own data."""
    text = page.locator("body").inner_text()
    for data in user_data:
        # a notification quotes a person's reason without its last full stop (and cut at
        # 120 characters with …)
        for shown in (data, data.rstrip("。．.!！"), data[:119]):
            text = text.replace(shown, "")
    # the language switch names each language in itself
    text = text.replace("简体中文", "")
    return sorted(set(CJK.findall(text)))


def assert_english(session, path, user_data, shot=None):
    session.goto(path)
    page = session.page
    assert page.locator("html").get_attribute("lang") == "en", path
    left = chinese_left(page, user_data)
    assert not left, f"{path}: Chinese system text on the English page: {left}"
    if shot:
        page.screenshot(path=str(SHOTS / f"journey-english-{shot}.png"))


def assert_one_line(page, where):
    bar = page.evaluate(NAVBAR)
    assert bar["items"] >= 10, (where, bar)
    assert bar["spread"] <= 4 and bar["height"] <= 64, f"{where}: navbar on several lines {bar}"


def test_journey_english_and_back(session_factory, manage):
    started = time.monotonic()
    SHOTS.mkdir(parents=True, exist_ok=True)
    title = f"Flooded road J12-{uuid.uuid4().hex[:6]}"
    number = shell_json(manage, f"TITLE = {title!r}\n" + SETUP)["number"]
    user_data = shell_json(manage, USER_DATA)

    session = session_factory("desktop", "supervisor")
    page = session.page
    session.goto(f"/issues/{number}/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    timeline = page.get_by_test_id("timeline")
    assert timeline.get_by_text("逾期自动催办：完成时限为2026年3月5日").is_visible()
    assert_one_line(page, "supervisor, Chinese, 1366 px")

    # the switch in the navbar: English, and the same page comes back in English
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    assert page.url.endswith(f"/issues/{number}/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("nav.navbar").get_by_role("link", name="Ledger", exact=True).is_visible()
    # the system's own words, stored in Chinese, read in English; the person's words as written
    assert timeline.get_by_text(
        "Overdue, urged automatically: the deadline was 2026-03-05"
    ).is_visible()
    assert timeline.get_by_text("Automatic reminders (system)").first.is_visible()
    assert timeline.get_by_text("Waiting for the pipes.").first.is_visible()
    assert_one_line(page, "supervisor, English, 1366 px")
    assert_english(session, f"/issues/{number}/", user_data, shot="1-issue")

    # the screens the journeys go through, each without Chinese of ours
    for path, shot in [
        ("/", "2-home"),
        ("/issues/", "3-ledger"),
        ("/issues/new/", None),
        ("/notifications/", "4-bell"),
        ("/dashboard/", None),
        ("/assessment/", "5-assessment"),
        ("/reports/weekly/", None),
        ("/reports/monthly/", None),
        ("/enterprises/", None),
        ("/projects/", None),
        ("/visits/", None),
        ("/procedures/late/", None),
        (f"/issues/{number}/act/comment/", None),
    ]:
        assert_english(session, path, user_data, shot=shot)

    # an import previewed in English: its counts, cells and notes
    session.goto("/issues/import/")
    sheet = f"Title,Description,Deadline\r\n{title} (sheet),Water on the road,2026-12-31\r\n"
    page.get_by_label("File").set_input_files(
        {"name": "english.csv", "mimeType": "text/csv", "buffer": sheet.encode()}
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Upload and preview").click()
    assert re.search(r"/imports/\d+/$", page.url), page.url
    assert page.get_by_text(f"{title} (sheet)").is_visible()
    assert_english(session, page.url.removeprefix(session.base), user_data, shot="6-import")

    # the leader's own page, switched by the leader
    leader = session_factory("desktop", "leader")
    leader.goto("/leaders/me/")
    with leader.page.expect_navigation():
        leader.page.get_by_role("button", name="English").click()
    assert_english(leader, "/leaders/me/", user_data, shot="7-leader")
    assert_one_line(leader.page, "leader, English, 1366 px")

    # and back to Chinese: the same switch, the page in Chinese again
    session.goto(f"/issues/{number}/")
    with page.expect_navigation():
        page.get_by_role("button", name="简体中文").click()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("nav.navbar").get_by_role("link", name="问题台账", exact=True).is_visible()
    assert page.get_by_role("heading", name="办理记录").is_visible()
    assert timeline.get_by_text("逾期自动催办：完成时限为2026年3月5日").is_visible()
    page.screenshot(path=str(SHOTS / "journey-english-8-back-to-chinese.png"))
    assert not session.errors, "\n".join(session.errors)
    assert not leader.errors, "\n".join(leader.errors)
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_ledger_fits_a_phone_without_sideways_scrolling(session_factory, base_url, language):
    session = session_factory("phone", "supervisor")
    session.context.add_cookies([{"name": "django_language", "value": language, "url": base_url}])
    # the demo's ledger has returned issues among its rows: status and badge side by side
    session.goto("/issues/?status=raised")
    assert session.page.get_by_test_id("returned").count() >= 1
    assert session.page.evaluate(OVERFLOW) <= 0
    session.goto("/issues/")
    assert session.page.evaluate(OVERFLOW) <= 0
    if language == "en":
        session.page.screenshot(path=str(SHOTS / "journey-english-9-phone-ledger.png"))
    assert not session.errors, "\n".join(session.errors)
