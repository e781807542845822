"""A real backup restored over a ledger that moved on: the checkpoint files (kept apart from
the backups) show the restored database as behind them, and `events_checkpoint
--after-restore` seals it again so that `events_verify` passes — on SQLite and PostgreSQL."""

import io
import json
import shutil
import sqlite3
import subprocess

import pytest
from django.core.management import call_command
from django.db import connection

from ledger.models import Issue
from tests.integrity.conftest import checkpoint, findings, verify


def backup(tmp_path):
    call_command("backup", output=str(tmp_path / "backups"), stdout=io.StringIO())
    (folder,) = (tmp_path / "backups").iterdir()
    return folder


def restore(folder) -> None:
    """The database of `folder` restored over the live one, as docs/operations.md says."""
    manifest = json.loads((folder / "manifest.json").read_text())
    dump = folder / manifest["database"]["file"]
    if connection.vendor == "sqlite":
        source = sqlite3.connect(dump)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
        return
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
            str(dump),
        ],
        check=True,
        capture_output=True,
    )


@pytest.mark.django_db(transaction=True)
def test_a_restored_older_backup_is_behind_the_files_until_sealed_after_the_restore(
    world, tmp_path
):
    world.resolved_issue()
    checkpoint()
    folder = backup(tmp_path)
    lost = world.assigned_issue()  # written after the backup: the restore loses it
    checkpoint()
    verify()
    restore(folder)
    assert not Issue.objects.filter(pk=lost.pk).exists()
    err = findings()
    assert "checkpoint-000002.jsonl 记载的检查点 #2 在数据库中缺失" in err
    assert f"{lost.number}：检查点文件 checkpoint-000002.jsonl 记载的问题" in err
    assert "--after-restore" not in err  # events_verify reports; the checkpoint explains
    assert "检查点 #2" in checkpoint("--after-restore")
    out = verify()
    assert out.startswith("OK") and "checkpoint-000003.jsonl" in out
