"""The one spreadsheet writer: every export (the ledger, export jobs, master data, the
oversight tables, coverage, the rooms' sheets) writes its .xlsx through this module.

Formula injection, one policy for every cell: text is written as a string cell (never a
formula) whatever it holds — with write_string (text_write), or as the same escaped inline
string by the lists' own row XML (SheetWriter) — and the workbook never converts strings
(strings_to_formulas/numbers/urls off). A text shaped like xlsxwriter's rich-text runs
(<r>…</r>), which xlsxwriter would copy into the sheet's XML unescaped, is escaped too.
A text that Excel would take for a formula if a person edited the cell or re-saved it as
CSV (starting with = + - @, tab or carriage return) also gets the "quote prefix" style:
Excel's own mark for "this is text", the same as typing a leading apostrophe, which
LibreOffice honours too. The value itself is left unchanged (no apostrophe is added to the
data), so a re-import reads back what was stored. Numbers stay numbers and dates stay
dates.

Downloads are FileResponse(as_attachment=True, filename=…): Django writes the RFC 6266
Content-Disposition (filename*=utf-8''… for a Chinese name).
"""

import datetime
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

import xlsxwriter
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from xlsxwriter.format import Format
from xlsxwriter.utility import (
    _datetime_to_excel_datetime,
    _utf16_len,
    _utf16_truncate,
    xl_col_to_name,
)
from xlsxwriter.worksheet import Worksheet
from xlsxwriter.xmlwriter import XMLwriter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# the first characters that make Excel, LibreOffice or a CSV reader take text for a formula
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Excel refuses longer text in one cell
MAX_CELL_CHARS = 32767
# belt and braces: only write() would convert, and no writer here calls it
_NEVER_CONVERT = {
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}
# Excel refuses these in a sheet name, and names longer than 31 characters
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def workbook_open(output, *, constant_memory: bool = True, title: str = "") -> xlsxwriter.Workbook:
    """A workbook writing to `output` (a path or a binary file). constant_memory flushes each
    row to a temporary file as soon as the next one starts (rows must come in order), so
    memory stays flat however many rows are written; otherwise the workbook is built in
    memory (small tables written in any order)."""
    mode = {"constant_memory": True} if constant_memory else {"in_memory": True}
    book = xlsxwriter.Workbook(output, {**mode, **_NEVER_CONVERT})
    if title:
        book.set_properties({"title": title, "author": _("中站问题台账")})
    return book


@dataclass(frozen=True, slots=True)
class TextStyle:
    """The two formats of a text cell: as it is, and marked as text (quote prefix)."""

    plain: Format | None
    quoted: Format


def text_style(book: xlsxwriter.Workbook, props: dict | None = None) -> TextStyle:
    """The text formats with these properties (None: the default cell format)."""
    plain = book.add_format(props) if props is not None else None
    return TextStyle(plain, book.add_format({**(props or {}), "quote_prefix": True}))


def text_write(sheet: Worksheet, row: int, col: int, text: str, style: TextStyle) -> str:
    """Write a text cell under the formula policy; returns the text written (cut to what
    Excel accepts in one cell)."""
    text = text[:MAX_CELL_CHARS]
    cell_format = style.quoted if text.startswith(FORMULA_TRIGGERS) else style.plain
    if text.startswith("<r>") and text.endswith("</r>"):
        if _utf16_len(text) > MAX_CELL_CHARS:  # write_rich_string would drop it, not cut it
            text = _utf16_truncate(text, MAX_CELL_CHARS)
        # xlsxwriter writes a string shaped like its own rich-text runs into the sheet's XML
        # as it stands, unescaped (a formula cell could be smuggled in, or the file broken):
        # written as plain runs, its characters are escaped and it reads back the same
        # (write_rich_string takes three pieces at least)
        runs = ("<", "r>", text[3:]) + ((cell_format,) if cell_format is not None else ())
        sheet.write_rich_string(row, col, *runs)
    else:
        sheet.write_string(row, col, text, cell_format)
    return text


