"""Views: the ledger and master data as .xlsx, background export jobs and their files.

`/issues/export.xlsx` takes exactly the ledger's query (filters and sort): small exports
are answered at once, larger ones (settings.EXCHANGE["EXPORT_BACKGROUND_ROWS"]) become
an ExportJob whose page polls for progress and then offers the file. Only the person who
asked (and administrators) may see a job or download its file.
"""

import tempfile

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from ledger import auditing, excel
from ledger.exchange import export
from ledger.exchange.models import ExportJob
from ledger.exchange.tasks import export_job_start
from ledger.filters import DEFAULT_SORT, ledger_order, ledger_params, parse_sort
from ledger.replica import replica_reads
from ledger.selectors import ledger_queryset

# a job's file name when the job kept none
FALLBACK_NAMES = {
    "ledger": "ledger",
    "enterprises": "enterprises",
    "contacts": "contacts",
    "departments": "departments",
    "leaders": "leaders",
    "projects": "key-projects",
}
JOB_LIST_LIMIT = 50


def background_threshold() -> int:
    return settings.EXCHANGE["EXPORT_BACKGROUND_ROWS"]


def _ledger_response(rows, *, words: str, total: int) -> FileResponse:
    today = timezone.localdate()
    # not a context manager: FileResponse closes (and so deletes) it once sent
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    export.ledger_write(handle, rows, title=export.ledger_title(words, total, today))
    handle.seek(0)
    return excel.download(handle, filename=export.export_filename(_("问题台账"), today))


# -- the ledger --------------------------------------------------------------------------


@login_required
@require_GET
@replica_reads
def issue_export(request):
    """The ledger as on screen (same filters, same sort, only visible rows) as .xlsx."""
    rows, filterset = export.ledger_rows(request.user, request.GET)
    total = rows.count()
    auditing.record(
        auditing.Kind.EXPORTED,
        actor=request.user,
        request=request,
        target="ledger export",
        detail={"filter": request.GET.urlencode(), "rows": total},
    )
    if total > background_threshold():
        query = ledger_params(request.GET)
        query["sort"] = parse_sort(request.GET.get("sort"))
        job = export_job_start(user=request.user, params={"query": query.urlencode()}, total=total)
        return redirect("exchange:export_job", pk=job.pk)
    return _ledger_response(rows, words=export.filters_in_words(filterset.active), total=total)


@admin.action(description=gettext_lazy("导出所选问题为 Excel"))
def issues_export_action(modeladmin, request, queryset):
    """Admin action: exactly the selected rows, still only those visible to the admin user."""
    rows = ledger_order(
        ledger_queryset(request.user).filter(pk__in=queryset.values("pk")), DEFAULT_SORT
    )
    total = rows.count()
    words = export.selection_in_words(total)
    auditing.record(
        auditing.Kind.EXPORTED,
        actor=request.user,
        request=request,
        target="ledger export (admin selection)",
        detail={"selection": True, "rows": total},
    )
    if total > background_threshold():
        ids = list(rows.values_list("pk", flat=True))
        job = export_job_start(user=request.user, params={"ids": ids}, total=total)
        return redirect("exchange:export_job", pk=job.pk)
    return _ledger_response(rows, words=words, total=total)


# -- background jobs ----------------------------------------------------------------------


def _may_see_job(user, job: ExportJob) -> bool:
    return job.requested_by_id == user.pk or user.is_admin_role


def _job_for(user, pk: int) -> ExportJob:
    """The job if `user` asked for it (or administers the system); otherwise 404, as for a
    job that does not exist, so ids reveal nothing."""
    job = ExportJob.objects.filter(pk=pk).first()
    if job is None or not _may_see_job(user, job):
        raise Http404
    return job


@login_required
@require_GET
def export_job(request, pk):
    job = _job_for(request.user, pk)
    context = {"job": job, "show_error_detail": request.user.is_admin_role}
    if request.htmx:
        return render(request, "exchange/export_job_status.html", context)
    return render(request, "exchange/export_job.html", context)


@login_required
@require_GET
def export_job_download(request, pk):
    job = _job_for(request.user, pk)
    if job.state != ExportJob.State.DONE or not job.file:
        raise Http404
    try:
        handle = job.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    fallback = export.export_filename(
        FALLBACK_NAMES.get(job.kind, "export"), timezone.localdate(job.requested_at)
    )
    return excel.download(handle, filename=job.filename or fallback)


@login_required
@require_GET
def export_job_list(request):
    """The user's own recent exports, newest first."""
    jobs = ExportJob.objects.filter(requested_by=request.user).order_by("-requested_at", "-id")
    return render(request, "exchange/export_list.html", {"jobs": jobs[:JOB_LIST_LIMIT]})


# -- master data ------------------------------------------------------------------------------


@login_required
@require_GET
@replica_reads
def master_export(request, kind):
    """Enterprises (with a sheet of contacts), contacts, departments, leaders, key projects:
    for the oversight office and administrators."""
    if kind not in export.MASTER_KINDS:
        raise Http404
    if not request.user.has_perm("ledger.export_master"):
        raise PermissionDenied
    today = timezone.localdate()
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    written = export.master_write(handle, kind, today=today)
    auditing.record(
        auditing.Kind.EXPORTED,
        actor=request.user,
        request=request,
        target=f"master data export {kind}",
        detail={"kind": kind, "rows": written},
    )
    handle.seek(0)
    return excel.download(handle, filename=export.export_filename(export.master_title(kind), today))


urlpatterns = [
    path("issues/export.xlsx", issue_export, name="issue_export"),
    path("exports/", export_job_list, name="export_job_list"),
    path("exports/<int:pk>/", export_job, name="export_job"),
    path("exports/<int:pk>/download/", export_job_download, name="export_job_download"),
    path("directory/export/<str:kind>.xlsx", master_export, name="master_export"),
]
