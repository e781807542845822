"""backup: a consistent copy of the database and the uploaded files, in one folder.

SQLite: the online backup API (sqlite3.Connection.backup) copies the database page by
page under a read lock, so the copy is consistent even while the server writes; a plain
`cp` of a live database file can catch it half-written. The files under MEDIA_ROOT go
into media.tar.gz next to it, and manifest.json records what was copied (row counts of
issues and events, the SHA-256 of both files) so a restore can be checked.

PostgreSQL: pg_dump in its custom format (restore with pg_restore, docs/operations.md),
when pg_dump is on the PATH; otherwise the command says how to take the dump.

Take the database first and the files second: an attachment uploaded in between is a
file without a row (harmless), never a row without its file.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from ledger.models import Issue, IssueEvent


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def sqlite_backup(target: Path) -> None:
    """Copy the default SQLite database into `target` with the online backup API."""
    connection.ensure_connection()
    destination = sqlite3.connect(target)
    try:
        with destination:
            connection.connection.backup(destination)
    finally:
        destination.close()


def postgresql_backup(target: Path) -> None:
    """pg_dump -Fc of the default database into `target`."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise CommandError(
            "PostgreSQL 数据库请用 pg_dump 备份（本机未找到 pg_dump）："
            "pg_dump --format=custom --file=zhongzhan.dump <数据库名>，见 docs/operations.md。"
            " / On PostgreSQL back up with pg_dump (not found on this machine):"
            " pg_dump --format=custom --file=zhongzhan.dump <dbname>; see docs/operations.md."
        )
    db = settings.DATABASES["default"]
    command = [pg_dump, "--format=custom", "--no-owner", f"--file={target}"]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            command.append(f"{option}={db[key]}")
    command.append(db["NAME"])
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise CommandError(f"pg_dump failed ({result.returncode}): {result.stderr.strip()}")


def media_archive(target: Path) -> int:
    """MEDIA_ROOT as a gzipped tar (paths relative to MEDIA_ROOT); returns the file count."""
    root = Path(settings.MEDIA_ROOT)
    count = 0
    with tarfile.open(target, "w:gz") as archive:
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    archive.add(path, arcname=str(path.relative_to(root)), recursive=False)
                    count += 1
    return count


class Command(BaseCommand):
    help = (
        "备份数据库（SQLite 在线备份或 pg_dump）和上传的附件。"
        " / Back up the database (SQLite online backup, or pg_dump) and the uploaded files."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            default=str(settings.BASE_DIR / "backups"),
            help="备份目录（每次新建一个带时间的子目录） / folder for the backups (one"
            " timestamped subfolder per run); default: backups/",
        )

    def handle(self, *args, output, **options):
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        folder = Path(output) / f"zhongzhan-{stamp}"
        try:
            folder.mkdir(parents=True, exist_ok=False)
        except OSError as error:
            raise CommandError(f"cannot create {folder}: {error.strerror}") from error
        counts = {"issues": Issue.objects.count(), "events": IssueEvent.objects.count()}
        vendor = connection.vendor
        if vendor == "sqlite":
            database = folder / "db.sqlite3"
            sqlite_backup(database)
        elif vendor == "postgresql":
            database = folder / "db.dump"
            postgresql_backup(database)
        else:
            raise CommandError(f"no backup method for the {vendor} database")
        media = folder / "media.tar.gz"
        files = media_archive(media)
        manifest = {
            "created_at": timezone.now().isoformat(timespec="seconds"),
            "database": {"vendor": vendor, "file": database.name, "sha256": _sha256(database)},
            "media": {"file": media.name, "files": files, "sha256": _sha256(media)},
            "counts_at_start": counts,
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        self.stdout.write(
            self.style.SUCCESS(
                f"备份完成 / Backup written: {folder} "
                f"({counts['issues']} issues, {counts['events']} events, {files} files)"
            )
        )
