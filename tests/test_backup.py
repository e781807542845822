"""`manage.py backup`: a consistent copy of the database and the uploaded files that can be
restored, after which events_verify passes with every issue, event and file present.
"""

import hashlib
import json
import shutil
import sqlite3
import subprocess
import tarfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from ledger.models import Attachment, Issue, IssueEvent

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def _ledger_state():
    issues = list(Issue.objects.order_by("pk").values_list("number", "status", "version", "title"))
    events = list(IssueEvent.objects.order_by("pk").values_list("issue_id", "seq", "digest"))
    return issues, events


def _files(root) -> dict:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in root.rglob("*")
        if path.is_file()
    }


def _backup(tmp_path):
    call_command("backup", output=str(tmp_path / "backups"), stdout=open("/dev/null", "w"))  # noqa: SIM115
    (folder,) = (tmp_path / "backups").iterdir()
    return folder


@pytest.mark.django_db(transaction=True)
def test_a_restored_backup_holds_every_issue_event_and_file_and_verifies(world, tmp_path, settings):
    world.resolved_issue()
    world.raise_issue(
        title="附件测试",
        files=[SimpleUploadedFile("report.pdf", PDF, content_type="application/pdf")],
    )
    world.assigned_issue()
    media = settings.MEDIA_ROOT
    before = _ledger_state()
    files_before = _files(media)
    assert len(before[0]) == 3 and len(before[1]) == 7 and len(files_before) == 1

    folder = _backup(tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["counts_at_start"] == {"issues": 3, "events": len(before[1])}
    assert manifest["media"]["files"] == 1

    # the live data moves on and the files are lost …
    world.raise_issue(title="备份之后登记的问题")
    shutil.rmtree(media)
    assert _ledger_state() != before

    # … and are restored: the database through the same backup API, the files from the tar
    if connection.vendor == "sqlite":
        source = sqlite3.connect(folder / manifest["database"]["file"])
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    else:
        db = connection.settings_dict
        connection.close()
        subprocess.run(  # noqa: S603
            [
                shutil.which("pg_restore"),
                "--clean",
                "--no-owner",
                f"--host={db['HOST']}",
                f"--port={db['PORT']}",
                f"--username={db['USER']}",
                f"--dbname={db['NAME']}",
                str(folder / manifest["database"]["file"]),
            ],
            check=True,
            capture_output=True,
        )
    with tarfile.open(folder / "media.tar.gz") as archive:
        archive.extractall(media, filter="data")

    assert _ledger_state() == before
    assert _files(media) == files_before
    attachment = Attachment.objects.get()
    assert attachment.file.read() == PDF
    call_command("events_verify", stdout=open("/dev/null", "w"))  # noqa: SIM115  raises on failure


@pytest.mark.django_db(transaction=True)
def test_the_backup_is_a_consistent_sqlite_database_or_a_pg_dump(world, tmp_path):
    world.assigned_issue()
    folder = _backup(tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    database = folder / manifest["database"]["file"]
    assert hashlib.sha256(database.read_bytes()).hexdigest() == manifest["database"]["sha256"]
    if connection.vendor == "sqlite":
        copy = sqlite3.connect(database)
        try:
            assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert copy.execute("SELECT count(*) FROM ledger_issue").fetchone() == (1,)
        finally:
            copy.close()
    else:
        listing = subprocess.run(  # noqa: S603
            [shutil.which("pg_restore"), "--list", str(database)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        assert "TABLE DATA public ledger_issueevent" in listing
