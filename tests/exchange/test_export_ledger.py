"""/issues/export.xlsx: the ledger's rows (same filters, sort, visibility) as a proper sheet."""

import datetime
import io
import re
import zipfile
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from ledger.exchange.columns import LEDGER_COLUMN_KEYS, LEDGER_COLUMNS
from ledger.models import Issue
from ledger.selectors import visible_to
from tests.exchange.conftest import workbook_of
from tests.test_views_ledger import VISIBLE, _bulk_issues, user_of

URL = "/issues/export.xlsx"
COL = {key: index for index, key in enumerate(LEDGER_COLUMN_KEYS)}


def export(client, query=""):
    response = client.get(URL + query)
    assert response.status_code == 200, response
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return response, workbook_of(response)


def data_rows(book) -> list[tuple]:
    sheet = book.worksheets[0]
    return list(sheet.iter_rows(min_row=3, values_only=True))


def numbers_of(book) -> list[str]:
    return [row[COL["number"]] for row in data_rows(book)]


def ledger_numbers(client, query=""):
    response = client.get("/issues/" + query)
    assert response.status_code == 200
    return [issue.number for issue in response.context["issues"]]


def test_url_is_the_ledgers_export():
    assert reverse("exchange:issue_export") == URL


def test_anonymous_user_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# -- only visible rows, for every role ----------------------------------------------------


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_each_role_exports_exactly_the_issues_visible_to_it(client, export_ledger, who):
    user = user_of(export_ledger.w, who)
    client.force_login(user)
    _, book = export(client)
    numbers = numbers_of(book)
    assert len(numbers) == len(set(numbers))
    assert export_ledger.keys(numbers) == VISIBLE[who]
    assert set(numbers) == set(visible_to(user).values_list("number", flat=True))


def test_staff_cannot_export_another_departments_issue_by_filtering_for_it(client, export_ledger):
    w = export_ledger.w
    client.force_login(w.staff_a)
    overdue = export_ledger.issues["overdue"]
    _, book = export(client, f"?q={overdue.number}&lead_department={w.dept_c.pk}")
    assert numbers_of(book) == []


# -- the same rows as the ledger, in the same order ---------------------------------------


