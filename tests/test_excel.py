"""The core's spreadsheet writer (ledger/excel.py): one formula-injection policy for every
export, types kept, and downloads named as Django's FileResponse names them."""

import datetime
import io
from decimal import Decimal
from urllib.parse import quote

import openpyxl
import pytest

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
