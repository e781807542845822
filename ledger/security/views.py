"""The lockout page (django-axes' AXES_LOCKOUT_CALLABLE) and /healthz."""

import datetime
import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_tasks_db.models import DBTaskResult, get_date_max

logger = logging.getLogger(__name__)


def lockout_response(request, original_response=None, credentials=None):
    """A 429 page in the app's layout: why, for how long, and who can unlock."""
    cooloff = settings.AXES_COOLOFF_TIME
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(cooloff.total_seconds() // 60) if cooloff else None,
    }
    if getattr(request, "address_throttled", False):  # many user names from one address
        context = {
            "address_limit": settings.LOGIN_ADDRESS_FAILURE_LIMIT,
            "cooloff_minutes": settings.LOGIN_ADDRESS_WINDOW_MINUTES,
        }
    return render(request, "security/lockout.html", context, status=429)


def _worker_state() -> dict:
    """When the task worker last finished a task, and whether queued work is waiting on it.

    "stale": a task has been ready to run for longer than HEALTHZ_WORKER_STALE_SECONDS
    (the worker is down or behind); "idle": nothing waits. Never an error here: the
    health of the web process does not depend on the worker.
    """
    newest = (
        DBTaskResult.objects.filter(finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    limit = timezone.now() - datetime.timedelta(seconds=settings.HEALTHZ_WORKER_STALE_SECONDS)
    waiting = (
        DBTaskResult.objects.ready()
        .filter(enqueued_at__lte=limit)
        .filter(Q(run_after=get_date_max()) | Q(run_after__lte=limit))
        .exists()
    )
    return {
        "status": "stale" if waiting else "ok",
        "last_finished": newest.isoformat(timespec="seconds") if newest else None,
    }


@never_cache
@require_GET
def healthz(request):
    """200 {"status": "ok"} when the database answers, 503 otherwise; no login, no details.

    Nothing about versions, paths or errors is shown (the error goes to the log).
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("healthz: the database did not answer")
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    body = {"status": "ok", "database": "ok"}
    try:
        body["worker"] = _worker_state()
    except DatabaseError:
        logger.exception("healthz: the task table could not be read")
        body["worker"] = {"status": "unknown", "last_finished": None}
    return JsonResponse(body)
