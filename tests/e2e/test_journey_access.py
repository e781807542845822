"""Journey 6: staff of another department (staff2, 李封办事处) cannot reach an issue of 区工信局
by URL — not its page, its attachment, its 交办单 or 督办单, its action forms — and a ledger
export by staff2 does not hold its row; the same URLs open for staff of 区工信局.

    make e2e
"""

import io
import json
import re
import uuid

import pytest

from tests.e2e.conftest import _SERVER, ROOT

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "docs" / "screenshots"

# An issue of 区工信局 (raised by `staff`, with an attachment), assigned to it and escalated
# (督办), so that its 交办单 and 督办单 both exist.
SETUP = """
import datetime, json
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from ledger import workflow
from ledger.models import Category, Department, Enterprise, Leader, Source
from ledger.validators import credit_code_check_char
from ledger.workdays import add_working_days

User = get_user_model()
first17 = "91410803" + "{digits}"
enterprise = Enterprise.objects.create(
    name="{enterprise}",
    credit_code=first17 + credit_code_check_char(first17),
    leader=Leader.objects.get(user__username="leader"),
)
issue = workflow.issue_raise(
    actor=User.objects.get(username="staff"),
    title="{title}",
    description="企业反映的内部情况，只有相关单位可以查看。",
    category=Category.objects.get(name="用工人才"),
    source=Source.objects.get(name="企业走访"),
    enterprise=enterprise,
    files=[SimpleUploadedFile("{file}", "内部材料".encode(), content_type="text/plain")],
)
office = User.objects.get(username="supervisor")
workflow.transition(
    issue,
    actor=office,
    action="assign",
    leader=Leader.objects.get(user__username="leader"),
    lead_department=Department.objects.get(name="区工信局"),
    deadline=add_working_days(datetime.date.today(), 15),
)
workflow.transition(issue, actor=office, action="escalate", note="久拖未决，列为督办。")
print(json.dumps({{"number": issue.number, "attachment": issue.attachments.get().pk}}))
"""

STAFF2_SEES = """
from django.contrib.auth import get_user_model
from ledger import selectors
import json
staff2 = get_user_model().objects.get(username="staff2")
print(json.dumps(list(selectors.visible_to(staff2).values_list("number", flat=True))))
"""


def test_staff_of_another_department_cannot_reach_an_issue_by_url(session_factory, manage):
    tag = uuid.uuid4().hex[:6].upper()
    title = f"企业招工难需人社对接{tag}"
    file = f"内部材料{tag}.txt"
    digits = f"{uuid.uuid4().int % 10**9:09d}"
    script = SETUP.format(
        digits=digits, enterprise=f"旅程权限企业{tag}有限公司", title=title, file=file
    )
    made = json.loads(manage("shell", "-c", script).strip().splitlines()[-1])
    number = made["number"]
    urls = {
        "issue": f"/issues/{number}/",
        "attachment": f"/issues/{number}/attachments/{made['attachment']}/",
        "交办单": f"/issues/{number}/notice/assign/",
        "督办单": f"/issues/{number}/notice/escalate/",
        "edit": f"/issues/{number}/edit/",
        "comment": f"/issues/{number}/act/comment/",
        "accept": f"/issues/{number}/act/accept/",
    }

    # staff of 区工信局: every one of these URLs opens (so the refusals below are about who
    # asks, not about a wrong address)
    staff = session_factory("desktop", "staff")
    opened = {}
    for name, url in urls.items():
        if name in ("edit",):
            continue  # 修改 is only before assignment
        response = staff.page.request.get(staff.base + url)
        opened[name] = response.status
    assert opened == dict.fromkeys(opened, 200), opened
    staff.goto(urls["督办单"])
    assert "问题督办单" in staff.page.locator("body").inner_text()
    assert title in staff.page.locator("body").inner_text()

    # staff2 (李封办事处) types each address: a page saying it is not there, nothing of the issue
    other = session_factory("desktop", "staff2")
    debug = _SERVER["env"].get("DEBUG") == "1"
    page = other.page
    for name, url in urls.items():
        response = other.goto(url)
        assert response.status in (403, 404), (name, url, response.status)
        body = page.locator("body").inner_text()
        assert title not in body and "内部情况" not in body and "内部材料" not in body, name
        if response.status == 404 and debug:
            # the demo server runs with DEBUG on: Django's own 404 page, which shows no data
            assert page.get_by_role("heading", name="Page not found").is_visible(), name
        elif response.status == 404:
            assert page.get_by_test_id("error-404").is_visible(), (name, body[:300])
        else:
            assert page.get_by_test_id("error-403").is_visible(), (name, body[:300])
        if name == "issue":
            page.screenshot(path=SHOTS / "journey-access-issue-404.png", full_page=True)

    # the ledger searched for it finds nothing, and the export of the same query lacks the row
    other.goto(f"/issues/?q={tag}")
    assert "没有符合条件的问题。" in page.locator("tbody").inner_text()
    other.goto("/issues/")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    staff2_rows = sheet_rows(download.value.path())
    assert staff2_rows[1][:2] == ("序号", "编号"), staff2_rows[:2]
    exported = [row[1] for row in staff2_rows[2:]]
    assert exported, "the export of staff2's ledger is empty"
    assert number not in exported
    assert not [row for row in staff2_rows if title in row]
    # the export's URL with the issue's number as the query: a sheet without a row
    response = page.request.get(f"{other.base}/issues/export.xlsx?q={number}")
    assert response.status == 200
    searched = sheet_rows(io.BytesIO(response.body()))
    assert searched[1][:2] == ("序号", "编号") and not searched[2:], searched
    # the rows are exactly the issues staff2 may see
    visible = json.loads(manage("shell", "-c", STAFF2_SEES).strip().splitlines()[-1])
    assert sorted(exported) == sorted(visible)

    # the same export by staff of 区工信局 has the row
    staff.goto("/issues/")
    with staff.page.expect_download() as download:
        staff.page.get_by_role("link", name="导出 Excel").click()
    staff_rows = sheet_rows(download.value.path())
    # and the export's URL searched by the number gives staff of 区工信局 just that row
    response = staff.page.request.get(f"{staff.base}/issues/export.xlsx?q={number}")
    assert [row[1] for row in sheet_rows(io.BytesIO(response.body()))[2:]] == [number]
    assert [row for row in staff_rows[2:] if row[1] == number and row[5] == title]
    # the browser logs each refused page as a failed load; nothing else (no CSP refusal)
    others = [e for e in other.errors if not re.search(r"status of 40[34] \(", e)]
    assert not others, "\n".join(others)
    assert not staff.errors, "\n".join(staff.errors)


def sheet_rows(path) -> list[tuple]:
    import openpyxl

    data = path if isinstance(path, io.BytesIO) else io.BytesIO(path.read_bytes())
    book = openpyxl.load_workbook(data, read_only=True)
    return [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]
