"""Recompute the issues' derived search columns (PostgreSQL), e.g. after a bulk COPY with
the triggers disabled. See ledger/ledger_index.py."""

from django.core.management.base import BaseCommand
from django.db import connections, transaction

from ledger import ledger_index


class Command(BaseCommand):
    help = "重算问题的检索列（涉及单位、检索二元组），PostgreSQL 专用；用于批量导入之后。"

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")
        parser.add_argument("--batch", type=int, default=ledger_index.BATCH)

    def handle(self, *args, database, batch, **options):
        connection = connections[database]
        if connection.vendor != "postgresql":
            self.stdout.write("只有 PostgreSQL 需要重算检索列。 / Nothing to do on this database.")
            return
        with transaction.atomic(using=database):
            done = ledger_index.reindex(connection, batch=batch)
        self.stdout.write(f"已重算 {done} 个问题。 / {done} issues reindexed.")
