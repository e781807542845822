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

from ledger.rooms import rooms

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
    """When the task worker last finished a task, and whether it is keeping up.

    - "ok": it has finished a task, and no queued task has waited to run for longer than
      HEALTHZ_WORKER_STALE_SECONDS;
    - "never_ran": no task has ever finished. The worker's unit queues a `healthz_ping` task as
      it starts (deploy/zhongzhan-worker.service), so a worker that runs has finished one
      within seconds: this means it never started, or cannot run anything;
    - "stale": a task has been ready to run for longer than HEALTHZ_WORKER_STALE_SECONDS
      (the worker is down or behind).
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
        "status": "stale" if waiting else "ok" if newest else "never_ran",
        "last_finished": newest.isoformat(timespec="seconds") if newest else None,
    }


@never_cache
@require_GET
def healthz(request):
    """The load balancer's and the monitor's probe; no login, nothing about versions, paths
    or errors (errors go to the log).

    - 503 {"status": "error", "database": "unreachable"} when the database does not answer;
    - 200 {"status": "ok", …} when the database answers, the worker is "ok" and every room's
      part (e.g. the queued daily reminders) is "ok";
    - 200 {"status": "degraded", …} when the database answers but the worker is "never_ran" or
      "stale" or a room's part is not "ok": the web still serves, so a load balancer keeps it
      in rotation while the monitor alerts. `?strict=1` answers 503 for "degraded" too, for a
      monitor that reads only the status code.
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
        for room in rooms():
            body.update(room.health() or {})
    except DatabaseError:
        logger.exception("healthz: the task tables could not be read")
        body["worker"] = {"status": "unknown", "last_finished": None}
    parts = [value for key, value in body.items() if isinstance(value, dict)]
    if any(part.get("status") != "ok" for part in parts):
        body["status"] = "degraded"
    strict = request.GET.get("strict") == "1"
    return JsonResponse(body, status=503 if strict and body["status"] != "ok" else 200)
