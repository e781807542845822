"""import_ledger: import a ledger spreadsheet from the command line (the wizard's code path).

    python manage.py import_ledger FILE --user USERNAME [--dry-run]

Prints the summary and one line per problem (第 R 行 · 列名：…). Exit status 0 when every
row is good (and, without --dry-run, all were imported); 1 when any row has a problem or
the file cannot be read — then nothing at all has been written.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ledger.exchange.importing import ledger_import
from ledger.exchange.reading import ReadRefused, size_check
from ledger.models import User


def import_file(command: BaseCommand, options: dict, importer) -> None:
    """Shared by import_ledger and import_master: check the user, read the file, run
    `importer(data, file_name=…, user=…, dry_run=…)`, print, exit 0 or 1."""
    try:
        user = User.objects.get(username=options["user"], is_active=True)
    except User.DoesNotExist:
        raise CommandError(f"没有用户 {options['user']!r}。 / No such active user.") from None
    if not user.has_perm("ledger.import_ledger"):
        raise CommandError("只有督查室和系统管理员可以导入。 / Only supervisors and admins import.")
    path = Path(options["file"])
    try:
        size_check(path.stat().st_size)
        data = path.read_bytes()
    except ReadRefused as refusal:
        command.stderr.write(refusal.message)
        sys.exit(1)
    except OSError as error:
        raise CommandError(f"无法读取文件 / Cannot read the file: {error}") from None
    outcome = importer(data, file_name=path.name, user=user, dry_run=options["dry_run"])
    if outcome.refused:
        command.stderr.write(outcome.refused)
        sys.exit(1)
    command.stdout.write(
        f"读取 {outcome.rows_read} 行 · 新建 {outcome.to_create} · 更新 {outcome.to_update}"
        f" · 不变 {outcome.unchanged} · 跳过 {outcome.skipped} · 错误 {len(outcome.problems)}"
    )
    command.stdout.write(
        f"rows read {outcome.rows_read}, to create {outcome.to_create}, to update "
        f"{outcome.to_update}, unchanged {outcome.unchanged}, skipped {outcome.skipped}, "
        f"errors {len(outcome.problems)}"
    )
    for note in outcome.notes:
        command.stdout.write(f"注意 {note}")
    for problem in outcome.problems:
        command.stdout.write(str(problem))
    if not outcome.ok:
        command.stdout.write("有错误，未导入任何数据。 / Errors: nothing was imported.")
        sys.exit(1)
    if options["dry_run"]:
        command.stdout.write("试运行：未写入。 / Dry run: nothing written.")
    else:
        command.stdout.write(command.style.SUCCESS("已导入。 / Imported."))


class Command(BaseCommand):
    help = "导入问题台账 Excel/CSV 文件。 / Import a ledger spreadsheet."

    def add_arguments(self, parser):
        parser.add_argument("file", help=".xlsx, .xls or .csv")
        parser.add_argument("--user", required=True, help="username of the importing person")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report only, write nothing"
        )

    def handle(self, *args, **options):
        import_file(self, options, ledger_import)
