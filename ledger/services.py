"""Every write other than an issue's workflow: named <thing>_<verb>, keyword-only arguments.

Issue changes go through workflow.py; this module holds the shared helpers it
uses (ledger numbers, attachment checks) and the directory writes.
"""

from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from ledger.models import Issue, LedgerCounter


def ledger_number_next(year: int) -> tuple[int, str]:
    """Allocate the next ledger number of `year`: (seq, "ZZ-2026-0042").

    The counter row is locked for the rest of the caller's transaction, so two
    people logging at once get different numbers; a number that reached an issue
    is never handed out again (issues are never deleted).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger_number_next() must run inside transaction.atomic()")
    if not LedgerCounter.objects.filter(year=year).exists():
        # a year's first number; if the row was lost (restored backup, imported issues),
        # start after the highest number already used so a number is never handed out twice
        used = Issue.objects.filter(year=year).aggregate(last=Max("seq"))["last"] or 0
        LedgerCounter.objects.bulk_create(
            [LedgerCounter(year=year, last=used)], ignore_conflicts=True
        )
    counter = LedgerCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    prefix = settings.LEDGER["NUMBER_PREFIX"]
    return counter.last, f"{prefix}-{year}-{counter.last:04d}"


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
            _("文件“%(name)s”过大（%(size)s），上限为 %(max)s。"),
            params={
                "name": file.name,
                "size": filesizeformat(file.size),
                "max": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
            },
            code="attachment_size",
        )
    if file.size == 0:
        raise ValidationError(
            _("文件“%(name)s”是空文件。"), params={"name": file.name}, code="attachment_empty"
        )
