"""Journey 7: the oversight office imports an office's messy spreadsheet through /issues/import/
(title rows, a merged two-level header, headers as offices write them, text dates, 长期坚持,
a 合计 row, a formula column, an unknown leader and an unknown department mapped over two
re-checks), sees every column accounted for, commits, re-imports the same file with nothing
changed; then a 12345 hotline export whose description column it has to choose.
"""

import io
import json
import uuid
from urllib.parse import quote

import openpyxl
import pytest

from tests.e2e.conftest import ROOT
from tests.exchange.import_sheets import HOTLINE_COL, hotline_rows

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "docs" / "screenshots"
ENTERPRISE = "风神轮胎股份有限公司"  # a demo enterprise (ledger/demo.py)
LEADER = "方志远"  # the `leader` demo login, 副区长


def _shot(page, step):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"journey-import-{step}.png"), full_page=True)


def _xlsx(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def office_ledger(tok, leader_alias, unit_alias) -> tuple[bytes, list[str]]:
    """An office's ledger: two title rows, a two-level header (责任分工 over three columns),
    headers as offices write them, text dates, 长期坚持, a formula column and a 合计 row."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "问题台账"
    sheet["A1"] = f"中站区2026年度企业问题台账（第{tok}批）"
    sheet.merge_cells("A1:J1")
    sheet["A2"] = "填报单位：区政府督查室"
    sheet["H2"] = "填报日期：2026年11月"
    upper = {"A": "序号", "B": "反映企业", "C": "问题描述", "D": "责任分工", "G": "办理时限"}
    upper |= {"H": "办理情况", "I": "超期天数", "J": "备注"}
    for letter, text in upper.items():
        sheet[f"{letter}3"] = text
        if letter != "D":
            sheet.merge_cells(f"{letter}3:{letter}4")
    sheet.merge_cells("D3:F3")
    sheet["D4"], sheet["E4"], sheet["F4"] = "包联领导", "牵头单位", "协办单位"
    rows = [
        (f"厂区东门排水管网堵塞（{tok}）", LEADER, "区住建局", "发改委", "2026/3/5", "已协调疏通"),
        (f"用工招聘缺口大（{tok}）", leader_alias, "区人社局", "", "2026年12月20日", "进展顺利"),
        (f"员工子女就近入学（{tok}）", LEADER, unit_alias, "", "长期坚持", ""),
        (f"天然气管道增容（{tok}）", leader_alias, unit_alias, "住建局", "2026.12.31", ""),
    ]
    for n, (text, leader, lead, co, deadline, progress) in enumerate(rows, start=1):
        r = n + 4
        values = [n, ENTERPRISE, text, leader, lead, co, deadline, progress]
        for c, value in enumerate(values, start=1):
            if value != "":
                sheet.cell(row=r, column=c, value=value)
        sheet.cell(row=r, column=9, value=f'=IF(ISNUMBER(G{r}),MAX(0,TODAY()-G{r}),"")')
    sheet["J6"] = "企业急需技工"
    sheet["A9"], sheet["B9"], sheet["C9"] = "合计", "共 4 项", "=COUNTA(C5:C8)"
    headers = ["序号", "反映企业", "问题描述", "包联领导", "牵头单位", "协办单位", "办理时限"]
    headers += ["办理情况", "超期天数", "备注"]
    return _xlsx(book), headers


def hotline_export(tok, count=40) -> bytes:
    """A 12345 export of `count` work orders, 33 columns, formula columns, whose content
    column has a header the import does not know (反映内容摘要)."""
    rows, _expected = hotline_rows(count, content_header="反映内容摘要")
    base = int(tok, 16) * 1000
    for n, row in enumerate(rows[1:], start=1):
        row[HOTLINE_COL["id"]] = base + n
        row[HOTLINE_COL["标题"]] = f"夜间施工噪声扰民（{tok}-{n}）"
        row[HOTLINE_COL["投诉件内容"]] = f"市民反映{tok}号工地第{n}次夜间施工，噪声扰民。"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "工单"
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value != "":
                sheet.cell(row=r, column=c, value=value)
    return _xlsx(book)


def _upload(session, name, data):
    page = session.page
    session.goto("/issues/import/")
    page.get_by_label("文件").set_input_files(
        {"name": name, "mimeType": "application/vnd.ms-excel", "buffer": data}
    )
    with page.expect_navigation():
        page.get_by_role("button", name="上传并预览").click()
    assert "/imports/" in page.url, page.url


def _count(page, label) -> str:
    card = page.get_by_test_id("import-counts").locator("dl").filter(has_text=label)
    return card.locator("dd").inner_text().strip()


def _recheck(page):
    with page.expect_navigation():
        page.get_by_role("button", name="按所选对应重新检查").click()
    assert page.get_by_text("已按您的选择重新检查。").is_visible()


def _shell(manage, script) -> str:
    """The last line a `manage.py shell -c` script prints (the shell may print a banner)."""
    return manage("shell", "-c", script).strip().splitlines()[-1]


def _column_uses(page) -> dict[str, str]:
    """表中各列: header → what the preview says it feeds (a field, or 未使用 …)."""
    uses = {}
    for row in page.get_by_test_id("import-columns").locator("tbody tr").all():
        header = row.get_by_role("rowheader").inner_text().strip()
        uses[header] = row.locator("td").nth(1).inner_text().strip()
    return uses


def test_office_spreadsheet_then_12345_export(session_factory, manage):
    tok = uuid.uuid4().hex[:4]
    leader_alias, unit_alias = f"秦区长{tok}", f"规划分局{tok}"
    session = session_factory("desktop", "supervisor")
    page = session.page
    data, headers = office_ledger(tok, leader_alias, unit_alias)

    # upload: every column accounted for, two names unknown, nothing importable yet
    _upload(session, f"问题台账-{tok}.xlsx", data)
    assert page.get_by_text("工作表“问题台账”，表头在第 4 行").is_visible()
    assert _count(page, "读取行数") == "4" and _count(page, "跳过") == "1"
    uses = _column_uses(page)
    assert list(uses) == headers
    assert uses["反映企业"].startswith("企业名称")
    assert uses["办理时限"].startswith("完成时限") and uses["办理情况"].startswith("进展情况")
    assert uses["包联领导"].startswith("责任领导") and uses["协办单位"].startswith("配合单位")
    for unused in ("序号", "超期天数", "备注"):
        assert "未使用" in uses[unused], (unused, uses[unused])
    problems = page.get_by_test_id("import-problems").inner_text()
    assert f"系统中没有名为“{leader_alias}”的责任领导" in problems
    assert f"系统中没有名为“{unit_alias}”的单位" in problems
    assert page.get_by_text("长期坚持").first.is_visible()  # the deadline word is reported
    assert page.get_by_role("button", name="确认导入").count() == 0
    _shot(page, "1-preview")

    # round 1: the leader; round 2: the department — the leader stays mapped
    leader_option = _shell(
        manage,
        "from ledger.models import Leader; print(Leader.objects.get(user__username='leader'))",
    ).strip()
    page.get_by_label(f"“{leader_alias}”对应到").select_option(label=leader_option)
    _recheck(page)
    assert page.get_by_label(f"“{leader_alias}”对应到").count() == 0
    page.get_by_label(f"“{unit_alias}”对应到").select_option(label="区自然资源分局")
    _recheck(page)
    assert page.get_by_label(f"“{leader_alias}”对应到").count() == 0
    assert page.get_by_test_id("import-problems").count() == 0
    assert _count(page, "错误") == "0" and _count(page, "新建") == "4"
    rows = page.get_by_test_id("import-rows").inner_text()
    assert rows.count("已交办") == 4 and "2026-03-05" in rows and "2026-12-20" in rows
    _shot(page, "2-mapped")
    with page.expect_navigation():
        page.get_by_role("button", name="确认导入（新建 4，更新 0）").click()
    assert page.get_by_text("导入完成：新建 4 条，更新 0 条，未变 0 条。").is_visible()

    # the ledger shows the four issues, assigned, with the enterprise
    session.goto(f"/issues/?q={tok}")
    ledger = page.get_by_test_id("ledger-row")
    assert ledger.count() == 4
    assert (
        ledger.filter(has_text=f"厂区东门排水管网堵塞（{tok}）").filter(has_text="已交办").count()
        == 1
    )
    saved = json.loads(
        _shell(
            manage,
            "import json; from ledger.models import Issue; print(json.dumps({i.description: "
            "[i.enterprise.name if i.enterprise else '', str(i.deadline), i.status, "
            "i.leader.user.name, i.lead_department.name, i.progress_note] "
            f"for i in Issue.objects.filter(description__contains='（{tok}）')}}))",
        )
    )
    assert saved[f"厂区东门排水管网堵塞（{tok}）"] == [
        ENTERPRISE,
        "2026-03-05",
        "assigned",
        LEADER,
        "区住建局",
        "已协调疏通",
    ]
    assert saved[f"用工招聘缺口大（{tok}）"][1:4] == ["2026-12-20", "assigned", LEADER]
    assert saved[f"天然气管道增容（{tok}）"][4] == "区自然资源分局"
    _shot(page, "3-ledger")

    # the same file again: the names are remembered, nothing changes
    _upload(session, f"问题台账-{tok}.xlsx", data)
    assert _count(page, "不变") == "4" and _count(page, "新建") == "0"
    assert _count(page, "更新") == "0" and _count(page, "错误") == "0"
    with page.expect_navigation():
        page.get_by_role("button", name="确认导入（新建 0，更新 0）").click()
    assert page.get_by_text("导入完成：新建 0 条，更新 0 条，未变 4 条。").is_visible()

    # a 12345 export: the wizard shows the header row and asks for the description column
    _upload(session, f"12345工单-{tok}.xlsx", hotline_export(tok))
    assert page.get_by_test_id("import-missing").is_visible()
    assert page.get_by_text("没有找到可识别的表头").count() == 0
    uses = _column_uses(page)
    assert len(uses) == 33 and uses["标题"].startswith("问题标题")
    assert uses["反映内容摘要"] == "未使用" and uses["河流"] == "未使用"
    _shot(page, "4-12345-choose")
    page.get_by_label("哪一列是问题描述？").select_option(label="F 反映内容摘要")
    _recheck(page)
    assert _column_uses(page)["反映内容摘要"].startswith("问题描述")
    # its 性质 (投诉) is a name the system does not know: mapped like the others
    page.get_by_label("“投诉”对应到").select_option(label="其他")
    _recheck(page)
    assert _count(page, "错误") == "0" and _count(page, "新建") == "40"
    with page.expect_navigation():
        page.get_by_role("button", name="确认导入（新建 40，更新 0）").click()
    assert page.get_by_text("导入完成：新建 40 条").is_visible()
    session.goto("/issues/?q=" + quote(f"夜间施工噪声扰民（{tok}-1）"))
    first = page.get_by_test_id("ledger-row")
    assert first.count() == 1 and "待交办" in first.inner_text()
    sources = _shell(
        manage,
        "from ledger.models import Issue; print(sorted({i.source.name for i in "
        f"Issue.objects.filter(title__startswith='夜间施工噪声扰民（{tok}-')}}), "
        f"Issue.objects.filter(title__startswith='夜间施工噪声扰民（{tok}-').count())",
    ).strip()
    assert sources == "['12345 热线'] 40"
    _shot(page, "5-12345-ledger")
    assert not session.errors, session.errors
