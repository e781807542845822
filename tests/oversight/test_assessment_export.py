"""The assessment export (issue 16, 2.8): every column the page shows, in the page's order,
and the parts other rooms add to the page (visit coverage, enterprise service) on sheets of
their own, named as the page names them."""

import io
import re
from html import unescape

import openpyxl

MARCH_QUERY = "year=2026&month=3"


def page_headers(html: str, testid: str) -> list[str]:
    table = html[html.index(f'data-testid="{testid}"') :]
    head = table[table.index("<thead") : table.index("</thead>")]
    cells = re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)
    return [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]


def workbook(client, query):
    response = client.get(f"/assessment/export.xlsx?{query}")
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def sheet_rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_assessment_export_has_every_column_of_the_page_in_its_order(client, march):
    client.force_login(march.w.supervisor)
    for query in (MARCH_QUERY, f"{MARCH_QUERY}&by=leader"):
        html = client.get(f"/assessment/?{query}").content.decode()
        book = workbook(client, query)
        rows = sheet_rows(book.worksheets[0])
        assert rows[1] == page_headers(html, "assessment-table"), query
        for column in ("平均办理工作日", "本期逾期未结", "督办件", "当前逾期", "排名", "得分"):
            assert column in rows[1]


def test_assessment_export_rows_carry_the_figures_of_the_page(client, march):
    client.force_login(march.w.supervisor)
    html = client.get(f"/assessment/?{MARCH_QUERY}").content.decode()
    rows = sheet_rows(workbook(client, MARCH_QUERY).worksheets[0])
    headers = rows[1]
    unit = headers.index("单位")
    by_unit = {row[unit]: dict(zip(headers, row, strict=False)) for row in rows[2:]}
    row_html = html[html.index(f'data-unit="{march.w.dept_b.pk}"') :]
    row_html = row_html[: row_html.index("</tr>")]
    name = re.search(r'<th scope="row"[^>]*>(.*?)</th>', row_html).group(1)
    b = by_unit[unescape(name).strip()]
    counts = [int(n) for n in re.findall(r'data-count="(\d+)"', row_html)]
    # on the page: 应办结, 已办结, then the rates' numerators, then 本期逾期未结, 督办件, 当前逾期
    assert [b["应办结"], b["已办结"]] == counts[:2]
    assert [b["本期逾期未结"], b["督办件"], b["当前逾期"]] == counts[-3:]
    assert b["平均办理工作日"] not in (None, "")


def test_assessment_export_puts_each_rooms_table_on_its_own_named_sheet(client, march):
    client.force_login(march.w.supervisor)
    html = client.get(f"/assessment/?{MARCH_QUERY}").content.decode()
    book = workbook(client, MARCH_QUERY)
    assert book.sheetnames == ["考核统计", "包联走访覆盖率", "企业服务考核评价"]

    coverage = sheet_rows(book["包联走访覆盖率"])
    # the visit cycle the page's table names (the one the leader's page counts with): March
    # 2026 lies in the first quarter
    assert "每季度至少走访一次（2026年第1季度）" in html
    assert "每季度至少走访一次（2026年第1季度）" in coverage[0][0]
    assert "2026-01-01 至 2026-03-31" in coverage[0][0]
    assert coverage[1] == [
        *("分包领导", "职务", "分包企业和项目", "已走访", "覆盖率", "走访次数", "最近走访日期")
    ]
    leaders = {row[0]: row for row in coverage[2:]}
    assert march.w.leader.name in leaders and march.w.other_leader.name in leaders
    assert leaders[march.w.leader.name][2] == 2  # its enterprise and its key project

    service = sheet_rows(book["企业服务考核评价"])
    assert service[1] == page_headers(html, "enterprise-service-table")


def test_room_sheets_come_from_the_rooms_hooks_not_from_imports(settings):
    """The export asks each installed app for its sheets: with the rooms not installed the
    assessment still exports, on its own sheet only."""
    from ledger.oversight.xlsx import room_sheets

    settings.INSTALLED_APPS = [
        app for app in settings.INSTALLED_APPS if not app.startswith("ledger.service")
    ]
    assert room_sheets("assessment", user=None, period=None) == []
