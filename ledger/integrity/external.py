"""Checkpoint files outside the database: what each checkpoint saw, signed and chained.

events_checkpoint writes one file per checkpoint into settings.EVENTS_CHECKPOINT_DIR
(storage the database host cannot rewrite); events_verify compares the database with the
newest file (verify.py). A file is JSON lines:

    {"format": …, "sequence": n, "previous": <SHA-256 of file n-1>, "checkpoint": {…},
     "counters": {year: last}, "newest_event": id, "first_keyed_event": id, "issues": count, …}
    [issue_id, number, sealed seq, sealed digest]      one line per issue, in issue_id order
    {"heads": <SHA-256 of the issue lines>, "mac": <HMAC of header and heads>}

Someone holding the database without the key can neither forge a file nor make the database
agree with one after erasing what it names. docs/operations.md ("Integrity") for operators.
"""

import datetime
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Max, Min
from django.utils import timezone

from ledger import events
from ledger.models import IssueEvent, LedgerCounter, User

from .messages import _, bilingual
from .models import Checkpoint, IssueHead

FORMAT = "zhongzhan-checkpoint/1"
NAME = re.compile(r"^checkpoint-(\d{6,})\.jsonl$")


class FileDamaged(Exception):
    """A checkpoint file that cannot be read, is cut short or whose signature fails."""


def directory() -> Path | None:
    configured = getattr(settings, "EVENTS_CHECKPOINT_DIR", "")
    return Path(configured) if configured else None


def _line(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def files_in(folder: Path) -> list[Path]:
    """The checkpoint files of `folder`, oldest first (by their sequence number)."""
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), path) for path in folder.iterdir() if (m := NAME.match(path.name))]
    return [path for _n, path in sorted(found)]


