"""The `<issue_number:…>` path converter: a URL segment is a ledger number only if it reads
as one (ZZ-2026-0042), so /issues/new/, /issues/print/ … never reach an issue's view."""

import re
from functools import lru_cache

from django.conf import settings
from django.urls import register_converter

# Every number the app can store (tests/test_url_converters.py walks them):
# - services.ledger_number_next (raising, the import's new rows, the bench generator) writes
#   f"{prefix}-{year}-{seq:04d}": the raise year unpadded (a sheet may date a row in any year
#   a date can hold, so 1 to 4 digits) and a sequence of four digits that grows past 9999;
# - the import keeps a sheet's own number when it reads prefix-YYYY-NNNN…NNNNNN (exchange/
#   importing.py `ours`, after NFKC and upper-casing): a sequence of up to six digits, leading
#   zeros kept. Its `\d` is any Unicode decimal digit, and so is this one.
NUMBER_BODY = r"\d{1,4}-\d{4,}"


@lru_cache
def _number(prefix: str) -> re.Pattern:
    return re.compile(rf"{re.escape(prefix)}-{NUMBER_BODY}")


class IssueNumberConverter:
    # The prefix is a setting (LEDGER["NUMBER_PREFIX"]) that tests and deployments change after
    # the URLconf is built, so the pattern only fixes the shape and to_python checks the
    # prefix in force: a number under another prefix is not found (404), like a missing one.
    regex = rf"[^/]+-{NUMBER_BODY}"

    def to_python(self, value: str) -> str:
        if not _number(settings.LEDGER["NUMBER_PREFIX"]).fullmatch(value):
            raise ValueError(value)
        return value

    def to_url(self, value: str) -> str:
        # no prefix check: a page naming an issue must render; reverse() still refuses a
        # value that does not have the number's shape (NoReverseMatch)
        return str(value)


register_converter(IssueNumberConverter, "issue_number")