QUERIES = [
    "",
    "?sort=deadline",
    "?sort=-deadline",
    "?sort=health",
    "?sort=-status",
    "?sort=title",
    "?sort=leader",
    "?status=assigned&status=in_progress",
    "?status=resolved&status=closed&sort=number",
    "?health=red&health=yellow",
    "?q=融资",
    "?escalated=1",
    "?pending_extension=1",
    "?source={src2}&sort=-raised",
    "?lead_department={dept_b}&sort=deadline",
    "?co_department={dept_c}",
    "?enterprise={enterprise}",
    "?project={project}",
    "?deadline_after={today}&sort=deadline",
    # invalid filters are left out exactly as the ledger leaves them out
    "?status=bogus&sort=deadline",
    "?deadline_after=notadate&health=purple",
    "?category=999999&sort=%00",
    "?page=2&sort=-title",
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("who", ["supervisor", "staff_b", "leader"])
def test_exported_rows_equal_the_ledgers_rows_in_the_same_order(client, export_ledger, who, query):
    w = export_ledger.w
    query = query.format(
        src2=export_ledger.src2.pk,
        dept_b=w.dept_b.pk,
        dept_c=w.dept_c.pk,
        enterprise=w.enterprise.pk,
        project=w.project.pk,
        today=timezone.localdate().isoformat(),
    )
    client.force_login(user_of(w, who))
    # the ledger page without its `page` parameter is the whole filtered list (50 per page)
    ledger_query = query.replace("page=2&", "")
    expected = ledger_numbers(client, ledger_query)
    _, book = export(client, query)
    assert numbers_of(book) == expected
    assert [row[COL["row"]] for row in data_rows(book)] == list(range(1, len(expected) + 1))


def test_a_filter_that_matches_something_is_not_trivially_everything(client, export_ledger):
    # guards the table above: filters really narrow the export
    client.force_login(export_ledger.w.supervisor)
    _, book = export(client, "?status=assigned")
    assert export_ledger.keys(numbers_of(book)) == {"assigned"}


# -- formula injection -----------------------------------------------------------------


HOSTILE = {
    "title": '=HYPERLINK("http://x","y")',
    "description": "+1+2 cmd|' /C calc'!A0",
    "measures": "-2+3",
    "responsible_person": "@SUM(A1)",
}


def test_a_formula_in_a_text_field_exports_as_text(client, world):
    issue = world.raise_issue(title=HOSTILE["title"], description=HOSTILE["description"])
    Issue.objects.filter(pk=issue.pk).update(
        measures=HOSTILE["measures"], responsible_person=HOSTILE["responsible_person"]
    )
    tabbed = world.raise_issue()
    Issue.objects.filter(pk=tabbed.pk).update(title="\tTAB", description="\r回车开头")
    plain = world.raise_issue(title="普通标题")
    client.force_login(world.supervisor)
    response, book = export(client, "?sort=number")
    sheet = book.worksheets[0]
    rows = {sheet.cell(r, COL["number"] + 1).value: r for r in range(3, sheet.max_row + 1)}

    row = rows[issue.number]
    for key, text in HOSTILE.items():
        cell = sheet.cell(row, COL[key] + 1)
        assert cell.data_type == "s", key  # a string, not a formula ("f")
        assert cell.value == text, key  # stored unchanged: no apostrophe added to the data
        assert cell.quotePrefix, key  # Excel's "this is text" mark, kept when the cell is edited
    for r, key, text in [(rows[tabbed.number], "title", "\tTAB")]:
        cell = sheet.cell(r, COL[key] + 1)
        assert (cell.data_type, cell.value, cell.quotePrefix) == ("s", text, True)
    cell = sheet.cell(rows[tabbed.number], COL["description"] + 1)
    # OOXML writes a carriage return as _x000D_ (Excel decodes it; openpyxl leaves it)
    assert re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m[1], 16)), cell.value) == "\r回车开头"
    assert cell.data_type == "s" and cell.quotePrefix
    # ordinary text carries no mark
    assert not sheet.cell(rows[plain.number], COL["title"] + 1).quotePrefix

    # and the file holds no formula at all
    with zipfile.ZipFile(io.BytesIO(b"".join(_content(client)))) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    assert "HYPERLINK" in xml  # as text


def _content(client):
    response = client.get(URL)
    return response.streaming_content


# -- the sheet itself --------------------------------------------------------------------


def test_title_row_names_the_filter_in_words_and_the_date(client, export_ledger):
    w = export_ledger.w
    client.force_login(w.supervisor)
    _, book = export(client, f"?status=in_progress&lead_department={w.dept_b.pk}")
    title = book.worksheets[0]["A1"].value
    assert "问题台账" in title
    assert "状态：办理中" in title
    assert "牵头单位：区住建局" in title
    assert timezone.localdate().isoformat() in title
    assert "共 1 条" in title
    # the title spans the sheet's width
    merged = [str(cells) for cells in book.worksheets[0].merged_cells]
    assert f"A1:{_letter(len(LEDGER_COLUMNS))}1" in merged


def test_title_without_filters_says_all_issues(client, export_ledger):
    client.force_login(export_ledger.w.supervisor)
    _, book = export(client)
    assert "全部问题" in book.worksheets[0]["A1"].value


def _letter(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)


