"""The `<issue_number:…>` path converter: a URL segment is a ledger number only if it reads
as one (ZZ-2026-0042), so /issues/new/, /issues/print/ … never reach an issue's view, whatever
order the URL patterns are listed in."""

from django.urls import register_converter

# Every number the app can store (tests/test_urls.py walks them):
# - services.ledger_number_next (raising, the import's new rows, the bench generator) writes
#   f"{prefix}-{year}-{seq:04d}": the raise year unpadded (a sheet may date a row in any year
#   a date can hold, so 1 to 4 digits) and a sequence of four digits that grows past 9999;
# - the import keeps a sheet's own number when it reads prefix-YYYY-NNNN…NNNNNN (exchange/
#   importing.py `ours`, after NFKC and upper-casing): up to six digits, leading zeros kept.
# The prefix is a setting (LEDGER_NUMBER_PREFIX); a district that changes it keeps its older
# issues under the old prefix, so any prefix of letters and digits has the number's shape and
# the lookup decides whether such an issue exists (404 if not).
NUMBER = r"[A-Za-z0-9]+-[0-9]{1,4}-[0-9]{4,}"


class IssueNumberConverter:
    regex = NUMBER

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return str(value)


register_converter(IssueNumberConverter, "issue_number")
