"""Checks of uploaded attachments: type, size, content, and how many per request and issue."""

from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from ledger import uploads


def size_precise(size: int, limit: int) -> str:
    """`size` as filesizeformat shows it, with more decimals while it would read as `limit`.

    21,000,000 bytes and a 20 MB limit both round to "20.0 MB"; the message must not say
    a file is too large and show the same number as the limit. Falls back to bytes.
    """
    shown = filesizeformat(size)
    if shown != filesizeformat(limit):
        return shown
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= factor:
            for places in (2, 3):
                text = f"{size / factor:.{places}f}\xa0{unit}"
                if text != f"{limit / factor:.{places}f}\xa0{unit}":
                    return text
            break
    return _("%(bytes)s 字节") % {"bytes": f"{size:,}"}


def attachment_validate(file) -> None:
    """Refuse files that are too large or of a type the ledger does not keep."""
    suffix = PurePath(file.name or "").suffix.lower().lstrip(".")
    allowed = settings.ATTACHMENT_ALLOWED_EXTENSIONS
    if suffix not in allowed:
        raise ValidationError(
            _("不支持的文件类型“%(suffix)s”。允许的类型：%(allowed)s。"),
            params={"suffix": suffix or "?", "allowed": ", ".join(allowed)},
            code="attachment_type",
        )
    if file.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("文件“%(name)s”过大（%(size)s），超过上限 %(max)s。"),
            params={
                "name": file.name,
                "size": size_precise(file.size, settings.ATTACHMENT_MAX_BYTES),
                "max": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
            },
            code="attachment_size",
        )
    if file.size == 0:
        raise ValidationError(
            _("文件“%(name)s”是空文件。"), params={"name": file.name}, code="attachment_empty"
        )
    if not uploads.content_matches(suffix, file):
        raise ValidationError(
            _("文件“%(name)s”的内容不是%(suffix)s文件，可能已损坏或被改了扩展名。"),
            params={"name": file.name, "suffix": suffix.upper()},
            code="attachment_content",
        )


def attachments_validate_batch(files, *, already: int = 0) -> None:
    """Refuse more files in one request, or more bytes together, than the settings allow;
    `already` is how many files the issue keeps, counted against the per-issue limit."""
    files = list(files)
    if not files:
        return
    most = settings.ATTACHMENT_MAX_FILES_PER_REQUEST
    if len(files) > most:
        raise ValidationError(
            _("一次最多上传 %(max)s 个文件，您选择了 %(count)s 个。"),
            params={"max": most, "count": len(files)},
            code="attachment_count",
        )
    total = sum(file.size or 0 for file in files)
    if total > settings.ATTACHMENT_MAX_REQUEST_BYTES:
        raise ValidationError(
            _("一次上传的文件合计 %(size)s，超过上限 %(max)s。请分几次上传。"),
            params={
                "size": size_precise(total, settings.ATTACHMENT_MAX_REQUEST_BYTES),
                "max": filesizeformat(settings.ATTACHMENT_MAX_REQUEST_BYTES),
            },
            code="attachment_total",
        )
    per_issue = settings.ATTACHMENT_MAX_FILES_PER_ISSUE
    if already + len(files) > per_issue:
        raise ValidationError(
            _("每个问题最多保存 %(max)s 个附件，已有 %(already)s 个，还可上传 %(left)s 个。"),
            params={"max": per_issue, "already": already, "left": max(per_issue - already, 0)},
            code="attachment_issue_count",
        )
