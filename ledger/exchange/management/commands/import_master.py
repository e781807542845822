"""import_master: import master data (the /directory/import/ wizard's code path).

    python manage.py import_master KIND FILE --user USERNAME [--dry-run]

KIND is enterprises, contacts, departments, leaders or projects. Output and exit status as
import_ledger: 0 when every row is good (and imported unless --dry-run), 1 otherwise, and
then nothing has been written.
"""

from functools import partial

from django.core.management.base import BaseCommand

from ledger.exchange.management.commands.import_ledger import import_file
from ledger.exchange.masterdata import master_import

KINDS = ("enterprises", "contacts", "departments", "leaders", "projects")


class Command(BaseCommand):
    help = "导入基础数据（企业、联系人、单位、领导分包、重点项目）。 / Import master data."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file", help=".xlsx, .xls or .csv")
        parser.add_argument("--user", required=True, help="username of the importing person")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report only, write nothing"
        )

    def handle(self, *args, **options):
        import_file(self, options, partial(master_import, kind=options["kind"]))
