"""The core's spreadsheet writer (ledger/excel.py): one formula-injection policy for every
export, types kept, and downloads named as Django's FileResponse names them."""

import datetime
import io
import zipfile
from decimal import Decimal
from urllib.parse import quote

import openpyxl
import pytest
from django.utils.translation import gettext_lazy

from ledger import excel

TRIGGERS = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]


def read_back(text: str) -> str:
    """What openpyxl reads of a written text: xlsxwriter stores a carriage return as the
    OOXML escape _x000D_ (which Excel turns back into the character)."""
    return text.replace("\r", "_x000D_")


def _book_of(write) -> openpyxl.Workbook:
    buffer = io.BytesIO()
    book = excel.workbook_open(buffer)
    write(book)
    book.close()
    return openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))


@pytest.mark.parametrize("text", TRIGGERS)
def test_text_that_looks_like_a_formula_is_a_string_marked_as_text(text):
    def write(book):
        excel.text_write(book.add_worksheet(), 0, 0, text, excel.text_style(book))

    cell = _book_of(write).active["A1"]
    assert cell.data_type == "s" and cell.value == read_back(text)
    assert cell.quotePrefix


def test_ordinary_text_is_not_marked():
    def write(book):
        excel.text_write(book.add_worksheet(), 0, 0, "区住建局 = 牵头", excel.text_style(book))

    cell = _book_of(write).active["A1"]
    assert cell.value == "区住建局 = 牵头" and not cell.quotePrefix


@pytest.mark.parametrize("text", TRIGGERS)
def test_a_table_writes_formula_like_text_as_text_and_keeps_numbers_and_dates(text):
    table = excel.Table(
        name="表",
        title="标题",
        headers=["单位", "数", "率", "日期"],
        rows=[
            [text, 3, 0.25, datetime.date(2026, 3, 1)],
            ["甲", Decimal("1.5"), excel.Percent(0.5), None],
        ],
        percent_columns={2},
    )

    def write(book):
        excel.table_write(book.add_worksheet(), table, excel.TableFormats(book))

    sheet = _book_of(write).active
    name, number, rate, day = sheet[3]
    assert name.value == read_back(text) and name.data_type == "s" and name.quotePrefix
    assert number.value == 3 and number.data_type == "n"
    assert rate.value == 0.25 and rate.number_format == "0.0%"
    assert day.value == datetime.datetime(2026, 3, 1) and day.is_date
    assert [c.value for c in sheet[4]] == ["甲", 1.5, 0.5, None]


def test_a_list_writes_formula_like_text_as_text():
    class Column:
        header, width = "名称", 20

    def write(book):
        sheet = excel.SheetWriter(
            book, excel.Formats(book), name="表", columns=[Column()], title="标题"
        )
        for text in TRIGGERS:
            sheet.append([text])
        sheet.finish()

    cells = [row[0] for row in _book_of(write).active.iter_rows(min_row=3)]
    assert [c.value for c in cells] == [read_back(text) for text in TRIGGERS]
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)


def test_download_names_a_chinese_file_as_rfc_6266_says():
    response = excel.download(b"data", filename="问题台账-2026-03-01.xlsx")
    assert response["Content-Disposition"] == (
        f"attachment; filename*=utf-8''{quote('问题台账-2026-03-01.xlsx')}"
    )
    assert response["Content-Type"] == excel.XLSX
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == b"data"


# -- the list writer's rows: its own XML, byte for byte what xlsxwriter's API writes ---------

# texts that exercise every escape and mark: formula triggers, XML characters, control
# characters (written _xHHHH_), a literal _xHHHH_, the two non-characters, leading and
# trailing white space (ASCII and ideographic), several lines, a cell longer than a column,
# longer than Excel takes (in characters and in UTF-16 units)
LIST_TEXTS = [
    *TRIGGERS,
    '=HYPERLINK("http://x","y")',
    "区住建局 = 牵头",
    " 前有空格",
    "后有空格 ",
    "\u3000全角空格",
    "a&b<c>d\"e'f",
    "_x0041_ 照原样",
    "控制\x01\x02\x1f字符",
    "非字符\ufffe\uffff",
    "第一行\n第二行\n第三行",
    "多行\n" * 20,
    "\n",
    " ",
    "长" * 300,
    "x" * 40000,
    "😀" * 20000,
    "普通文字",
    "中" * 23,
    "中" * 25,
]