def test_header_is_chinese_frozen_and_columns_fit(client, export_ledger):
    long = export_ledger.issues["assigned"]
    Issue.objects.filter(pk=long.pk).update(description="很长的问题描述，" * 20)
    client.force_login(export_ledger.w.supervisor)
    _, book = export(client)
    sheet = book.worksheets[0]
    headers = [cell.value for cell in sheet[2]]
    assert headers == [str(column.header) for column in LEDGER_COLUMNS]
    assert headers[:4] == ["序号", "编号", "问题来源", "企业/项目名称"]
    for expected in ["问题描述", "责任领导", "牵头单位", "配合单位", "整改措施", "完成时限"]:
        assert expected in headers
    for expected in ["办理状态", "时限状态", "进展情况", "办结情况", "满意度"]:
        assert expected in headers
    assert sheet.freeze_panes == "A3"  # title and header stay in view
    widths = {
        key: sheet.column_dimensions[_letter(COL[key] + 1)].width for key in LEDGER_COLUMN_KEYS
    }
    assert all(width >= 4 for width in widths.values())
    # a long description wraps inside a bounded column; a short column stays narrow
    assert 30 <= widths["description"] <= 45
    assert widths["row"] < widths["description"]
    # the number column fits ZZ-2026-0001
    assert widths["number"] >= len(export_ledger.issues["assigned"].number)
    description = sheet.cell(3, COL["description"] + 1)
    assert description.alignment.wrap_text
    # rows grow for wrapped text (Excel and LibreOffice do not when opening a file)
    long_row = next(
        r
        for r in range(3, sheet.max_row + 1)
        if sheet.cell(r, COL["number"] + 1).value == long.number
    )
    short_row = next(r for r in range(3, sheet.max_row + 1) if r != long_row)
    assert sheet.row_dimensions[long_row].height >= 5 * 13
    assert sheet.row_dimensions[short_row].height is None  # the default height
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$2:$2"
    assert sheet.auto_filter.ref.startswith("A2:")


def test_values_are_typed_and_shown_as_words(client, export_ledger):
    w = export_ledger.w
    due_soon = export_ledger.issues["due_soon"]
    overdue = export_ledger.issues["overdue"]
    closed = export_ledger.issues["closed"]
    client.force_login(w.supervisor)
    _, book = export(client, "?sort=number")
    sheet = book.worksheets[0]
    by_number = {row[COL["number"]].value: row for row in sheet.iter_rows(min_row=3)}

    row = by_number[due_soon.number]
    assert row[COL["row"]].data_type == "n"  # numbers stay numbers
    deadline = row[COL["deadline"]]
    assert deadline.is_date and deadline.value.date() == due_soon.deadline
    assert deadline.number_format == "yyyy-mm-dd"
    raised = row[COL["raised_on"]]
    assert raised.is_date and raised.value.date() == timezone.localdate(due_soon.raised_at)
    assert row[COL["status"]].value == "办理中"
    assert row[COL["health"]].value == "临期"
    assert row[COL["co_departments"]].value == "区环保局"
    assert row[COL["lead_department"]].value == "区住建局"
    assert row[COL["leader"]].value == str(w.leader.user)
    assert row[COL["urgency"]].value == "一般"
    assert row[COL["escalated"]].value == "否"
    assert row[COL["source"]].value == "企业走访"
    assert row[COL["category"]].value == "用地规划"

    row = by_number[overdue.number]
    assert row[COL["health"]].value == "逾期"
    assert row[COL["escalated"]].value == "是"
    assert row[COL["subject"]].value == w.project.name

    row = by_number[closed.number]
    assert row[COL["status"]].value == "已销号"
    assert row[COL["satisfaction"]].value == "满意"
    assert row[COL["resolution"]].value == "已修复排水。"
    assert row[COL["health"]].value == "不适用"
    assert row[COL["closed_on"]].is_date and row[COL["resolved_on"]].is_date

    raised_late = by_number[export_ledger.issues["raised_late"].number]
    assert raised_late[COL["health"]].value == "超时未交办"
    assert raised_late[COL["deadline"]].value is None  # empty, not "None"


def test_several_co_departments_are_joined_with_the_list_separator(client, world):
    issue = world.assigned_issue()
    issue.co_departments.set([world.dept_a, world.dept_c])
    client.force_login(world.supervisor)
    _, book = export(client)
    value = data_rows(book)[0][COL["co_departments"]]
    assert sorted(value.split("、")) == sorted(["区发改委", "区环保局"])


