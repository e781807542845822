"""The worker's sign of life for /healthz: `manage.py healthz_ping` queues healthz_ping, which
the worker's unit runs just before the worker starts (deploy/zhongzhan-worker.service). A
running worker finishes it within seconds, so /healthz can tell a worker that never ran."""

from django.tasks import task


@task
def healthz_ping() -> str:
    return "pong"