def download(content, *, filename: str, content_type: str = XLSX) -> FileResponse:
    """The HTTP download of a file: `content` is a binary file (read from where it stands,
    closed once sent) or bytes."""
    if isinstance(content, bytes):
        content = io.BytesIO(content)
    response = FileResponse(
        content, as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: CJK characters count double.

    (UTF-8 bytes + characters) // 2 gives 1 for ASCII and 2 for CJK, at C speed."""
    return (len(text.encode("utf-8")) + len(text)) // 2


def sheet_name(name: str) -> str:
    """A name Excel accepts for a sheet: at most 31 characters, none of []:*?/\\ ."""
    for char in "[]:*?/\\":
        name = name.replace(char, " ")
    return name.strip()[:31] or "Sheet1"


# -- lists: a title row, a frozen header row, typed rows streamed one by one --------------

MIN_WIDTH = 4
# wrapped text: points per line at the 10-point font, and the tallest row we make
LINE_HEIGHT = 13
MAX_ROW_LINES = 12
TITLE_ROW, HEADER_ROW, FIRST_DATA_ROW = 0, 1, 2
# what xlsxwriter escapes in a text: XML's & < >, control characters (written _xHHHH_), a
# literal _xHHHH_ (its underscore escaped so it stays literal), the two non-characters
_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_PRESERVE = ' xml:space="preserve"'
# a text this short cannot be over Excel's limit in UTF-16 units either
_SHORT = MAX_CELL_CHARS // 2


def _inline_string(text: str) -> str:
    """The <t> element of an inline string cell, as xlsxwriter writes it in constant-memory
    mode: cut to Excel's limit in UTF-16 units, control characters as _xHHHH_ (and a
    literal _xHHHH_ kept literal), white space at either end preserved, XML's & < >
    escaped. A text shaped like rich-text runs (<r>…</r>) is escaped too, where xlsxwriter
    would copy it into the sheet's XML as it stands (text_write)."""
    if len(text) > _SHORT and _utf16_len(text) > MAX_CELL_CHARS:
        text = _utf16_truncate(text, MAX_CELL_CHARS)
    if _NEEDS_ESCAPE.search(text):
        text = XMLwriter._escape_control_characters(text)
        preserve = text[:1].isspace() or text[-1:].isspace()
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    else:
        preserve = text[:1].isspace() or text[-1:].isspace()
    return f"<t{_PRESERVE}>{text}</t>" if preserve else f"<t>{text}</t>"


class Column(Protocol):
    """What a list needs of a column: its header and its widest width (in display units)."""

    header: str
    width: int


class Formats:
    """The cell formats of one workbook of lists."""

    def __init__(self, book: xlsxwriter.Workbook):
        base = {"valign": "top", "font_size": 10}
        self.title = book.add_format({"bold": True, "font_size": 13, "valign": "vcenter"})
        self.header = book.add_format(
            {
                "bold": True,
                "font_size": 10,
                "text_wrap": True,
                "align": "center",
                "valign": "vcenter",
                "bg_color": "#DDEBF7",
                "border": 1,
            }
        )
        self.text = text_style(book, {**base, "text_wrap": True})
        self.date = book.add_format({**base, "num_format": "yyyy-mm-dd", "align": "left"})
        self.integer = book.add_format({**base, "num_format": "0"})
        self.decimal = book.add_format({**base, "num_format": "#,##0.00"})


class SheetWriter:
    """One sheet: a title row, a frozen header row, then typed rows appended one by one
    (a workbook in constant memory: each row is flushed when the next starts).

    The rows are written as the sheet's XML directly, one string per row, exactly as
    xlsxwriter's write_string/write_number/write_datetime and set_row would write them
    (tests/test_excel.py compares the two byte for byte): at a hundred thousand rows of 24
    cells, xlsxwriter's per-cell path (argument checks, a tuple per cell, attribute lists,
    three regular expressions per text) was most of an export's time. The title and header
    rows, the column widths and everything else still go through xlsxwriter."""

    def __init__(self, book, formats: Formats, *, name: str, columns: list[Column], title: str):
        if not book.constant_memory:
            raise ValueError("SheetWriter streams rows: open the workbook in constant memory")
        self.sheet = book.add_worksheet(sheet_name(name))
        self.formats = formats
        self.columns = columns
        headers = [str(column.header) for column in columns]
        # a column fits its longest value, up to its configured width (longer text wraps)
        self.widths = [display_width(header) for header in headers]
        self.caps = [
            max(column.width, w + 2) for column, w in zip(columns, self.widths, strict=True)
        ]
        self.full = [w >= cap for w, cap in zip(self.widths, self.caps, strict=True)]
        self.row = FIRST_DATA_ROW
        # the start of each column's <c> element, the xf attribute of each format once it
        # has one (given in order of first use, as xlsxwriter gives them), the <row>
        # attributes of each height, the Excel serial number of each date
        self._cells = [f'<c r="{xl_col_to_name(col)}' for col in range(len(columns))]
        self._styles: dict[Format | None, str] = {}
        self._row_attributes: dict[int, str] = {}
        self._dates: dict[datetime.date, str] = {}

        sheet, last = self.sheet, len(columns) - 1
        sheet.set_row(TITLE_ROW, 22)
        if last > 0:
            sheet.merge_range(TITLE_ROW, 0, TITLE_ROW, last, title, formats.title)
        else:
            sheet.write_string(TITLE_ROW, 0, title, formats.title)
        for col, header in enumerate(headers):
            sheet.write_string(HEADER_ROW, col, header, formats.header)
        sheet.freeze_panes(FIRST_DATA_ROW, 0)
        # printing: landscape A3, as wide as one page, header repeated on every page
        sheet.set_landscape()
        sheet.set_paper(8)  # A3: ledgers are printed on A3 landscape
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(HEADER_ROW)

    @property
    def rows_written(self) -> int:
        return self.row - FIRST_DATA_ROW

    def append(self, values: Iterable) -> None:
        sheet, formats, row = self.sheet, self.formats, self.row
        if sheet.table:
            # the header row, written through xlsxwriter, is still waiting to be flushed
            sheet._write_single_row(row)
        sheet.previous_row = row
        ref = str(row + 1)
        heads, caps, full, styles = self._cells, self.caps, self.full, self._styles
        plain, quoted = formats.text.plain, formats.text.quoted
        cells = []
        lines = 1
        col = -1
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                # the common case inline (it is most of the cells): a text no longer than
                # Excel takes, with nothing to escape; else _inline_string does it all
                text = value
                if len(text) > _SHORT or _NEEDS_ESCAPE.search(text):
                    text = text[:MAX_CELL_CHARS]
                    xml = _inline_string(text)
                elif text[0].isspace() or text[-1].isspace():
                    xml = f"<t{_PRESERVE}>{text}</t>"
                else:
                    xml = f"<t>{text}</t>"
                cell_format = quoted if text.startswith(FORMULA_TRIGGERS) else plain
                style = styles.get(cell_format) or self._style(cell_format)
                cells.append(f'{heads[col]}{ref}"{style} t="inlineStr"><is>{xml}</is></c>')
                cap = caps[col]
                if not full[col]:
                    self._widen(col, display_width(text[:cap]))
                if len(text) * 2 > cap or "\n" in text:
                    lines = max(lines, self._lines(cap, text))
                continue
            if isinstance(value, bool):  # before int: a bool is an int
                self._text(cells, col, ref, _("是") if value else _("否"))
            elif isinstance(value, int):
                style = styles.get(formats.integer) or self._style(formats.integer)
                cells.append(f'{heads[col]}{ref}"{style}><v>{value:.16G}</v></c>')
                self._widen(col, len(str(value)))
            elif isinstance(value, Decimal | float):
                number = float(value)
                if not math.isfinite(number):
                    raise TypeError("NAN/INF not supported in write_number()")
                style = self._style(formats.decimal)
                cells.append(f'{heads[col]}{ref}"{style}><v>{number:.16G}</v></c>')
                self._widen(col, len(f"{value:,.2f}"))
            elif isinstance(value, datetime.date):
                if isinstance(value, datetime.datetime):
                    value = timezone.localtime(value).date()
                serial = self._dates.get(value) or self._date(value)
                style = styles.get(formats.date) or self._style(formats.date)
                cells.append(f'{heads[col]}{ref}"{style}><v>{serial}</v></c>')
                self._widen(col, 10)
            else:  # a lazy label or anything else: its text
                lines = max(lines, self._text(cells, col, ref, str(value)))
        if col >= len(heads):
            raise ValueError(f"{col + 1} values for {len(heads)} columns")
        if cells:
            # Neither Excel nor LibreOffice grows a row for wrapped text when opening a file,
            # so the row is given the height of its longest text. A text longer than its
            # column's cap makes the column exactly that wide, so the number of lines is
            # known now.
            attributes = self._row_attributes.get(lines) or self._row_height(lines)
            sheet.fh.write(f'<row r="{ref}"{attributes}>{"".join(cells)}</row>')
            sheet.dim_rowmax = row
        self.row += 1

    def _text(self, cells: list, col: int, ref: str, text: str) -> int:
        """Add a text cell under the formula policy (text_write's); returns how many lines
        it takes in its column."""
        text = text[:MAX_CELL_CHARS]
        style = self.formats.text
        cell_format = style.quoted if text.startswith(FORMULA_TRIGGERS) else style.plain
        cells.append(
            f'{self._cells[col]}{ref}"{self._style(cell_format)}'
            f' t="inlineStr"><is>{_inline_string(text)}</is></c>'
        )
        return self._measure(col, text)

    def _measure(self, col: int, text: str) -> int:
        """Widen the column for a text; returns how many lines the text takes in it."""
        cap = self.caps[col]
        if not self.full[col]:
            self._widen(col, display_width(text[:cap]))
        if len(text) * 2 <= cap and "\n" not in text:
            return 1  # fits on one line whatever the characters
        return self._lines(cap, text)

    @staticmethod
    def _lines(cap: int, text: str) -> int:
        """How many lines a text takes in a column of this cap. The column ends cap + 2 wide;
        at the 10-point font a CJK character takes a little less than the two units
        display_width counts, hence 0.9."""
        width = cap + 2
        return sum(
            max(1, math.ceil(display_width(line) * 0.9 / width)) for line in text.split("\n")
        )

    def _style(self, cell_format: Format | None) -> str:
        """The s="…" attribute of a cell in this format (none for the default format); the
        format's index is given on its first use, as xlsxwriter gives it."""
        found = self._styles.get(cell_format)
        if found is None:
            found = f' s="{cell_format._get_xf_index()}"' if cell_format is not None else ""
            self._styles[cell_format] = found
        return found

    def _date(self, day: datetime.date) -> str:
        sheet = self.sheet
        serial = _datetime_to_excel_datetime(day, sheet.date_1904, sheet.remove_timezone)
        self._dates[day] = text = f"{serial:.16G}"
        return text

    def _row_height(self, lines: int) -> str:
        """The <row> attributes of a row of `lines` lines, as set_row() makes them."""
        sheet = self.sheet
        if lines == 1:
            height = sheet.default_row_height
        else:
            points = min(lines, MAX_ROW_LINES) * LINE_HEIGHT + 2
            height = int(points * 4.0 / 3.0 + 0.5)  # in pixels, as set_row() keeps it
        attributes = ""
        if height != sheet.original_row_height or height != sheet.default_row_height:
            attributes = f' ht="{height * 0.75:.16g}" customHeight="1"'
        if sheet.excel_version == 2010:
            attributes += ' x14ac:dyDescent="0.25"'
        self._row_attributes[lines] = attributes
        return attributes

    def _widen(self, col: int, width: int) -> None:
        if width > self.widths[col]:
            self.widths[col] = min(width, self.caps[col])
            self.full[col] = self.widths[col] >= self.caps[col]

    def finish(self) -> None:
        # column widths are written when the workbook closes, so they may come last
        for col, width in enumerate(self.widths):
            self.sheet.set_column(col, col, max(width + 2, MIN_WIDTH))
        last_row = max(self.row - 1, HEADER_ROW)
        self.sheet.autofilter(HEADER_ROW, 0, last_row, len(self.columns) - 1)


# -- tables: the screens' small tables (a title, the header row, the rows) -----------------


class Percent:
    """A rate for a table: written as a number with a % format."""

    def __init__(self, fraction: float):
        self.fraction = fraction


@dataclass
class Table:
    """One sheet of a screen's table: a title row, the header row, then the rows.
    `percent_columns` are the columns whose numbers are fractions shown as percentages
    (0.25 → 25.0%)."""

    name: str
    title: str
    headers: list
    rows: list
    percent_columns: set = field(default_factory=set)


class TableFormats:
    """The cell formats of one workbook of tables."""

    def __init__(self, book: xlsxwriter.Workbook, *, title_size: int | None = None):
        size = {} if title_size is None else {"font_size": title_size}
        self.title = book.add_format({"bold": True, **size})
        self.head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        self.percent = book.add_format({"num_format": "0.0%"})
        self.date = book.add_format({"num_format": "yyyy-mm-dd", "align": "left"})
        self.text = text_style(book)


def table_sheet_name(name: str, taken: set) -> str:
    """A sheet name Excel accepts and not yet `taken` (case-insensitive) in the workbook."""
    name = SHEET_NAME_FORBIDDEN.sub("_", str(name)).strip("'")[:31] or "Sheet"
    base, n = name, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(name.lower())
    return name


def table_write(
    sheet: Worksheet,
    table: Table,
    formats: TableFormats,
    *,
    widths: tuple[int, int] | None = (24, 12),
    frozen_columns: int = 1,
) -> None:
    """Write `table` from A1. Numbers stay numbers, Percent and the percent columns' numbers
    are numbers with a % format, dates are dates, None is an empty cell, anything else text.
    `widths`: of the first column and of the others (None: left as they are);
    `frozen_columns`: how many columns stay in view with the title and header rows."""
    sheet.write_string(0, 0, str(table.title), formats.title)
    for col, header in enumerate(table.headers):
        sheet.write_string(1, col, str(header), formats.head)
        if widths is not None:
            sheet.set_column(col, col, widths[1] if col else widths[0])
    for r, row in enumerate(table.rows, start=2):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, Percent):
                sheet.write_number(r, col, value.fraction, formats.percent)
            elif isinstance(value, bool):
                text_write(sheet, r, col, str(value), formats.text)
            elif isinstance(value, int | float | Decimal):
                style = formats.percent if col in table.percent_columns else None
                sheet.write_number(r, col, float(value), style)
            elif isinstance(value, datetime.date):
                moment = datetime.datetime.combine(value, datetime.time())
                sheet.write_datetime(r, col, moment, formats.date)
            else:
                text_write(sheet, r, col, str(value), formats.text)
    sheet.freeze_panes(2, frozen_columns)
