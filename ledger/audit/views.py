"""The audit administrator's export of the security audit log (.xlsx through ledger.excel);
every export is itself recorded."""

import datetime
import tempfile

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ledger import auditing, excel
from ledger.auditing import Kind
from ledger.events import canonical

from .forms import AuditExportForm
from .models import AuditRecord

EXPORT_PERMISSION = "audit.export_auditrecord"


def records_filtered(data: dict):
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(data["date_from"], datetime.time(), tzinfo=tz)
    end = datetime.datetime.combine(
        data["date_to"] + datetime.timedelta(days=1), datetime.time(), tzinfo=tz
    )
    records = AuditRecord.objects.filter(at__gte=start, at__lt=end)
    if data.get("kind"):
        records = records.filter(kind=data["kind"])
    if data.get("username"):
        records = records.filter(username=data["username"])
    return records.order_by("seq")


def _rows(records):
    for record in records.iterator(chunk_size=2000):
        yield [
            record.seq,
            timezone.localtime(record.at).strftime("%Y-%m-%d %H:%M:%S"),
            str(record.kind_label),
            str(record.get_outcome_display()),
            record.username,
            record.ip or "",
            record.target_label,
            excel_detail(record.detail),
            record.digest,
        ]


def excel_detail(detail) -> str:

    return canonical(detail).decode() if detail else ""


@login_required
@require_GET
def audit_export(request):
    """The form (no filter yet, or a bad one: 400 with the reason), or the file."""
    if not request.user.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied
    if "date_from" not in request.GET:
        today = timezone.localdate()
        form = AuditExportForm(
            initial={"date_from": today - datetime.timedelta(days=30), "date_to": today}
        )
        return render(request, "audit/export.html", {"form": form})
    form = AuditExportForm(request.GET)
    if not form.is_valid():
        return render(request, "audit/export.html", {"form": form}, status=400)
    records = records_filtered(form.cleaned_data)
    total = records.count()
    words = form.in_words()
    auditing.record(
        Kind.AUDIT_EXPORTED,
        actor=request.user,
        request=request,
        target="audit log",
        detail={"filter": words, "rows": total},
    )
    title = _("安全审计日志 %(start)s 至 %(end)s（共 %(n)d 条）") % {
        "start": words["date_from"],
        "end": words["date_to"],
        "n": total,
    }
    headers = [
        _("序号"),
        _("时间"),
        _("类别"),
        _("结果"),
        _("用户名"),
        _("来源地址"),
        _("对象"),
        _("详情"),
        _("校验值"),
    ]
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    book = excel.workbook_open(handle, title=title)
    sheet = book.add_worksheet(excel.sheet_name(_("安全审计日志")))
    table = excel.Table(_("安全审计日志"), title, headers, _rows(records))
    excel.table_write(sheet, table, excel.TableFormats(book), widths=(8, 18))
    book.close()
    handle.seek(0)
    name = f"{_('安全审计日志')}-{words['date_from']}-{words['date_to']}.xlsx"
    return excel.download(handle, filename=name)
