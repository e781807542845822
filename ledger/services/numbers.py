"""Ledger numbers (ZZ-2026-0042): handed out once each, in order, per year."""

from django.conf import settings
from django.db import transaction
from django.db.models import Max

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
