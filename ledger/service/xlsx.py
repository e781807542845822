"""The coverage table as .xlsx, written by the core's writer (ledger/excel.py) in constant
memory under its formula-injection policy, so a leader named "=…" stays a name."""

import datetime
import tempfile

from django.http import FileResponse
from django.utils.translation import gettext as _

from ledger import excel


def coverage_workbook(rows, start: datetime.date, end: datetime.date) -> FileResponse:
    # closed by the FileResponse once sent
    handle = tempfile.TemporaryFile()  # noqa: SIM115
    book = excel.workbook_open(handle)
    sheet = book.add_worksheet(_("走访覆盖"))
    title = _("包联走访覆盖情况（%(start)s 至 %(end)s）") % {
        "start": start.isoformat(),
        "end": end.isoformat(),
    }
    headers = [
        _("分包领导"),
        _("职务"),
        _("分包企业和项目"),
        _("本期已走访"),
        _("覆盖率"),
        _("本期走访次数"),
        _("最近走访日期"),
    ]
    table = excel.Table(
        name=_("走访覆盖"),
        title=title,
        headers=headers,
        rows=[
            [
                row.leader.name,
                row.leader.title,
                row.assigned,
                row.visited,
                "—" if row.rate is None else excel.Percent(row.rate),
                row.visits,
                row.last_visit or "—",
            ]
            for row in rows
        ],
    )
    sheet.set_column(0, 1, 16)
    sheet.set_column(2, 6, 14)
    excel.table_write(
        sheet, table, excel.TableFormats(book, title_size=13), widths=None, frozen_columns=0
    )
    book.close()
    handle.seek(0)
    filename = f"visit-coverage-{start.isoformat()}-{end.isoformat()}.xlsx"
    return excel.download(handle, filename=filename)
