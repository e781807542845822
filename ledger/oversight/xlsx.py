"""Spreadsheets of the oversight screens, written by the core's writer (ledger/excel.py):
numbers stay numbers, text is always text under the one formula-injection policy.

A workbook may carry more sheets than the screen's own table: the parts other rooms add to
a page (its slots) give their own sheets through `room_sheets` (see there).
"""

import io

from django.http import FileResponse

from ledger import excel
from ledger.excel import Percent
from ledger.rooms import Slot, rooms

# a sheet of an oversight export: the core's table (name, title, headers, rows, percent columns)
Sheet = excel.Table


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


def workbook_response(
    filename: str, title: str, headers: list, rows: list, *, sheet_name: str = "", more=()
) -> FileResponse:
    """The screen's table on the first sheet (a title row, the header row, then the rows),
    then one sheet per item of `more` (Sheet). Numbers stay numbers, percentages are numbers
    with a % format, dates are dates, None is an empty cell, anything else text."""
    buffer = io.BytesIO()
    # small tables, built in memory
    book = excel.workbook_open(buffer, constant_memory=False)
    formats = excel.TableFormats(book)
    taken: set = set()
    for sheet in [Sheet(sheet_name or title, title, headers, rows), *more]:
        worksheet = book.add_worksheet(excel.table_sheet_name(sheet.name, taken))
        excel.table_write(worksheet, sheet, formats)
    book.close()
    buffer.seek(0)
    return excel.download(buffer, filename=filename)


def percent_or_none(rate):
    """metrics.Rate → Percent, or "—" as on the screen when the rate has no base."""
    return "—" if rate.fraction is None else Percent(rate.fraction)
