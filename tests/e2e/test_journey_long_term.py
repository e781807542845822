"""Journey: the oversight office assigns a 长期坚持 item (no deadline) in the browser; the
issue page and the ledger show its mark and its reporting cycle, and no red light.

    make e2e
"""

import time

import pytest

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "docs" / "screenshots"


def shot(page, step):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"journey-long-term-{step}.png"), full_page=True)


def test_office_assigns_a_long_term_item_and_it_shows_its_mark_and_no_red_light(
    session_factory, manage
):
    title = f"园区污水管网持续改造{int(time.time() * 1000) % 10**8}"
    number = manage(
        "shell",
        "-c",
        f"""
from django.contrib.auth import get_user_model
from ledger import workflow
from ledger.models import Category, Source
issue = workflow.issue_raise(
    actor=get_user_model().objects.get(username="staff"),
    title="{title}",
    description="管网改造需分年度持续推进，每月报送进展。",
    category=Category.objects.order_by("pk").first(),
    source=Source.objects.order_by("pk").first(),
)
print("NUMBER", issue.number)
""",
    )
    number = next(line.split()[1] for line in number.splitlines() if line.startswith("NUMBER "))

    office = session_factory("desktop", user="supervisor")
    page = office.page
    office.goto(f"/issues/{number}/")
    assert page.get_by_role("heading", name=title).count() >= 1, page.content()[:3000]
    page.get_by_role("link", name="交办", exact=True).first.click()
    page.get_by_label("责任领导").select_option(index=1)
    page.get_by_label("牵头单位").select_option(index=1)
    long_term = page.get_by_label("长期坚持（不设完成时限）")
    long_term.check()
    assert page.get_by_label("完成时限", exact=True).input_value() == ""
    shot(page, "assign")
    page.get_by_test_id("submit").click()
    page.wait_for_url(f"**/issues/{number}/")

    # the issue page: 已交办, the mark where the deadline would be, this cycle, a green light
    assert page.get_by_text("已交办").first.is_visible()
    deadline = page.get_by_test_id("deadline")
    assert deadline.get_by_test_id("long-term").inner_text() == "长期坚持"
    assert "尚未报送进展" in deadline.get_by_test_id("report-cycle").inner_text()
    assert "正常" in deadline.inner_text()
    assert page.locator(".health-red").count() == 0
    assert "逾期" not in deadline.inner_text()
    assert page.get_by_test_id("long-term-note").is_visible()
    shot(page, "issue")

    # the ledger, filtered to long-term items: the row with its mark, not red
    office.goto(f"/issues/?long_term=1&q={title}")
    row = page.get_by_role("row").filter(has_text=title)
    assert row.count() == 1
    assert row.get_by_test_id("long-term").inner_text() == "长期坚持"
    assert row.locator(".health-red").count() == 0
    assert page.get_by_label("长期坚持", exact=True).input_value() == "1"
    shot(page, "ledger")
    # and filtered the other way, it is not there
    office.goto(f"/issues/?long_term=0&q={title}")
    assert page.get_by_role("row").filter(has_text=title).count() == 0
    assert not office.errors, office.errors