def file_digest(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


@dataclass
class CheckpointFile:
    path: Path
    header: dict
    sha256: str  # of the whole file: the next file's "previous"

    @property
    def sequence(self) -> int:
        return self.header["sequence"]

    def heads(self):
        """(issue_id, number, seq, digest) of every issue the checkpoint saw, by issue_id."""
        with open(self.path, encoding="utf-8") as handle:
            next(handle)
            for line in handle:
                value = json.loads(line)
                if isinstance(value, dict):
                    return
                yield tuple(value)


def file_read(path: Path) -> CheckpointFile:
    """Read and check one file in a single pass (constant memory): the header, every issue
    line, the closing line's digest of the issue lines and the HMAC over both."""
    whole, heads = hashlib.sha256(), hashlib.sha256()
    header = trailer = None
    try:
        with open(path, "rb") as handle:
            for raw in handle:
                whole.update(raw)
                if trailer is not None:
                    raise FileDamaged("text after the closing line")
                value = json.loads(raw)
                if header is None:
                    if not isinstance(value, dict) or value.get("format") != FORMAT:
                        raise FileDamaged("not a checkpoint file")
                    header = value
                elif isinstance(value, dict):
                    trailer = value
                elif isinstance(value, list) and len(value) == 4:
                    heads.update(raw)
                else:
                    raise FileDamaged("a malformed issue line")
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise FileDamaged(str(error)) from error
    if header is None or trailer is None:
        raise FileDamaged("cut short")
    signed = {"header": header, "heads": heads.hexdigest()}
    if trailer.get("heads") != signed["heads"] or not events.signature_ok(
        str(header.get("key_id", "")), signed, str(trailer.get("mac", ""))
    ):
        raise FileDamaged("signature")
    return CheckpointFile(path=path, header=header, sha256=whole.hexdigest())


def file_write(checkpoint: Checkpoint, folder: Path, *, restored: dict | None = None) -> Path:
    """Write the next file of `folder` for `checkpoint` (just sealed): the sealed heads, the
    ledger counters, the newest and the first keyed event; chained to the newest file there.
    Written to a temporary name and renamed, so a reader never sees half a file."""
    folder.mkdir(parents=True, exist_ok=True)
    existing = files_in(folder)
    previous = existing[-1] if existing else None
    sequence = int(NAME.match(previous.name).group(1)) + 1 if previous else 1
    numbers = IssueEvent.objects.aggregate(newest=Max("id"))
    keyed = IssueEvent.objects.exclude(key_id="").aggregate(first=Min("id"))
    heads = IssueHead.objects.filter(sealed_seq__isnull=False).order_by("issue_id")
    header = {
        "format": FORMAT,
        "sequence": sequence,
        "previous": file_digest(previous) if previous else "",
        "written_at": events.plain(timezone.now()),
        "key_id": settings.EVENTS_KEY_ID,
        "checkpoint": {
            "number": checkpoint.number,
            "created_at": events.plain(checkpoint.created_at),
            "root": checkpoint.root,
            "issues": checkpoint.issues,
            "events": checkpoint.events,
            "mac": checkpoint.mac,
        },
        "counters": {
            str(year): last
            for year, last in LedgerCounter.objects.order_by("year").values_list("year", "last")
        },
        "newest_event": numbers["newest"],
        "first_keyed_event": keyed["first"],
        "issues": heads.count(),
        "restored": restored,
    }
    target = folder / f"checkpoint-{sequence:06d}.jsonl"
    digest = hashlib.sha256()
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115  renamed below, or removed
        "wb", dir=folder, prefix=".checkpoint-", suffix=".tmp", delete=False
    )
    try:
        with handle:
            handle.write(_line(header) + b"\n")
            for row in heads.values_list(
                "issue_id", "number", "sealed_seq", "sealed_digest"
            ).iterator(chunk_size=5000):
                line = _line(list(row)) + b"\n"
                digest.update(line)
                handle.write(line)
            signed = {"header": header, "heads": digest.hexdigest()}
            mac = events.sign(settings.EVENTS_KEY_ID, signed)
            handle.write(_line({"heads": signed["heads"], "mac": mac}) + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists():  # another run got there first: never overwrite a file
            raise FileExistsError(target)
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return target


def mail_recipients() -> list[str]:
    """EVENTS_CHECKPOINT_MAIL_TO, or else the oversight office's active accounts."""
    configured = list(getattr(settings, "EVENTS_CHECKPOINT_MAIL_TO", []) or [])
    if configured:
        return configured
    return sorted(
        set(
            User.objects.filter(is_active=True, role=User.Role.SUPERVISOR)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def mail_digest(path: Path, checkpoint: Checkpoint) -> list[str]:
    """Mail the file's SHA-256 to the oversight office: a copy the database host cannot
    reach, to compare with the files later (docs/operations.md)."""
    recipients = mail_recipients()
    if not recipients:
        return []
    kept = file_read(path)
    at = timezone.localtime(checkpoint.created_at).isoformat(timespec="seconds")
    subject = _("中站问题台账检查点 #%(n)d") % {"n": checkpoint.number}
    body = "\n".join(
        bilingual(line)
        for line in [
            _("检查点 #%(n)d，%(at)s：%(issues)d 个问题、%(events)d 条办理记录。")
            % {
                "n": checkpoint.number,
                "at": at,
                "issues": checkpoint.issues,
                "events": checkpoint.events,
            },
            _("检查点文件：%(name)s（第 %(seq)d 个）") % {"name": path.name, "seq": kept.sequence},
            _("文件 SHA-256：%(sha)s") % {"sha": kept.sha256},
            _("根校验值：%(root)s") % {"root": checkpoint.root},
            _("请保存本邮件；核对时与检查点目录中同名文件的 SHA-256 比较（sha256sum）。"),
        ]
    )
    send_mail(bilingual(subject), body + "\n", settings.DEFAULT_FROM_EMAIL, recipients)
    return recipients


def age_limit() -> datetime.timedelta:
    """History older than this with no checkpoint is a finding."""
    return datetime.timedelta(hours=getattr(settings, "EVENTS_CHECKPOINT_MAX_AGE_HOURS", 24))
