"""The coverage table as .xlsx: xlsxwriter in constant memory, every text cell written as a
string, and text Excel would read as a formula marked as text with the quote prefix (as
ledger/exchange/export.py does), so a leader named "=…" stays a name."""

import datetime
import tempfile
from urllib.parse import quote

import xlsxwriter
from django.http import FileResponse
from django.utils.translation import gettext as _

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


def coverage_workbook(rows, start: datetime.date, end: datetime.date) -> FileResponse:
    # closed by the FileResponse once sent
    handle = tempfile.TemporaryFile()  # noqa: SIM115
    book = xlsxwriter.Workbook(handle, WORKBOOK_OPTIONS)
    sheet = book.add_worksheet(_("走访覆盖"))
    bold = book.add_format({"bold": True, "font_size": 13})
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    text = book.add_format({})
    quoted = book.add_format({"quote_prefix": True})
    percent = book.add_format({"num_format": "0.0%"})
    date = book.add_format({"num_format": "yyyy-mm-dd", "align": "left"})
    title = _("包联走访覆盖情况（%(start)s 至 %(end)s）") % {
        "start": start.isoformat(),
        "end": end.isoformat(),
    }
    sheet.write_string(0, 0, title, bold)
    headers = [
        _("分包领导"),
        _("职务"),
        _("分包企业和项目"),
        _("本期已走访"),
        _("覆盖率"),
        _("本期走访次数"),
        _("最近走访日期"),
    ]
    for col, header in enumerate(headers):
        sheet.write_string(1, col, header, head)
    sheet.set_column(0, 1, 16)
    sheet.set_column(2, 6, 14)

    def string(r, c, value):
        value = str(value)
        sheet.write_string(r, c, value, quoted if value.startswith(FORMULA_TRIGGERS) else text)

    for r, row in enumerate(rows, start=2):
        string(r, 0, row.leader.name)
        string(r, 1, row.leader.title)
        sheet.write_number(r, 2, row.assigned)
        sheet.write_number(r, 3, row.visited)
        if row.rate is None:
            sheet.write_string(r, 4, "—")
        else:
            sheet.write_number(r, 4, row.rate, percent)
        sheet.write_number(r, 5, row.visits)
        if row.last_visit:
            sheet.write_datetime(
                r, 6, datetime.datetime.combine(row.last_visit, datetime.time()), date
            )
        else:
            sheet.write_string(r, 6, "—")
    sheet.freeze_panes(2, 0)
    book.close()
    handle.seek(0)
    filename = f"visit-coverage-{start.isoformat()}-{end.isoformat()}.xlsx"
    response = FileResponse(handle, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
