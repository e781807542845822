"""healthz_ping: queue one tiny task for the worker (run by the worker's unit before it starts),
so /healthz sees the worker finish a task as soon as it runs."""

from django.core.management.base import BaseCommand

from ledger.security.tasks import healthz_ping


class Command(BaseCommand):
    help = (
        "为任务进程排入一个探测任务（/healthz 据此判断它已运行）。"
        " / Queue a ping task for the worker (/healthz then sees it has run)."
    )

    def handle(self, *args, **options):
        result = healthz_ping.enqueue()
        self.stdout.write(f"已排入 / queued: {result.id}")
