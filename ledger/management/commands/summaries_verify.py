"""summaries_verify: prove the summary rows equal a fresh count of the issues; exits non-zero,
listing the differences, when they do not (then run summaries_rebuild)."""

from django.core.management.base import BaseCommand, CommandError

from ledger import summaries


class Command(BaseCommand):
    help = (
        "Compare the summary rows with a fresh count of the issues (non-zero exit if they differ)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--show", type=int, default=20, help="differences listed at most")

    def handle(self, *args, **options):
        problems = summaries.verify()
        if problems:
            for line in problems[: options["show"]]:
                self.stderr.write(line)
            raise CommandError(
                f"{len(problems)} summary rows or marks differ from the issues; "
                "run summaries_rebuild"
            )
        self.stdout.write(self.style.SUCCESS("summary rows equal a fresh count of the issues"))