def test_headers_and_words_are_english_when_the_ui_is_english(client, export_ledger):
    client.force_login(export_ledger.w.supervisor)
    client.cookies["django_language"] = "en"
    _, book = export(client, "?status=in_progress")
    sheet = book.worksheets[0]
    with translation.override("en"):
        expected = [str(column.header) for column in LEDGER_COLUMNS]
        in_progress = str(Issue._meta.get_field("status").choices[2][1])
    assert [cell.value for cell in sheet[2]] == expected
    assert expected[COL["number"]] == "Number" and expected[COL["source"]] == "Source"
    statuses = {row[COL["status"]] for row in data_rows(book)}
    assert statuses == {in_progress} == {"In progress"}


def test_file_name_is_dated_and_chinese(client, export_ledger):
    client.force_login(export_ledger.w.supervisor)
    response, _ = export(client)
    today = timezone.localdate().isoformat()
    # RFC 6266 as Django writes it (FileResponse): the Chinese name percent-encoded in UTF-8
    disposition = response["Content-Disposition"]
    assert disposition == f"attachment; filename*=utf-8''{quote(f'问题台账-{today}.xlsx')}"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


def test_export_button_on_the_ledger_carries_the_current_query(client, export_ledger):
    w = export_ledger.w
    client.force_login(w.supervisor)
    response = client.get(f"/issues/?status=assigned&lead_department={w.dept_b.pk}&page=1")
    html = response.content.decode()
    assert (
        f'href="{URL}?status=assigned&amp;lead_department={w.dept_b.pk}&amp;sort=-number"' in html
    )
    assert "导出 Excel" in html


def _export_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL + "?sort=deadline")
        book = workbook_of(response)
    return len(queries), len(data_rows(book))


def test_query_count_is_the_same_for_5_and_for_50_rows(client, world):
    client.force_login(world.supervisor)
    client.get(URL)  # warm caches (session, content types)
    _bulk_issues(world, 5)
    few, rows = _export_queries(client)
    assert rows == 5
    _bulk_issues(world, 45)
    many, rows = _export_queries(client)
    assert rows == 50
    assert few == many


def test_rows_are_read_in_chunks_with_their_co_departments(client, world, monkeypatch):
    from ledger.exchange import export as export_module

    monkeypatch.setattr(export_module, "CHUNK_SIZE", 7)
    _bulk_issues(world, 20)
    client.force_login(world.supervisor)
    _, book = export(client, "?sort=number")
    rows = data_rows(book)
    assert len(rows) == 20
    assert {frozenset(row[COL["co_departments"]].split("、")) for row in rows} == {
        frozenset({"区发改委", "区环保局"})
    }


@pytest.mark.parametrize(
    "query",
    [
        "?deadline_after=notadate",
        "?deadline_before=2026-13-45",
        "?status=bogus",
        "?health=purple",
        "?category=abc",
        "?leader=1%3B%20DROP%20TABLE%20ledger_issue",
        "?enterprise=999999",
        "?project=-1",
        "?q=%00",
        "?q=" + "长" * 500,
        "?sort=%00",
        "?sort=-" + "x" * 300,
        "?page=abc",
    ],
)
def test_bad_parameters_never_give_a_500(client, export_ledger, query):
    client.force_login(export_ledger.w.supervisor)
    response, book = export(client, query)
    assert book.worksheets[0]["A1"].value.startswith("问题台账")


def test_control_characters_in_text_do_not_corrupt_the_file(client, world):
    world.raise_issue(title="控制字符\x01\x07结尾", description="含\x0b垂直制表")
    client.force_login(world.supervisor)
    _, book = export(client)  # openpyxl refuses malformed XML
    assert data_rows(book)[0][COL["title"]].startswith("控制字符")


