"""Background exports: a large ledger export runs as a task writing an ExportJob.

The job is created by the request and the task is enqueued when that transaction
commits; the worker (django_tasks_db's db_worker in production, at once in
development) writes the file under MEDIA_ROOT/exports/ and records progress, which
the progress page polls. Files are only ever served by a permission-checked view.
"""

import logging
import tempfile

from django.contrib.auth import get_user_model
from django.core.files import File
from django.db import transaction
from django.http import QueryDict
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ledger.exchange import export
from ledger.exchange.models import ExportJob

logger = logging.getLogger(__name__)

KIND_LEDGER = "ledger"


def export_job_start(*, user, params: dict, total: int) -> ExportJob:
    """Record a ledger export for `user` and run it in the background once committed.

    `params` is {"query": "<ledger query string>"} (the ledger's filters and sort) or
    {"ids": [issue ids in order]} (rows chosen in the admin)."""
    job = ExportJob.objects.create(
        kind=KIND_LEDGER,
        requested_by=user,
        params=params,
        language=translation.get_language() or "zh-hans",
        total=total,
    )
    transaction.on_commit(lambda: export_job_run.enqueue(job.pk))
    return job


def _job_issues(job: ExportJob):
    """The rows a job exports and the title row's filter words, chosen for its requester now
    (visibility is checked again when the job runs, not only when it was asked for)."""
    user = get_user_model().objects.get(pk=job.requested_by_id)
    if "ids" in job.params:
        ids = [int(pk) for pk in job.params["ids"]]
        words = export.selection_in_words(len(ids))
        return export.ledger_issues_by_ids(user, ids), words, len(ids)
    rows, filterset = export.ledger_rows(user, QueryDict(job.params.get("query", "")))
    return rows, export.filters_in_words(filterset.active), rows.count()


@task
def export_job_run(job_id: int) -> str:
    """Write the job's workbook; on any failure mark the job failed with a clear message."""
    claimed = ExportJob.objects.filter(pk=job_id, state=ExportJob.State.PENDING).update(
        state=ExportJob.State.RUNNING
    )
    if not claimed:  # already run, or gone: running it twice would only repeat the work
        return "skipped"
    job = ExportJob.objects.get(pk=job_id)
    try:
        with translation.override(job.language):
            today = timezone.localdate()
            issues, words, total = _job_issues(job)
            # done may not pass total (a constraint): rows raised meanwhile are clamped
            ExportJob.objects.filter(pk=job.pk).update(total=total, done=0)

            def progress(done: int) -> None:
                ExportJob.objects.filter(pk=job.pk).update(done=min(done, total))

            filename = export.export_filename(_("问题台账"), today)
            with tempfile.TemporaryFile(suffix=".xlsx") as handle:
                written = export.ledger_write(
                    handle,
                    issues,
                    title=export.ledger_title(words, total, today),
                    progress=progress,
                )
                handle.seek(0)
                job.refresh_from_db()
                job.file.save(f"ledger-{job.pk}-{today.isoformat()}.xlsx", File(handle), save=False)
        job.filename = filename
        job.total = max(total, written)
        job.done = written
        job.state = ExportJob.State.DONE
        job.finished_at = timezone.now()
        job.error = ""
        job.save()
        return "done"
    except Exception as error:
        logger.exception("export job %s failed", job_id)
        ExportJob.objects.filter(pk=job_id).update(
            state=ExportJob.State.FAILED,
            error=f"{type(error).__name__}: {error}"[:1000],
            finished_at=timezone.now(),
        )
        return "failed"
