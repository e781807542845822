"""Journey 10: the administrator finds an overdue issue in the Django admin (/admin/): from the
index to 问题, filtered by 红黄绿灯 = 逾期 and searched, then its page with the read-only
办理记录 — every label in Chinese, and nothing on the events to save or delete.

    make e2e
"""

import re
import uuid

import pytest

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "docs" / "screenshots"

# An issue raised 30 days ago and assigned then with a 10-day deadline: overdue today.
SETUP = """
import datetime
from django.contrib.auth import get_user_model
from django.utils import timezone
from ledger import workflow
from ledger.models import Category, Department, Leader, Source

User = get_user_model()
then = timezone.now() - datetime.timedelta(days=30)
issue = workflow.issue_raise(
    actor=User.objects.get(username="staff"),
    at=then,
    title="{title}",
    description="排污管道堵塞，雨季前需疏通。",
    category=Category.objects.get(name="环保安全"),
    source=Source.objects.get(name="督查检查"),
)
workflow.transition(
    issue,
    actor=User.objects.get(username="supervisor"),
    action="assign",
    at=then + datetime.timedelta(hours=2),
    note="{note}",
    leader=Leader.objects.get(user__username="leader"),
    lead_department=Department.objects.get(name="区工信局"),
    deadline=(then + datetime.timedelta(days=10)).date(),
)
issue.refresh_from_db()
print(issue.number, issue.health)
"""

# English words a person may see in the Chinese admin: names, not UI text
ALLOWED = {"ZZ", "Excel", "ID"}


def english_words(text: str) -> set[str]:
    return {word for word in re.findall(r"[A-Za-z]{2,}", text) if word not in ALLOWED}


def test_admin_filters_overdue_issues_and_sees_read_only_events_in_chinese(session_factory, manage):
    tag = f"{uuid.uuid4().int % 10**8:08d}"  # digits: the page is searched for English words
    title = f"园区排污管道堵塞{tag}"
    note = f"请区工信局十日内协调疏通{tag}"
    out = manage("shell", "-c", SETUP.format(title=title, note=note))
    number, health = out.strip().splitlines()[-1].split()
    assert health == "red", health

    session = session_factory("desktop", "admin")
    page = session.page
    session.goto("/admin/")
    assert page.locator("#content h1").inner_text() == "系统管理"
    assert not english_words(page.locator("#content").inner_text())
    page.locator("#content").get_by_role("link", name="问题", exact=True).click()
    assert page.locator("#content h1").inner_text() == "选择 问题 来修改"

    # the 红黄绿灯 filter: 逾期
    filters = page.locator("#changelist-filter")
    assert "红黄绿灯" in filters.inner_text()
    with page.expect_navigation():
        filters.get_by_role("link", name="逾期", exact=True).click()
    assert "health=red" in page.url
    page.get_by_role("textbox", name="搜索").fill(tag)
    with page.expect_navigation():
        page.get_by_role("button", name="搜索").click()
    assert "health=red" in page.url, "the search dropped the filter"
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1, rows.all_inner_texts()
    row = rows.first
    assert number in row.inner_text() and title in row.inner_text()
    assert "逾期" in row.inner_text() and "已交办" in row.inner_text()
    for label in ("编号", "问题标题", "状态", "红黄绿灯", "责任领导", "牵头单位", "完成时限"):
        assert page.locator("#result_list thead").get_by_text(label, exact=True).count(), label
    assert not english_words(page.locator("#content").inner_text())
    page.screenshot(path=SHOTS / "journey-admin-overdue.png", full_page=True)

    # the other lights do not hold it
    session.goto(f"/admin/ledger/issue/?health=green&q={tag}")
    assert (
        not page.locator("#result_list").count()
        or not page.locator("#result_list tbody tr").filter(has_text=number).count()
    )

    # its page: the events read-only, in Chinese, with no save or delete anywhere
    session.goto(f"/admin/ledger/issue/?health=red&q={tag}")
    page.locator("#result_list").get_by_role("link", name=number).click()
    page.get_by_role("heading", name="办理记录（只读）").wait_for()
    events = page.locator(".inline-group").filter(
        has=page.get_by_role("heading", name="办理记录（只读）")
    )
    text = events.inner_text()
    for label in ("序号", "时间", "操作", "原状态", "新状态", "操作人", "操作人单位", "说明"):
        assert label in text, (label, text[:400])
    assert "登记" in text and "交办" in text and "待交办" in text and "已交办" in text
    assert note in text and "李文博" in text and "吕慧清" in text
    # each event is named by the issue's ledger number, as the other records are
    assert f"{number}#1 登记" in text and f"{number}#2 交办" in text, text[:300]
    assert events.locator("input, textarea, select").filter(visible=True).count() == 0
    assert not events.get_by_text("删除").count()
    assert not events.get_by_role("link", name=re.compile("添加")).count()
    assert not page.get_by_role("button", name=re.compile("保存")).count()
    assert not page.get_by_role("link", name="删除").count()
    assert not english_words(page.locator("#content").inner_text())
    page.screenshot(path=SHOTS / "journey-admin-issue.png", full_page=True)
    assert not session.errors, "\n".join(session.errors)
