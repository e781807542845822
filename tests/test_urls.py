"""The URL map: an issue's number is an <issue_number:…>, so every URL reaches its own view
whatever the order of the patterns, and a number the app never stores is the site's 404."""

import re
import sys
import types

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, path, resolve, reverse
from django.urls.exceptions import Resolver404
from django.utils import timezone

from ledger.converters import IssueNumberConverter
from ledger.exchange.importing import _Reader
from ledger.models import LedgerCounter
from ledger.services import ledger_number_next
from tests import factories as f
from zhongzhan import urls as project_urls

# -- every number the app can store resolves; nothing else does -------------------------------


def _numbers_written(db_year_seqs) -> list[str]:
    """Numbers as services.ledger_number_next writes them (raising, the import's new rows)."""
    numbers = []
    with transaction.atomic():
        for year, last in db_year_seqs:
            LedgerCounter.objects.update_or_create(year=year, defaults={"last": last})
            numbers.append(ledger_number_next(year)[1])
    return numbers


# the sheet's own numbers the import keeps (after its NFKC and upper-casing): six digits of
# sequence at most, leading zeros kept, any Unicode decimal digit (its regex's \d)
KEPT_BY_THE_IMPORT = [
    "ZZ-2026-0001",
    "ZZ-2026-0000",
    "ZZ-2026-00042",
    "ZZ-2026-000042",
    "ZZ-2026-999999",
    "ZZ-1990-0001",
]


def _the_import_keeps(number: str) -> bool:
    reader = _Reader(
        None,
        None,
        user=types.SimpleNamespace(department=None, department_id=None),
        now=timezone.now(),
        overrides=None,
    )
    return bool(reader.ours.match(number))


@pytest.mark.django_db
def test_every_number_the_app_writes_resolves_to_the_issue_page():
    written = _numbers_written(
        [(2026, 0), (2026, 41), (2032, 9998), (2032, 9999), (2032, 999999), (1, 0), (999, 0)]
    )
    assert written == [
        "ZZ-2026-0001",
        "ZZ-2026-0042",
        "ZZ-2032-9999",
        "ZZ-2032-10000",
        "ZZ-2032-1000000",
        "ZZ-1-0001",
        "ZZ-999-0001",
    ]
    for number in written:
        match = resolve(f"/issues/{number}/")
        assert (match.view_name, match.kwargs) == ("issue_detail", {"number": number})
        assert reverse("issue_detail", args=[number]) == f"/issues/{number}/"


@pytest.mark.django_db
def test_every_number_the_import_keeps_resolves_to_the_issue_page():
    for number in KEPT_BY_THE_IMPORT:
        assert _the_import_keeps(number), number
        for suffix, view in [("", "issue_detail"), ("edit/", "issue_edit")]:
            match = resolve(f"/issues/{number}/{suffix}")
            assert (match.view_name, match.kwargs) == (view, {"number": number})
        match = resolve(f"/feedback/issues/{number}/link/")
        assert (match.view_name, match.kwargs) == ("feedback:link_create", {"number": number})


NOT_NUMBERS = [
    "new",
    "print",
    "batch",
    "import",
    "export.xlsx",
    "ZZ-2026-001",  # three digits: never written
    "ZZ-12026-0001",  # a five-digit year
    "ZZ-2026-0001x",
    "ZZ-2026-",
    "ZZ--0001",
    "<script>",
    "ZZ-\u0662\u0660\u0662\u0666-0001",  # digits of another script
    "中站-2026-0001",
]


@pytest.mark.django_db
@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_what_the_app_never_stores_is_not_a_number(text):
    assert not _the_import_keeps(text)
    assert not re.fullmatch(IssueNumberConverter.regex, text)


