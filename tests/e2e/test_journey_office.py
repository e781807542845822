"""Journeys 8 and 9 of issue 16: the oversight office's exports, prints and batch work, in a
real browser over real HTTP (see tests/e2e/conftest.py).

8. The ledger filtered by 时限状态 and 牵头单位, exported to .xlsx in the browser; the
   downloaded workbook opened (openpyxl) and compared row by row with the rows on the screen;
   the same for the assessment (its first sheet against the page's table, and the rooms'
   sheets against their tables); the printed ledger, 交办单 and 督办单 printed to PDF. No PDF
   text extractor is installed (no pdftotext, pypdf or pdfminer), so each print page's text is
   checked in the browser right before page.pdf(), and the PDF is checked to be a PDF with
   at least one page.
9. Batch 催办 and batch 交办 (with co-departments, and a weekend deadline moved to the next
   working day by the offer under the date picker), checked on each issue afterwards.

    make e2e
"""

import datetime
import json
import re
import uuid
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pytest

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "docs" / "screenshots"


def shot(page, name: str, step: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"journey-{name}-{step}.png"), full_page=True)


def setup(manage, script: str) -> dict:
    """Run `script` on the server's database; it prints one JSON line, returned here."""
    import subprocess

    try:
        out = manage("shell", "-c", script)
    except subprocess.CalledProcessError as error:
        raise AssertionError(f"set-up failed:\n{error.stderr}") from None
    return json.loads(out.strip().splitlines()[-1])


# a department with issues of this journey only is not needed: the filter keeps every red
# issue of the department, the demo's included, and the comparison covers them all
OFFICE_DATA = """
import datetime, json
from django.contrib.auth import get_user_model
from django.utils import timezone
from ledger import workflow
from ledger.models import Category, Department, Leader, Source

TAG = "{tag}"
users = get_user_model().objects
sup, staff = users.get(username="supervisor"), users.get(username="staff")
leader = Leader.objects.filter(is_active=True).order_by("order", "pk").first()
departments = Department.objects.filter(is_active=True).exclude(kind="oversight")
lead = departments.order_by("-order", "-pk").first()
co = departments.exclude(pk=lead.pk).order_by("order", "pk").first()
past = timezone.now() - datetime.timedelta(days=40)
numbers = []
for n in range(3):
    issue = workflow.issue_raise(
        actor=staff, at=past, title=f"{{TAG}}逾期问题{{n}}", description=f"{{TAG}}问题描述{{n}}",
        category=Category.objects.order_by("pk").first(),
        source=Source.objects.order_by("pk").first(),
    )
    workflow.transition(
        issue, actor=sup, action="assign", at=past, leader=leader, lead_department=lead,
        co_departments=[co], deadline=timezone.localdate(past) + datetime.timedelta(days=10 + n),
        note=f"{{TAG}}交办意见{{n}}",
    )
    numbers.append(issue)
workflow.transition(numbers[0], actor=sup, action="escalate", note=f"{{TAG}}督办理由")
numbers = [issue.number for issue in numbers]
print(json.dumps({{"numbers": numbers, "lead": lead.name, "lead_label": lead.label,
    "lead_pk": lead.pk, "co": co.name, "leader": str(leader.user)}}))
"""


ROWS_ON_SCREEN = """() => Array.from(
  document.querySelectorAll("[data-testid=ledger-row]")).map(row => {
  const cell = label => {
    const td = row.querySelector(`td[data-label="${label}"]`);
    return td ? td.innerText.split("\\n")[0].trim() : null;
  };
  return {
    number: row.querySelector(".ledger-number a").innerText.trim(),
    title: row.querySelector(".ledger-title a").innerText.trim(),
    source: cell("问题来源"), category: cell("问题类别"), leader: cell("责任领导"),
    lead: cell("牵头单位"), deadline: cell("完成时限"), status: cell("状态"),
    health: cell("时限状态"), satisfaction: cell("满意度"),
  };
})"""


def xlsx_table(path, header_first: str):
    """(headers, rows as dicts) of the first sheet: the header row is the one starting with
    `header_first` (a title row comes before it)."""
    sheet = openpyxl.load_workbook(path).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    at = next(i for i, r in enumerate(rows) if r and r[0] == header_first)
    headers = rows[at]
    return headers, [dict(zip(headers, r, strict=False)) for r in rows[at + 1 :] if any(r)]


def day_text(value) -> str:
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    return "—" if value in (None, "") else str(value)


