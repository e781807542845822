"""facts_verify: prove that the day-level facts equal a fresh computation from the issues and
their events.

    python manage.py facts_verify

Exit status 0 and one "OK" line when they agree; otherwise one line per difference (the
first 50) on stderr and exit status 1. `facts_rebuild` repairs them.
"""

from django.core.management.base import BaseCommand, CommandError

from ledger.oversight import facts


class Command(BaseCommand):
    help = "校验考核与报表的日统计与问题一致。 / Verify the day-level facts against the issues."

    def handle(self, *args, **options):
        problems = facts.verify(limit=50)
        if problems:
            for line in problems:
                self.stderr.write(line)
            raise CommandError(
                f"facts differ from the issues ({len(problems)} shown); run facts_rebuild"
            )
        self.stdout.write("OK: the day-level facts equal the issues")
