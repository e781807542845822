"""Ledger numbers: ZZ-<year>-<seq>, consecutive within a year, unique, never handed out twice."""

import datetime
import re
import zoneinfo

import pytest
from django.db import IntegrityError, transaction
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from ledger import workflow
from ledger.models import Issue, LedgerCounter
from ledger.services import ledger_number_next
from ledger.workflow import TransitionRefused
from tests import factories as f

NUMBER = re.compile(r"^ZZ-(\d{4})-(\d{4,})$")
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def local(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SHANGHAI)


def test_numbers_read_zz_year_and_four_digits_in_order(world):
    year = timezone.localdate().year
    issues = [world.raise_issue(title=f"问题{n}") for n in range(3)]
    assert [i.number for i in issues] == [f"ZZ-{year}-0001", f"ZZ-{year}-0002", f"ZZ-{year}-0003"]
    for n, issue in enumerate(issues, start=1):
        match = NUMBER.match(issue.number)
        assert match
        assert (int(match[1]), int(match[2])) == (issue.year, issue.seq) == (year, n)


def test_the_year_is_the_local_year_of_raising(world):
    # 2030-12-31 16:30 UTC is already 2031-01-01 in 焦作
    new_year = datetime.datetime(2030, 12, 31, 16, 30, tzinfo=datetime.UTC)
    old_year = datetime.datetime(2030, 12, 31, 15, 59, tzinfo=datetime.UTC)
    assert world.raise_issue(at=old_year).number == "ZZ-2030-0001"
    assert world.raise_issue(at=new_year).number == "ZZ-2031-0001"


def test_numbers_restart_at_one_in_a_new_year_and_each_year_keeps_counting(world):
    numbers = [
        world.raise_issue(at=local(2030, 3, 1, 9)).number,
        world.raise_issue(at=local(2030, 12, 31, 23, 59)).number,
        world.raise_issue(at=local(2031, 1, 1, 0, 1)).number,
        world.raise_issue(at=local(2031, 1, 2, 9)).number,
        # an issue logged late for the previous year continues that year's series
        world.raise_issue(at=local(2030, 12, 30, 9)).number,
    ]
    assert numbers == [
        "ZZ-2030-0001",
        "ZZ-2030-0002",
        "ZZ-2031-0001",
        "ZZ-2031-0002",
        "ZZ-2030-0003",
    ]
    assert dict(LedgerCounter.objects.values_list("year", "last")) == {2030: 3, 2031: 2}


def test_numbers_grow_past_9999_to_five_digits(world):
    LedgerCounter.objects.create(year=2032, last=9998)
    at = local(2032, 6, 1, 9)
    numbers = [world.raise_issue(at=at, title=f"问题{n}").number for n in range(3)]
    assert numbers == ["ZZ-2032-9999", "ZZ-2032-10000", "ZZ-2032-10001"]
    assert all(NUMBER.match(n) for n in numbers)
    # the ledger sorts by the number's value, not its text
    assert list(Issue.objects.filter(year=2032).values_list("number", flat=True)) == [
        "ZZ-2032-10001",
        "ZZ-2032-10000",
        "ZZ-2032-9999",
    ]


def test_the_prefix_is_a_setting(world, settings):
    settings.LEDGER = {**settings.LEDGER, "NUMBER_PREFIX": "ZS"}
    assert world.raise_issue(at=local(2030, 5, 1, 9)).number == "ZS-2030-0001"


def test_a_refused_raise_uses_no_number(world):
    first = world.raise_issue()
    with pytest.raises(TransitionRefused):
        world.raise_issue(title="  ")
    with pytest.raises(TransitionRefused):
        world.raise_issue(actor=world.leader.user)
    second = world.raise_issue()
    assert second.seq == first.seq + 1


def test_a_raise_that_fails_after_taking_a_number_gives_it_back_whole(world, monkeypatch):
    """The number is taken inside the raise's transaction: a failure leaves no gap."""
    first = world.raise_issue()

    def broken(*args, **kwargs):
        raise RuntimeError("storage failed")

    monkeypatch.setattr(workflow.core, "_event_write", broken)
    with pytest.raises(RuntimeError):
        world.raise_issue()
    monkeypatch.undo()
    assert Issue.objects.count() == 1
    assert world.raise_issue().seq == first.seq + 1


def test_numbers_are_never_reused(world):
    issues = [world.raise_issue(title=f"问题{n}") for n in range(3)]
    # an issue is never deleted (its events protect it), so its number stays taken
    with pytest.raises(ProtectedError):
        Issue.objects.get(pk=issues[-1].pk).delete()
    workflow.transition(issues[-1], actor=world.supervisor, action="withdraw", note="重复登记。")
    # withdrawn issues keep their number; the next issue gets a new one
    later = world.raise_issue()
    assert later.seq == 4
    assert len({i.number for i in Issue.objects.all()}) == 4


def test_a_lost_counter_row_restarts_after_the_highest_number_used(world):
    for n in range(3):
        world.raise_issue(title=f"问题{n}")
    LedgerCounter.objects.all().delete()  # e.g. a partial restore, or issues imported in bulk
    later = world.raise_issue()
    assert later.seq == 4
    assert LedgerCounter.objects.get(year=later.year).last == 4


def test_the_database_refuses_a_duplicate_number(world):
    taken = world.raise_issue()
    with pytest.raises(IntegrityError), transaction.atomic():
        f.IssueFactory(number=taken.number, year=2099, seq=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        f.IssueFactory(number="ZZ-2099-9999", year=taken.year, seq=taken.seq)
    assert Issue.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_number_is_only_taken_inside_a_transaction():
    with pytest.raises(RuntimeError):
        ledger_number_next(2030)
    with transaction.atomic():
        assert ledger_number_next(2030) == (1, "ZZ-2030-0001")
        assert ledger_number_next(2030) == (2, "ZZ-2030-0002")
