"""Fixtures of the oversight tests: a hand-built March 2026 for the assessment."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from ledger import workflow

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: str, clock: str = "10:00") -> datetime.datetime:
    """A moment in Asia/Shanghai local time: at("2026-03-02", "16:00")."""
    return datetime.datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=SHANGHAI)


def d(day: str) -> datetime.date:
    return datetime.date.fromisoformat(day)


class March:
    """Issues of 区住建局 (world.dept_b, leader world.leader) due around March 2026.

    Worked out by hand in tests/oversight/test_metrics.py; today is 2026-04-10.
    """

    TODAY = d("2026-04-10")

    def __init__(self, world):
        self.w = w = world
        sup, staff_b = w.supervisor, w.staff_b

        def assign(issue, when, deadline, lead=None):
            workflow.transition(
                issue,
                actor=sup,
                action="assign",
                at=at(*when) if isinstance(when, tuple) else at(when),
                leader=w.leader,
                lead_department=lead or w.dept_b,
                deadline=d(deadline),
            )

        def go(issue, actor, action, when, **data):
            when = at(*when) if isinstance(when, tuple) else at(when)
            workflow.transition(issue, actor=actor, action=action, at=when, **data)

        def raised(title, when="2026-02-27"):
            return workflow.issue_raise(
                actor=w.staff_a,
                at=at(when),
                title=title,
                description="测试",
                category=w.category,
                source=w.source,
            )

        # I1: accepted next day, resolved on time, closed 满意
        self.i1 = i = raised("I1 按时办结并满意")
        assign(i, "2026-03-02", "2026-03-20")
        go(i, staff_b, "accept", "2026-03-03")
        go(i, staff_b, "resolve", "2026-03-18", resolution="已办结")
        go(i, sup, "close", "2026-03-19", satisfaction="satisfied", note="满意")
        # I2: accepted late; extension approved moves its deadline into April
        self.i2 = i = raised("I2 延期至四月")
        assign(i, "2026-03-02", "2026-03-10")
        go(i, staff_b, "accept", "2026-03-05")
        go(
            i,
            staff_b,
            "extension_request",
            "2026-03-09",
            note="需要时间",
            new_deadline=d("2026-04-10"),
        )
        go(i, sup, "extension_approve", ("2026-03-09", "15:00"), note="同意")
        # I3: resolved late, closed 基本满意
        self.i3 = i = raised("I3 逾期办结")
        assign(i, "2026-03-02", "2026-03-05")
        go(i, staff_b, "accept", "2026-03-03")
        go(i, staff_b, "resolve", "2026-03-09", resolution="已办结")
        go(i, sup, "close", "2026-03-10", satisfaction="basically", note="基本满意")
        # I4: resolved, closed 不满意, reopened with a new deadline, resolved again on time
        self.i4 = i = raised("I4 重办")
        assign(i, "2026-03-02", "2026-03-31")
        go(i, staff_b, "accept", ("2026-03-02", "15:00"))
        go(i, staff_b, "resolve", "2026-03-16", resolution="已办结")
        go(i, sup, "close", "2026-03-17", satisfaction="dissatisfied", note="不满意")
        go(i, sup, "reopen", "2026-03-18", note="未解决", deadline=d("2026-03-27"))
        go(i, staff_b, "resolve", "2026-03-26", resolution="再次办结")
        # I5: accepted late, still open, escalated
        self.i5 = i = raised("I5 督办件")
        assign(i, "2026-03-02", "2026-03-13")
        go(i, staff_b, "accept", "2026-03-12")
        go(i, sup, "escalate", "2026-03-20", note="督办")
        # I6: withdrawn: never counts
        self.i6 = i = raised("I6 撤销")
        assign(i, "2026-03-02", "2026-03-20")
        go(i, sup, "withdraw", "2026-03-03", note="重复")
        # I7: assigned to 区环保局 (dept_c), returned by it, re-assigned to dept_b
        self.i7 = i = raised("I7 退回改交")
        assign(i, "2026-03-02", "2026-03-25", lead=w.dept_c)
        go(i, w.staff_c, "return", "2026-03-03", note="不属本单位职责")
        assign(i, "2026-03-04", "2026-03-25")
        go(i, staff_b, "accept", ("2026-03-04", "16:00"))
        # I8: due on the period's last day; accepted 2026-04-01 07:30 Shanghai time,
        # which is still 2026-03-31 in UTC: late by the local calendar
        self.i8 = i = raised("I8 月末到期")
        assign(i, ("2026-03-30", "16:00"), "2026-03-31")
        go(i, staff_b, "accept", ("2026-04-01", "07:30"))
        # I9: due on the first day after the period
        self.i9 = i = raised("I9 四月一日到期")
        assign(i, "2026-03-31", "2026-04-01")
        go(i, staff_b, "accept", "2026-03-31")
        go(i, staff_b, "resolve", "2026-04-01", resolution="已办结")


@pytest.fixture
def march(world):
    return March(world)