def test_a_date_time_is_written_as_the_local_date(client, world):
    issue = world.raise_issue()
    # 23:30 UTC is the next morning in Shanghai
    late = datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC)
    Issue.objects.filter(pk=issue.pk).update(raised_at=late)
    client.force_login(world.supervisor)
    _, book = export(client)
    assert data_rows(book)[0][COL["raised_on"]].date() == datetime.date(2026, 3, 2)


def test_export_reads_plain_values_and_co_departments_per_chunk(world, monkeypatch):
    """Constant memory and speed: the rows are read as values, never as Issue instances
    (a hundred thousand of them cost more than writing the sheet), and the co-departments
    with one query per chunk of rows, whatever the number of rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ledger.exchange import export as export_module
    from ledger.selectors import ledger_queryset

    monkeypatch.setattr(export_module, "CHUNK_SIZE", 5)
    _bulk_issues(world, 30)
    made = []
    from_db = Issue.from_db.__func__

    def spy(cls, *args, **kwargs):
        made.append(cls)
        return from_db(cls, *args, **kwargs)

    rows = ledger_queryset(world.supervisor).order_by("-year", "-seq")
    monkeypatch.setattr(Issue, "from_db", classmethod(spy))
    with CaptureQueriesContext(connection) as queries:
        count = export_module.ledger_write(io.BytesIO(), rows, title="t")
    assert count == 30
    assert made == []
    co_queries = [q for q in queries if "ledger_issue_co_departments" in q["sql"]]
    assert len(co_queries) == 30 // 5


@pytest.mark.django_db
def test_the_export_plans_its_rows_for_the_whole_result_then_restores_the_setting(
    world, monkeypatch
):
    """On PostgreSQL the rows' cursor is planned for all its rows (cursor_tuple_fraction 1)
    while the export reads them, and the session's setting is back to its default after;
    elsewhere (SQLite, or without server-side cursors) the export sets nothing."""
    from ledger.exchange import export as export_module
    from ledger.selectors import ledger_queryset

    def fraction():
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute("SHOW cursor_tuple_fraction")
            return cursor.fetchone()[0]

    _bulk_issues(world, 3)
    seen = []
    rows = ledger_queryset(world.supervisor).order_by("-year", "-seq")
    before = fraction()
    with CaptureQueriesContext(connection) as queries:
        export_module.ledger_write(
            io.BytesIO(),
            rows,
            title="t",
            progress=lambda n: seen.append(fraction()),
            progress_every=1,
        )
    settings_sql = [q["sql"] for q in queries if "cursor_tuple_fraction" in q["sql"]]
    if connection.vendor == "postgresql":
        assert seen == ["1", "1", "1"] and fraction() == before == "0.1"
        assert settings_sql[:1] == ["SET cursor_tuple_fraction = 1"]
        assert settings_sql[-1] == "RESET cursor_tuple_fraction"
        # and not where iterator() has no server-side cursor (transaction pooling)
        monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
        with CaptureQueriesContext(connection) as queries:
            export_module.ledger_write(io.BytesIO(), rows, title="t")
        assert not [q for q in queries if "cursor_tuple_fraction" in q["sql"]]
    else:
        assert seen == [None, None, None] and settings_sql == []


@pytest.mark.django_db
def test_an_export_failing_on_a_query_raises_that_error_not_the_settings_reset(world):
    """Restoring cursor_tuple_fraction after a failed query (in an aborted transaction on
    PostgreSQL) must not replace the export's own error."""
    from django.db import DatabaseError

    from ledger.exchange import export as export_module
    from ledger.selectors import ledger_queryset

    def broken(n):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM zz_no_such_table")

    _bulk_issues(world, 2)
    rows = ledger_queryset(world.supervisor).order_by("-year", "-seq")
    with pytest.raises(DatabaseError) as raised:
        export_module.ledger_write(io.BytesIO(), rows, title="t", progress=broken, progress_every=1)
    assert "zz_no_such_table" in str(raised.value)