def test_journey_8_office_exports_and_prints_what_it_sees(session_factory, manage, tmp_path):
    tag = f"J8{uuid.uuid4().hex[:6]}"
    data = setup(manage, OFFICE_DATA.format(tag=tag))
    office = session_factory("desktop", "supervisor")
    page = office.page

    # -- the ledger filtered by 时限状态 = 逾期 and the department, as a person does it
    office.goto("/issues/")
    page.get_by_role("button", name="筛选条件").click()
    filters = page.locator("#ledger-filters")
    filters.get_by_role("group", name="时限状态").get_by_label("逾期", exact=True).check()
    filters.get_by_label("牵头单位").select_option(label=data["lead"])
    filters.get_by_role("button", name="应用筛选").click()
    page.wait_for_url(re.compile(r"health=red"))
    screen = page.evaluate(ROWS_ON_SCREEN)
    numbers = [row["number"] for row in screen]
    assert set(data["numbers"]) <= set(numbers), "the journey's red issues are listed"
    for row in screen:
        row["health"] = row["health"].split()[-1]  # "● 逾期": the sign, then the words
    assert all(row["lead"] == data["lead_label"] and row["health"] == "逾期" for row in screen), (
        screen
    )
    shot(page, "office", "1-ledger-filtered")

    with page.expect_download() as download:
        page.get_by_test_id("export-xlsx").click()
    path = tmp_path / "ledger.xlsx"
    download.value.save_as(path)
    headers, exported = xlsx_table(path, "序号")
    assert [row["编号"] for row in exported] == numbers, "same rows, same order"
    for seen, row in zip(screen, exported, strict=True):
        assert row["问题标题"] == seen["title"], seen["number"]
        assert row["问题来源"] == seen["source"] and row["问题类别"] == seen["category"]
        assert (row["责任领导"] or "—") == seen["leader"]
        assert row["牵头单位"] == data["lead"]  # the screen shows its short name
        assert day_text(row["完成时限"]) == seen["deadline"]
        assert row["办理状态"] == seen["status"] and row["时限状态"] == seen["health"] == "逾期"
        assert (row["满意度"] or "—") == seen["satisfaction"]
    ours = {row["编号"]: row for row in exported if row["编号"] in data["numbers"]}
    assert ours[data["numbers"][0]]["督办件"] == "是" and ours[data["numbers"][1]]["督办件"] == "否"
    assert all(row["配合单位"] == data["co"] for row in ours.values())

    # -- the filtered ledger printed: the same rows on paper
    page.get_by_test_id("print-ledger").click()
    page.wait_for_url(re.compile(r"/issues/print/"))
    printed = page.locator("body").inner_text()
    for number in numbers:
        assert number in printed
    assert "逾期" in printed and data["lead"] in printed
    shot(page, "office", "2-ledger-print")
    pdf = page.pdf(path=str(tmp_path / "ledger.pdf"), format="A4", landscape=True)
    assert_pdf(pdf)

    # -- 交办单 and 督办单 of the escalated issue, from its page
    first = data["numbers"][0]
    office.goto(f"/issues/{first}/")
    page.get_by_test_id("notice-assign-link").click()
    page.wait_for_url(re.compile(r"/notice/assign/"))
    notice = page.get_by_test_id("notice").inner_text()
    for text in (
        "问题交办单",
        first,
        f"{tag}逾期问题0",
        data["lead"],
        data["co"],
        f"{tag}交办意见0",
    ):
        assert text in notice, text
    shot(page, "office", "3-notice-assign")
    assert_pdf(page.pdf(path=str(tmp_path / "assign.pdf"), format="A4"))

    office.goto(f"/issues/{first}/")
    page.get_by_test_id("notice-escalate-link").click()
    page.wait_for_url(re.compile(r"/notice/escalate/"))
    notice = page.get_by_test_id("notice").inner_text()
    for text in ("问题督办单", first, f"{tag}逾期问题0", data["lead"], f"{tag}督办理由"):
        assert text in notice, text
    shot(page, "office", "4-notice-escalate")
    assert_pdf(page.pdf(path=str(tmp_path / "escalate.pdf"), format="A4"))

    # -- the assessment: the page's table against the export's first sheet, the rooms' tables
    # against their own sheets
    office.goto("/assessment/")
    table = page.get_by_test_id("assessment-table")
    table.wait_for()
    page_heads = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    page_rows = page.evaluate(ASSESSMENT_ON_SCREEN)
    coverage_rows = page.evaluate(COVERAGE_ON_SCREEN)
    assert page_rows and coverage_rows
    shot(page, "office", "5-assessment")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    path = tmp_path / "assessment.xlsx"
    download.value.save_as(path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["考核统计", "包联走访覆盖率", "企业服务考核评价"]
    sheet = [list(r) for r in book["考核统计"].iter_rows(values_only=True)]
    assert sheet[1] == page_heads, "every column of the page, in its order"
    assert len(sheet) - 2 == len(page_rows)
    for cells, row in zip(page_rows, sheet[2:], strict=True):
        assert len(cells) == len(row)
        for seen, value in zip(cells, row, strict=True):
            assert same_figure(seen, value, rate="%" in seen), (cells, row)
    coverage = [list(r) for r in book["包联走访覆盖率"].iter_rows(values_only=True)][2:]
    assert [r[0] for r in coverage] == [r[0] for r in coverage_rows]
    for seen, row in zip(coverage_rows, coverage, strict=True):
        assert [str(row[2]), str(row[3]), str(row[5])] == [seen[1], seen[2], seen[4]]
        assert same_figure(seen[3], row[4], rate=True)
    assert not office.errors, office.errors


ASSESSMENT_ON_SCREEN = """() => Array.from(
  document.querySelectorAll("[data-testid=assessment-table] tbody tr")).map(tr =>
  Array.from(tr.children).map(cell => {
    const link = cell.querySelector("a.figure-link");
    return (link ? link.innerText : cell.innerText.split("\\n")[0]).trim();
  }))"""

COVERAGE_ON_SCREEN = """() => Array.from(document.querySelectorAll("[data-testid=coverage-row]"))
  .map(tr => Array.from(tr.children).map((cell, i) =>
    (i === 0 ? cell.childNodes[0].textContent : cell.innerText).trim()))"""


def same_figure(seen: str, value, *, rate: bool) -> bool:
    """A figure on the screen ("85.0%", "3.5", "—", a name) and its cell in the workbook
    (a fraction for a rate, a number, "—", text)."""
    if seen == "—":
        return value == "—"
    if rate:
        percent = Decimal(str(value * 100)).quantize(Decimal("0.1"), ROUND_HALF_UP)
        return abs(float(seen.rstrip("%")) - float(percent)) <= 0.051
    if isinstance(value, int | float):
        return abs(float(seen) - float(value)) < 1e-9
    return seen == str(value)


def assert_pdf(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-") and len(pdf) > 5000
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 1


# -- journey 9 ------------------------------------------------------------------------------

BATCH_DATA = """
import json
from django.contrib.auth import get_user_model
from ledger import workflow, workdays
from ledger.models import Category, Department, Leader, Source
from django.utils import timezone
import datetime

TAG = "{tag}"
users = get_user_model().objects
sup, staff = users.get(username="supervisor"), users.get(username="staff")
leader = Leader.objects.filter(is_active=True).order_by("order", "pk").first()
departments = list(Department.objects.filter(is_active=True).exclude(kind="oversight")
                   .order_by("order", "pk")[:4])
lead, co1, co2, other = departments
def raise_(title):
    return workflow.issue_raise(
        actor=staff, title=title, description="批量办理测试",
        category=Category.objects.order_by("pk").first(),
        source=Source.objects.order_by("pk").first(),
    )
chased = []
for n in range(2):
    issue = raise_(f"{{TAG}}催办{{n}}")
    workflow.transition(issue, actor=sup, action="assign", leader=leader, lead_department=other,
                        deadline=timezone.localdate() + datetime.timedelta(days=20))
    chased.append(issue.number)
fresh = [raise_(f"{{TAG}}交办{{n}}").number for n in range(2)]
day = timezone.localdate() + datetime.timedelta(days=14)
while day.weekday() != 5 or workdays.is_working_day(day):
    day += datetime.timedelta(days=1)
print(json.dumps({{"chased": chased, "fresh": fresh, "leader": str(leader.user),
    "leader_pk": leader.pk, "lead": lead.name, "co1": co1.name, "co2": co2.name,
    "saturday": day.isoformat(), "monday": workdays.next_working_day(day).isoformat()}}))
"""

ISSUE_STATE = """
import json
from ledger.models import Issue
out = {{}}
for number in {numbers!r}:
    i = Issue.objects.get(number=number)
    out[number] = {{"status": i.get_status_display(),
        "urges": i.events.filter(action="urge").count(),
        "urge_note": (i.events.filter(action="urge").values_list("note", flat=True).last() or ""),
        "lead": i.lead_department.name if i.lead_department else "",
        "co": sorted(d.name for d in i.co_departments.all()),
        "deadline": i.deadline.isoformat() if i.deadline else ""}}
print(json.dumps(out))
"""


def choose_in_ledger(office, tag, numbers):
    """Search the ledger for the journey's issues and tick the given ones."""
    page = office.page
    office.goto("/issues/")
    page.get_by_role("searchbox").fill(tag)
    page.get_by_role("button", name="查询").click()
    page.wait_for_url(re.compile(r"q="))
    for number in numbers:
        page.get_by_label(f"选择 {number}").check()
    assert page.get_by_text(f"已选 {len(numbers)} 个问题").is_visible()


def test_journey_9_batch_urge_and_batch_assign_with_co_departments(
    session_factory, manage, tmp_path
):
    tag = f"J9{uuid.uuid4().hex[:6]}"
    data = setup(manage, BATCH_DATA.format(tag=tag))
    office = session_factory("desktop", "supervisor")
    page = office.page

    # -- batch 催办 of two assigned issues
    choose_in_ledger(office, tag, data["chased"])
    page.get_by_role("button", name="批量催办").click()
    page.wait_for_url(re.compile(r"/issues/batch/"))
    assert page.get_by_role("radio", name="催办").is_checked()
    assign_fields = page.get_by_test_id("batch-assign-fields")
    assert assign_fields.is_hidden(), "催办 needs no leader, department or deadline"
    page.get_by_label("说明").fill(f"{tag}请加快办理")
    shot(page, "batch", "1-urge-form")
    page.get_by_role("button", name="执行批量操作").click()
    page.wait_for_url(re.compile(r"/issues/batch/result/"))
    result = page.locator("main").inner_text()
    for number in data["chased"]:
        assert number in result
    shot(page, "batch", "2-urge-result")
    state = setup(manage, ISSUE_STATE.format(numbers=data["chased"]))
    for number in data["chased"]:
        assert state[number]["urges"] == 1 and state[number]["urge_note"] == f"{tag}请加快办理"
    office.goto(f"/issues/{data['chased'][0]}/")
    assert page.get_by_text(f"{tag}请加快办理").first.is_visible()  # on the timeline

    # -- batch 交办 of two new issues, with two co-departments and a weekend deadline
    choose_in_ledger(office, tag, data["fresh"])
    page.get_by_role("button", name="批量交办").click()
    page.wait_for_url(re.compile(r"/issues/batch/"))
    assert page.get_by_role("radio", name="交办").is_checked()
    assert assign_fields.is_visible()
    page.get_by_role("radio", name="催办").check()  # fields follow the choice, no reload
    assert assign_fields.is_hidden()
    page.get_by_role("radio", name="交办").check()
    assert assign_fields.is_visible()
    page.get_by_label("责任领导").select_option(value=str(data["leader_pk"]))
    page.get_by_label("牵头单位").select_option(label=data["lead"])
    co = page.get_by_role("group", name="配合单位")
    co.get_by_label(data["co1"], exact=True).check()
    co.get_by_label(data["co2"], exact=True).check()
    page.get_by_label("完成时限").fill(data["saturday"])
    warning = page.get_by_test_id("workday-warning")
    warning.wait_for()
    assert f"{data['saturday']}（周六）不是工作日" in warning.inner_text()
    assert data["monday"] in warning.inner_text()
    shot(page, "batch", "3-assign-weekend-warning")
    warning.get_by_role("button", name=f"改为 {data['monday']}").click()
    assert page.get_by_label("完成时限").input_value() == data["monday"]
    assert warning.is_hidden()
    page.get_by_label("说明").fill(f"{tag}集中交办")
    shot(page, "batch", "4-assign-form")
    page.get_by_role("button", name="执行批量操作").click()
    page.wait_for_url(re.compile(r"/issues/batch/result/"))
    shot(page, "batch", "5-assign-result")

    state = setup(manage, ISSUE_STATE.format(numbers=data["fresh"]))
    for number in data["fresh"]:
        assert state[number]["status"] == "已交办"
        assert state[number]["lead"] == data["lead"]
        assert state[number]["co"] == sorted([data["co1"], data["co2"]])
        assert state[number]["deadline"] == data["monday"]
    office.goto(f"/issues/{data['fresh'][1]}/")
    fields = page.get_by_test_id("deadline").inner_text()
    assert data["monday"] in fields and "个工作日" in fields
    body = page.locator("main").inner_text()
    assert data["co1"] in body and data["co2"] in body
    shot(page, "batch", "6-issue-after")
    assert not office.errors, office.errors
