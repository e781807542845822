"""import_ledger: import a ledger spreadsheet from the command line (the wizard's code path).

    python manage.py import_ledger FILE --user USERNAME [--dry-run] [--column 表头=字段 …]

Prints the summary, the columns not used, and one line per problem (第 R 行 · 列名：…).
`--column 投诉件内容=问题描述` says which field a column feeds (`--column 河流=不使用`: none),
as the wizard's column choices do; they are remembered at import. Exit status 0 when every
row is good (and, without --dry-run, all were imported); 1 when any row has a problem, no
column is the description, or the file cannot be read — then nothing at all has been written.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ledger.exchange.importing import COLUMN_FIELDS, ledger_import, ledger_index
from ledger.exchange.matching import header_key
from ledger.exchange.reading import ReadRefused, size_check
from ledger.models import User


def import_file(command: BaseCommand, options: dict, importer, **extra) -> None:
    """Shared by import_ledger and import_master: check the user, read the file, run
    `importer(data, file_name=…, user=…, dry_run=…, **extra)`, print, exit 0 or 1."""
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
    outcome = importer(data, file_name=path.name, user=user, dry_run=options["dry_run"], **extra)
    if outcome.refused:
        command.stderr.write(outcome.refused)
        sys.exit(1)
    columns = getattr(outcome, "columns", [])
    if getattr(outcome, "missing", ""):
        command.stderr.write(
            f"没有识别出“问题描述”列。工作表“{outcome.sheet}”第 {outcome.header_row} 行的表头："
            + "、".join(f"{c['letter']} {c['header'] or '（无表头）'}" for c in columns)
            + "。请用 --column 表头=问题描述 指定。 / No description column: choose one with"
            " --column HEADER=问题描述."
        )
        sys.exit(1)
    unused = [c for c in columns if not c["field"]]
    if unused:
        command.stdout.write(
            "未使用的列 / columns not used："
            + "；".join(
                f"{c['letter']} {c['header'] or '（无表头）'}"
                + (f"（{c['note']}）" if c["note"] else "")
                for c in unused
            )
        )
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
        parser.add_argument(
            "--column",
            action="append",
            default=[],
            metavar="表头=字段",
            help="the field a column feeds, e.g. 投诉件内容=问题描述 (不使用: none); repeatable",
        )

    def handle(self, *args, **options):
        columns = {}
        for choice in options["column"]:
            header, sep, name = choice.partition("=")
            if not sep or not header_key(header):
                raise CommandError(f"--column 应写作 表头=字段 / HEADER=FIELD: {choice!r}")
            columns[header_key(header)] = column_field(name)
        mappings = {"columns": columns} if columns else None
        import_file(self, options, ledger_import, mappings=mappings)


def column_field(name: str) -> str:
    """A field named by its key (description), its label (问题描述) or a header offices use
    (存在问题); "" for 不使用 / none / -."""
    key = header_key(name)
    if key in ("", "不使用", "none", "skip"):
        return ""
    fields = {header_key(k): k for k, _label in COLUMN_FIELDS}
    fields |= {header_key(str(label)): k for k, label in COLUMN_FIELDS}
    found = fields.get(key) or ledger_index().get(key)
    if found not in {k for k, _label in COLUMN_FIELDS}:
        names = "、".join(str(label) for _k, label in COLUMN_FIELDS)
        raise CommandError(f"不认识的字段 / Unknown field {name!r}（可填：{names}、不使用）")
    return found
