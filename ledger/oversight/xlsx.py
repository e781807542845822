"""Spreadsheets of the oversight screens (xlsxwriter): text is always written as text.

A text cell beginning with = + - @ or a tab/CR would be read as a formula by Excel
(CSV/formula injection); write_string keeps every text cell a string whatever it holds.
"""

import io
from decimal import Decimal
from urllib.parse import quote

import xlsxwriter
from django.http import HttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_response(filename: str, title: str, headers: list, rows: list) -> HttpResponse:
    """One sheet: a title row, the header row, then the rows. Numbers stay numbers,
    percentages are numbers with a % format, None is an empty cell, anything else text."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet()
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    percent = book.add_format({"num_format": "0.0%"})
    sheet.write_string(0, 0, str(title), bold)
    for col, header in enumerate(headers):
        sheet.write_string(1, col, str(header), head)
        sheet.set_column(col, col, 12 if col else 24)
    for r, row in enumerate(rows, start=2):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, Percent):
                sheet.write_number(r, col, value.fraction, percent)
            elif isinstance(value, int | float | Decimal):
                sheet.write_number(r, col, float(value))
            else:
                sheet.write_string(r, col, str(value))
    sheet.freeze_panes(2, 1)
    book.close()
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


class Percent:
    """A rate for the spreadsheet: written as a number with a % format."""

    def __init__(self, fraction: float):
        self.fraction = fraction


def percent_or_none(rate):
    """metrics.Rate → Percent, or "—" as on the screen when the rate has no base."""
    return "—" if rate.fraction is None else Percent(rate.fraction)
