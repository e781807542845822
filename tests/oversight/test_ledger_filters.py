"""The ledger filters the oversight figures link to, on the hand-built March 2026."""

import datetime
from unittest import mock

import pytest
from django.http import QueryDict
from django.utils import timezone

from ledger.filters import IssueFilter
from ledger.selectors import ledger_queryset

TODAY = datetime.date(2026, 4, 10)


def titles(user, query: str) -> set[str]:
    filterset = IssueFilter(QueryDict(query), queryset=ledger_queryset(user))
    assert filterset.is_valid(), filterset.form.errors
    real = timezone.localdate

    def localdate(value=None, *args, **kwargs):  # "today" is TODAY; dates of moments stay
        return TODAY if value is None else real(value, *args, **kwargs)

    with mock.patch("django.utils.timezone.localdate", side_effect=localdate):
        return {title.split()[0] for title in filterset.qs.values_list("title", flat=True)}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("resolved_on_time=1", {"I1", "I4", "I9"}),
        ("resolved_on_time=0", {"I3"}),
        ("late=1", {"I3", "I5", "I7", "I8"}),
        ("late=0", {"I1", "I2", "I4", "I6", "I9"}),
        ("accepted_in_time=1", {"I1", "I3", "I4", "I7", "I9"}),
        # I6 was assigned and withdrawn before anyone accepted it
        ("accepted_in_time=0", {"I2", "I5", "I6", "I8"}),
        ("returned=1", {"I7"}),
        ("reopened=1", {"I4"}),
        ("satisfaction=satisfied&satisfaction=basically", {"I1", "I3"}),
        ("escalated_on_after=2026-03-20&escalated_on_before=2026-03-20", {"I5"}),
        ("escalated_on_after=2026-03-21", set()),
        ("resolved_after=2026-04-01&resolved_before=2026-04-01", {"I9"}),
        ("closed_after=2026-03-10&closed_before=2026-03-19", {"I1", "I3"}),
        ("assigned_after=2026-03-30&assigned_before=2026-03-31", {"I8", "I9"}),
    ],
)
def test_oversight_filters_select_exactly_these_issues(march, query, expected):
    assert titles(march.w.supervisor, query) == expected


def test_returned_by_names_the_department_that_returned(march):
    assert titles(march.w.supervisor, f"returned_by={march.w.dept_c.pk}") == {"I7"}
    assert titles(march.w.supervisor, f"returned_by={march.w.dept_b.pk}") == set()


def test_date_filters_use_shanghai_days(march):
    # I8 was accepted at 07:30 on 1 April in Shanghai (31 March in UTC); I2's assignment
    # at 10:00 on 2 March is 02:00 UTC the same day
    assert "I8" in titles(
        march.w.supervisor, "assigned_after=2026-03-30&assigned_before=2026-03-30"
    )
    assert titles(march.w.supervisor, "raised_after=2026-02-28") == set()