class _ApiWriter(excel.SheetWriter):
    """The list's rows written through xlsxwriter's own API, cell by cell (the writer as it
    was before it wrote its rows' XML itself): the reference SheetWriter must equal."""

    def append(self, values):
        sheet, formats, row = self.sheet, self.formats, self.row
        lines = 1
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                value = "是" if value else "否"
            if isinstance(value, int):
                sheet.write_number(row, col, value, formats.integer)
                self._widen(col, len(str(value)))
            elif isinstance(value, Decimal | float):
                sheet.write_number(row, col, float(value), formats.decimal)
                self._widen(col, len(f"{value:,.2f}"))
            elif isinstance(value, datetime.datetime):
                day = value.astimezone(excel.timezone.get_current_timezone()).date()
                sheet.write_datetime(row, col, day, formats.date)
                self._widen(col, 10)
            elif isinstance(value, datetime.date):
                sheet.write_datetime(row, col, value, formats.date)
                self._widen(col, 10)
            else:
                text = excel.text_write(sheet, row, col, str(value), formats.text)
                lines = max(lines, self._measure(col, text))
        if lines > 1:
            sheet.set_row(row, min(lines, excel.MAX_ROW_LINES) * excel.LINE_HEIGHT + 2)
        self.row += 1


def _list_rows(n):
    moment = datetime.datetime(2026, 3, 1, 17, 30, tzinfo=datetime.UTC)
    for k in range(n):
        text = LIST_TEXTS[k % len(LIST_TEXTS)]
        yield [
            k,
            text,
            None if k % 3 else "",
            k * 1.5,
            Decimal("-1234567.891"),
            k % 2 == 0,
            datetime.date(2026, 1, 1) + datetime.timedelta(days=k % 40),
            moment + datetime.timedelta(hours=k),
            gettext_lazy("办理中"),
            LIST_TEXTS[(k * 7) % len(LIST_TEXTS)],
            10**15 + k,
            "短" if k % 4 else None,
        ]


def _list_book(writer, rows: int) -> dict[str, bytes]:
    class Column:
        def __init__(self, n):
            self.header, self.width = f"列{n}", 6 + 2 * n

    buffer = io.BytesIO()
    book = excel.workbook_open(buffer)
    formats = excel.Formats(book)
    for name, columns in (("一", 12), ("二", 3), ("空", 1)):
        sheet = writer(
            book, formats, name=name, columns=[Column(n) for n in range(columns)], title="标题"
        )
        for values in _list_rows(rows if name != "空" else 0):
            sheet.append(values[:columns])
        sheet.finish()
    book.close()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        # the creation time aside
        return {
            name: archive.read(name) for name in archive.namelist() if name != "docProps/core.xml"
        }


def test_a_list_is_written_byte_for_byte_as_xlsxwriter_writes_it():
    written = _list_book(excel.SheetWriter, 120)
    expected = _list_book(_ApiWriter, 120)
    assert written.keys() == expected.keys()
    for name in expected:
        assert written[name] == expected[name], name
    # and the sheet holds what was written: every text, marked only when formula-like
    sheet = openpyxl.load_workbook(io.BytesIO(_xlsx(written))).worksheets[0]
    texts = [row[1] for row in sheet.iter_rows(min_row=3)]
    for cell, text in zip(texts, LIST_TEXTS, strict=False):
        assert cell.data_type == "s"
        assert cell.quotePrefix == excel.looks_like_formula(text), text


def _xlsx(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# xlsxwriter copies a text shaped like its own rich-text runs into the XML as it stands: this
# one would smuggle a real formula into B3 and C3 (or break a shared-strings workbook)
SMUGGLED = (
    '<r><t>x</t></r></is></c><c r="B3"><f>1+1</f><v>2</v></c>'
    '<c r="C3" t="inlineStr"><is><r><t>y</t></r>'
)


def test_a_list_writes_text_shaped_like_rich_text_as_plain_text():
    class Column:
        header, width = "名称", 20

    def write(book):
        sheet = excel.SheetWriter(
            book, excel.Formats(book), name="表", columns=[Column()], title="标题"
        )
        sheet.append([SMUGGLED])
        sheet.append(["<r>=1+1</r>"])
        sheet.finish()

    cells = [c for row in _book_of(write).active.iter_rows(min_row=3) for c in row if c.value]
    assert [(c.coordinate, c.value, c.data_type) for c in cells] == [
        ("A3", SMUGGLED, "s"),
        ("A4", "<r>=1+1</r>", "s"),
    ]


@pytest.mark.parametrize("constant_memory", [True, False])
def test_a_table_writes_text_shaped_like_rich_text_as_plain_text(constant_memory):
    table = excel.Table(name="表", title="标题", headers=["单位"], rows=[[SMUGGLED], ["甲"]])
    buffer = io.BytesIO()
    book = excel.workbook_open(buffer, constant_memory=constant_memory)
    excel.table_write(book.add_worksheet(), table, excel.TableFormats(book))
    book.close()
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    cells = [c for row in sheet.iter_rows(min_row=3) for c in row if c.value]
    assert [(c.coordinate, c.value, c.data_type) for c in cells] == [
        ("A3", SMUGGLED, "s"),
        ("A4", "甲", "s"),
    ]


def test_a_list_needs_a_constant_memory_workbook():
    book = excel.workbook_open(io.BytesIO(), constant_memory=False)
    with pytest.raises(ValueError, match="constant memory"):
        excel.SheetWriter(book, excel.Formats(book), name="表", columns=[], title="标题")
