"""Spreadsheets of the oversight screens (xlsxwriter): text is always written as text.

A text cell beginning with = + - @ or a tab/CR would be read as a formula by Excel
(CSV/formula injection); write_string keeps every text cell a string whatever it holds.

A workbook may carry more sheets than the screen's own table: the parts other rooms add to
a page (its slots) give their own sheets through `room_sheets` (see there).
"""

import datetime
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import quote

import xlsxwriter
from django.http import HttpResponse

from ledger.rooms import Slot, rooms

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel refuses these in a sheet name, and names longer than 31 characters
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass
class Sheet:
    """One sheet: a title row, the header row, then the rows. `percent_columns` are the
    columns whose numbers are fractions shown as percentages (0.25 → 25.0%)."""

    name: str
    title: str
    headers: list
    rows: list
    percent_columns: set = field(default_factory=set)


def room_sheets(slot: str, **context) -> list[Sheet]:
    """The sheets the installed rooms add to the export of page `slot`, in INSTALLED_APPS
    order: each room's Room.export_sheets hook (ledger/rooms.py) answers, for the slots it
    fills, dicts with the fields of Sheet (name, title, headers, rows, optionally
    percent_columns). The caller names the slot and never the room, as the page's template
    slots do, so no room imports another."""
    sheets = []
    for room in rooms():
        for part in room.export_sheets(Slot(slot), **context):
            sheets.append(part if isinstance(part, Sheet) else Sheet(**part))
    return sheets


def _sheet_name(name: str, taken: set) -> str:
    name = SHEET_NAME_FORBIDDEN.sub("_", str(name)).strip("'")[:31] or "Sheet"
    base, n = name, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(name.lower())
    return name


def workbook_response(
    filename: str, title: str, headers: list, rows: list, *, sheet_name: str = "", more=()
) -> HttpResponse:
    """The screen's table on the first sheet (a title row, the header row, then the rows),
    then one sheet per item of `more` (Sheet). Numbers stay numbers, percentages are numbers
    with a % format, dates are dates, None is an empty cell, anything else text."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    formats = {
        "bold": book.add_format({"bold": True}),
        "head": book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
        "percent": book.add_format({"num_format": "0.0%"}),
        "date": book.add_format({"num_format": "yyyy-mm-dd", "align": "left"}),
    }
    taken: set = set()
    sheets = [Sheet(sheet_name or title, title, headers, rows), *more]
    for sheet in sheets:
        _write_sheet(book.add_worksheet(_sheet_name(sheet.name, taken)), sheet, formats)
    book.close()
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _write_sheet(sheet, data: Sheet, formats: dict) -> None:
    sheet.write_string(0, 0, str(data.title), formats["bold"])
    for col, header in enumerate(data.headers):
        sheet.write_string(1, col, str(header), formats["head"])
        sheet.set_column(col, col, 12 if col else 24)
    for r, row in enumerate(data.rows, start=2):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, Percent):
                sheet.write_number(r, col, value.fraction, formats["percent"])
            elif isinstance(value, bool):
                sheet.write_string(r, col, str(value))
            elif isinstance(value, int | float | Decimal):
                style = formats["percent"] if col in data.percent_columns else None
                sheet.write_number(r, col, float(value), style)
            elif isinstance(value, datetime.date):
                moment = datetime.datetime.combine(value, datetime.time())
                sheet.write_datetime(r, col, moment, formats["date"])
            else:
                sheet.write_string(r, col, str(value))
    sheet.freeze_panes(2, 1)


class Percent:
    """A rate for the spreadsheet: written as a number with a % format."""

    def __init__(self, fraction: float):
        self.fraction = fraction


def percent_or_none(rate):
    """metrics.Rate → Percent, or "—" as on the screen when the rate has no base."""
    return "—" if rate.fraction is None else Percent(rate.fraction)