@pytest.mark.django_db
def test_an_issue_under_an_earlier_prefix_stays_reachable(client, settings):
    """A district that changes LEDGER_NUMBER_PREFIX keeps its older issues' numbers."""
    issue = f.IssueFactory()
    old_number = issue.number
    settings.LEDGER = {**settings.LEDGER, "NUMBER_PREFIX": "ZS"}
    assert IssueNumberConverter().to_python(old_number) == old_number
    client.force_login(f.SupervisorFactory())
    assert client.get(reverse("issue_detail", args=[old_number])).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/issues/ZZ-1999-9999/",  # well formed, no such issue
        "/issues/ZZ-1999-9999/edit/",
        "/issues/ZZ-1999-9999/act/comment/",
        "/issues/ZZ-1999-9999/notice/assign/",
        "/issues/ZZ-\u0661\u0669\u0669\u0669-\u0669\u0669\u0669\u0669/",
        "/issues/ZZ-2026-001/",  # malformed
        "/issues/ZZ-2026-0001x/",
        "/issues/zz-2026-0001/",
        "/issues/ZS-2026-0001/",
        "/issues/%3Cscript%3E/",
        "/issues/%00/",
        "/issues/ZZ-2026-0001%2F..%2F/",
        "/feedback/issues/nonsense/link/",
    ],
)
def test_unknown_or_malformed_numbers_get_the_sites_404(client, world, path):
    client.force_login(world.supervisor)
    response = client.get(path)
    assert response.status_code == 404
    assert 'data-testid="error-404"' in response.content.decode()


# -- the order of the patterns does not matter ---------------------------------------------

SAMPLES = {"int": "7", "str": "sample", "issue_number": "ZZ-2026-0007", "path": "a/b"}
PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?\w+>")


def _leaves(patterns, namespace="", prefix=""):
    """(view name, sample path) of every named pattern outside Django's admin."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if str(entry.pattern).startswith(("admin/", "i18n/")):
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _leaves(entry.url_patterns, inner, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            route = PARAMETER.sub(lambda m: SAMPLES[m["converter"] or "str"], str(entry.pattern))
            yield f"{namespace}{entry.name}", "/" + prefix + route


def _reversed(patterns):
    """The same URL map with every list of patterns in the opposite order, all the way down
    (but for the one room whose order is its own business, below)."""
    flipped = []
    for entry in reversed(patterns):
        if isinstance(entry, URLResolver) and entry.namespace not in ("admin", *ORDER_KEPT):
            module = types.ModuleType(f"reversed_{id(entry)}")
            module.urlpatterns = _reversed(entry.url_patterns)
            flipped.append(path(str(entry.pattern), (module, entry.app_name, entry.namespace)))
        else:
            flipped.append(entry)
    return flipped


# the feedback room's public page takes any token (a signed value the view checks), so inside
# that room /feedback/dissatisfied/ stays before /feedback/<token>/; the room itself moves.
# The API room ends /api/v1/ with its own problem+json 404 for any other path under it, which
# must stay last inside the room (it matches nothing outside /api/v1/)
ORDER_KEPT = {"feedback", "api"}


def test_every_url_reaches_its_own_view_in_either_order(monkeypatch):
    leaves = list(_leaves(get_resolver().url_patterns))
    assert len(leaves) > 60
    flipped = types.ModuleType("tests_urls_reversed")
    flipped.urlpatterns = _reversed(project_urls.urlpatterns)
    monkeypatch.setitem(sys.modules, flipped.__name__, flipped)
    for name, sample in leaves:
        assert resolve(sample).view_name == name, sample
        try:
            found = resolve(sample, urlconf=flipped.__name__).view_name
        except Resolver404:
            found = None
        assert found == name, (sample, found)


def test_the_fixed_issue_paths_are_never_read_as_numbers():
    for sample, name in [
        ("/issues/new/", "issue_create"),
        ("/issues/new/duplicates/", "issue_duplicates"),
        ("/issues/print/", "issue_print"),
        ("/issues/batch/", "issue_batch"),
        ("/issues/batch/result/", "issue_batch_result"),
        ("/issues/import/", "exchange:issue_import"),
        ("/issues/export.xlsx", "exchange:issue_export"),
    ]:
        assert resolve(sample).view_name == name
