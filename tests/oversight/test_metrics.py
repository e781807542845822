"""Assessment metrics on hand-built data: every expected value is worked out below."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ledger.oversight.periods import month_period
from ledger.oversight.selectors.metrics import (
    DEPARTMENT,
    LEADER,
    Rate,
    assessment,
    assessment_by_query,
)

from .conftest import March

MARCH = month_period(2026, 3)
APRIL = month_period(2026, 4)


def row_of(table, unit):
    return next(row for row in table.rows if row.unit.pk == unit.pk)


def test_rate_without_base_is_a_dash_not_a_division_by_zero():
    assert str(Rate(0, 0)) == "—" and Rate(0, 0).value is None
    assert str(Rate(1, 3)) == "33.3%"
    assert str(Rate(2, 3)) == "66.7%"


def test_department_rates_worked_out_by_hand(march):
    table = assessment(march.w.supervisor, MARCH, kind=DEPARTMENT, today=March.TODAY)
    b = row_of(table, march.w.dept_b)
    # due in March by the deadline in force: I1 (03-20), I3 (03-05), I4 (03-27 after the
    # reopening), I5 (03-13), I7 (03-25), I8 (03-31). Not I2 (extended to 04-10),
    # not I6 (withdrawn), not I9 (04-01).
    assert b.due == 6
    assert b.done == 3  # I1 closed, I3 closed, I4 resolved again
    assert str(b.rates["done"]) == "50.0%"  # 3 / 6
    assert b.on_time == 2  # I1, I4 (its second resolution); I3 was late
    assert str(b.rates["on_time"]) == "33.3%"  # 2 / 6
    # accepted within 1 working day: I1 (03-02 → 03-03), I3 (03-02 → 03-03),
    # I4 (same day), I7 (re-assigned 03-04, accepted 03-04); not I5 (03-12),
    # not I8 (04-01 local time, though 03-31 in UTC)
    assert b.accepted == 4
    assert str(b.rates["accepted"]) == "66.7%"  # 4 / 6
    # dept_b returned nothing; I7 was returned by dept_c
    assert (b.returned, b.assigned) == (0, 6)
    assert str(b.rates["returned"]) == "0.0%"
    # reopened / ever resolved: I4 / (I1, I3, I4)
    assert (b.reopened, b.resolved_ever) == (1, 3)
    assert str(b.rates["reopened"]) == "33.3%"
    # called back (closed with a rating) / resolved: I1, I3 / I1, I3, I4
    assert str(b.rates["callback"]) == "66.7%"
    # (满意 + 基本满意) / rated: I1, I3 / I1, I3 (I4's 不满意 was cleared by the reopening)
    assert str(b.rates["satisfied"]) == "100.0%"
    # working days from assignment to resolution: I1 03-02→03-18 = 12, I3 03-02→03-09 = 5,
    # I4 03-02→03-26 = 18; (12 + 5 + 18) / 3 = 11.67
    assert b.avg_days == Decimal("11.7")
    # still open past the deadline: I5, I7, I8 (I2's deadline is today, not yet late)
    assert b.late_open == 3 and b.overdue_now == 3
    assert b.escalated == 1  # I5
    # score: 25×3/6 + 25×2/6 + 10×4/6 + 5×(1−0) + 10×(1−1/3) + 10×2/3 + 15×1 = 60.83,
    # less 3 overdue × 2 and 1 escalated × 3 = 51.83
    assert b.score == Decimal("51.8")
    assert b.rank == 1
    assert table.red_board == [b] and table.black_board == []


def test_a_unit_with_nothing_due_shows_dashes_and_is_not_ranked(march):
    table = assessment(march.w.supervisor, MARCH, kind=DEPARTMENT, today=March.TODAY)
    c = row_of(table, march.w.dept_c)
    # dept_c returned I7 and leads nothing: 退回率 1 / (0 due + 1 returned away) = 100 %
    assert (c.due, c.returned, c.assigned) == (0, 1, 1)
    assert str(c.rates["returned"]) == "100.0%"
    for key in ("done", "on_time", "accepted", "reopened", "callback", "satisfied"):
        assert str(c.rates[key]) == "—", key
    assert c.score is None and c.rank is None and c.avg_days is None
    a = row_of(table, march.w.dept_a)
    assert a.due == 0 and all(str(r) == "—" for r in a.rates.values())
    # ranked units first, then the others
    assert table.rows[0].unit == march.w.dept_b
    # the oversight office is not assessed
    assert march.w.oversight.pk not in [row.unit.pk for row in table.rows]


def test_leader_rates_count_the_return_of_an_issue_still_theirs(march):
    table = assessment(march.w.supervisor, MARCH, kind=LEADER, today=March.TODAY)
    leader = row_of(table, march.w.leader)
    assert leader.due == 6 and leader.done == 3 and leader.on_time == 2
    # I7 was returned and is still the leader's (re-assigned): 1 / 6
    assert (leader.returned, leader.assigned) == (1, 6)
    assert str(leader.rates["returned"]) == "16.7%"
    # 60.83 − 5×1/6 = 60.0, less 9 = 51.0
    assert leader.score == Decimal("51.0")
    other = row_of(table, march.w.other_leader)
    assert other.due == 0 and other.score is None


def test_extension_moves_an_issue_into_the_period_of_its_new_deadline(march):
    table = assessment(march.w.supervisor, APRIL, kind=DEPARTMENT, today=March.TODAY)
    b = row_of(table, march.w.dept_b)
    # I2 (extended to 04-10, open, not yet late today) and I9 (04-01, resolved on time)
    assert (b.due, b.done, b.on_time, b.late_open) == (2, 1, 1, 0)
    # I2 accepted 03-05 after assignment 03-02: late; I9 same day: timely
    assert b.accepted == 1


def test_withdrawn_issue_never_counts(march):
    from ledger.models import Issue

    assert Issue.objects.get(pk=march.i6.pk).status == "withdrawn"
    for period in (MARCH, APRIL):
        table = assessment(march.w.supervisor, period, kind=DEPARTMENT, today=March.TODAY)
        assert sum(row.due for row in table.rows) == (6 if period is MARCH else 2)


@pytest.mark.parametrize("extra", [0, 12])
def test_assessment_queries_do_not_grow_with_issues_or_units(march, extra):
    from tests import factories as f

    for n in range(extra):
        f.DepartmentFactory(name=f"新增单位{n}")
        march.w.in_progress_issue(deadline_days=1)
    assessment(march.w.supervisor, MARCH, today=March.TODAY)  # warm the calendar cache
    with CaptureQueriesContext(connection) as queries:
        assessment(march.w.supervisor, MARCH, kind=DEPARTMENT, today=March.TODAY)
        assessment(march.w.supervisor, MARCH, kind=LEADER, today=March.TODAY)
    # from the day facts (issue 19), three each: the period's sums, overdue now, the units
    assert len(queries) == 6
    with CaptureQueriesContext(connection) as queries:
        assessment_by_query(march.w.supervisor, MARCH, kind=DEPARTMENT, today=March.TODAY)
        assessment_by_query(march.w.supervisor, MARCH, kind=LEADER, today=March.TODAY)
    # the reference path, seven each: counts, returns, overdue, units, and the timings as
    # three day histograms (acceptance pairs, assignment days, resolution days; issue 11)
    assert len(queries) == 14
