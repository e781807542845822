"""The day-level facts (issue 19): the assessment and the reports read them, and they must
equal today's definitions exactly — assessment_by_query and figures_by_query, which count
the issues themselves, are the reference.

Random histories (Hypothesis) drive the real workflow — assign, accept, return, reassign,
extensions, resolve, close, reopen, escalate, withdraw, the enterprise's rating, edits of
the category — with backdated moments; every assessment column and every report figure is
then computed both ways for several periods and several "today"s. `facts_verify` must
agree after every history, and catch a corrupted row.
"""

import collections
import datetime
import random
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from ledger import workflow
from ledger.models import Issue, User
from ledger.oversight import facts
from ledger.oversight.models import COLUMNS, DayFact, IssueFact
from ledger.oversight.periods import month_period, week_period, year_period
from ledger.oversight.selectors import metrics, reports
from ledger.workflow import TransitionRefused
from tests import factories as f
from tests.profiles import examples

from .conftest import March

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)

HISTORIES = hsettings(
    max_examples=examples(15),  # fewer under CI (tests/profiles.py)
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# the actions a random step may take, by the issue's status (a step names one by index)
CANDIDATES = {
    "raised": ["assign", "assign", "withdraw", "edit"],
    "assigned": ["accept", "accept", "return", "reassign", "escalate", "urge", "withdraw"],
    "in_progress": [
        "resolve",
        "resolve",
        "progress",
        "extension_request",
        "extension_request",
        "extension_reject",
        "escalate",
        "reassign",
        "edit",
    ],
    "resolved": ["close", "close", "reopen", "feedback"],
    "closed": ["reopen", "edit"],
    "withdrawn": ["edit"],
}
SATISFACTION = [s.value for s in Issue.Satisfaction]

# one step: which issue, which of its candidate actions, how long after the previous step,
# days until a deadline, and a unit (department / leader / satisfaction / category)
STEP = st.tuples(
    st.integers(min_value=0, max_value=5),
    st.integers(min_value=0, max_value=99),
    st.integers(min_value=0, max_value=4 * 24 + 12),
    st.integers(min_value=0, max_value=25),
    st.integers(min_value=0, max_value=3),
)


def _assessment_rows(table):
    """Everything the page and the export show of each row, in order."""
    return [
        (
            row.unit.pk,
            row.rank,
            row.score,
            row.deductions,
            row.due,
            row.done,
            row.assigned,
            tuple((key, rate.num, rate.den) for key, rate in row.rates.items()),
            row.avg_days,
            row.late_open,
            row.escalated,
            row.overdue_now,
            row.links,
        )
        for row in table.rows
    ]


def _report_view(context):
    return (
        context["summary"],
        [(line.label, line.counts, line.links) for line in context["by_department"]],
        [(line.label, line.counts, line.links) for line in context["by_category"]],
        [issue.pk for issue in context["late_cases"]],
        context["late_count"],
    )


def _shown(figures):
    """(totals, lines) without the lines whose figures are all zero (the page drops them)."""
    totals, lines = figures
    return totals, {
        name: {pk: counts for pk, counts in found.items() if any(counts.values())}
        for name, found in lines.items()
    }


def assert_both_ways(user, days_of_interest, today_list):
    """Every assessment column and report figure, from the facts and from the issues."""
    periods = {year_period(2026), month_period(2026, 3), month_period(2026, 4)}
    for day in days_of_interest:
        periods.add(year_period(day.year))
        iso = day.isocalendar()
        periods.add(week_period(iso.year, iso.week))
        periods.add(month_period(day.year, day.month))
    for today in today_list:
        for period in sorted(periods, key=lambda p: (p.start, p.end)):
            for kind in (metrics.DEPARTMENT, metrics.LEADER):
                got = metrics.assessment_from_facts(period, kind=kind, today=today)
                want = metrics.assessment_by_query(user, period, kind=kind, today=today)
                assert _assessment_rows(got) == _assessment_rows(want), (period, kind, today)
            got = reports.figures_from_facts(period, today)
            want = reports.figures_by_query(user, period, today)
            assert _shown(got) == _shown(want), (period, today)
            # and the report as the page and the export show it
            page = reports.report(user, period, today=today)
            reference = reports._report(user, period, today, *want)
            assert _report_view(page) == _report_view(reference), (period, today)


class History:
    """Plays a random list of steps through the workflow; refused steps change nothing."""

    def __init__(self, world):
        self.w = world
        self.issues: list = []
        self.now = START
        self.categories = [world.category, f.CategoryFactory(name="安全生产")]
        self.staff = {
            world.dept_a.pk: world.staff_a,
            world.dept_b.pk: world.staff_b,
            world.dept_c.pk: world.staff_c,
        }
        self.departments = [world.dept_a, world.dept_b, world.dept_c]
        self.leaders = [world.leader, world.other_leader, world.leader]
        self.days = set()
        self.done = collections.Counter()

    def play(self, issues, steps):
        for n in range(issues):
            self.now += datetime.timedelta(hours=5 * n, minutes=17)
            self.issues.append(
                workflow.issue_raise(
                    actor=self.w.staff_a,
                    at=self.now,
                    title=f"随机问题{n}",
                    description="测试",
                    category=self.categories[n % 2],
                    source=self.w.source,
                )
            )
        self.days.add(self.now.astimezone(SHANGHAI).date())
        for index, which, hours, days, choice in steps:
            self.now += datetime.timedelta(hours=hours, minutes=17)
            self.days.add(self.now.astimezone(SHANGHAI).date())
            issue = self.issues[index % issues]
            issue.refresh_from_db()
            candidates = CANDIDATES[issue.status]
            action = candidates[which % len(candidates)]
            try:
                self.step(issue, action, days, choice % 3)
                self.done[action] += 1
            except TransitionRefused:
                self.done["refused"] += 1

    def flip(self, issue):
        return 1 if issue.category_id == self.categories[0].pk else 0

    def step(self, issue, action, days, choice):
        w, at = self.w, self.now
        today = at.astimezone(SHANGHAI).date()
        deadline = today + datetime.timedelta(days=days)
        lead = self.staff.get(issue.lead_department_id, w.staff_b)
        sup = w.supervisor
        if action == "assign":
            workflow.transition(
                issue,
                actor=sup,
                action="assign",
                at=at,
                leader=self.leaders[choice],
                lead_department=self.departments[choice],
                deadline=deadline,
            )
        elif action in ("accept", "progress", "resolve", "extension_request", "return"):
            data = {
                "accept": {},
                "progress": {"progress": "slow", "note": "推进中"},
                "resolve": {"resolution": "已办结"},
                "extension_request": {"new_deadline": deadline, "note": "需要时间"},
                "return": {"note": "不属本单位职责"},
            }[action]
            workflow.transition(issue, actor=lead, action=action, at=at, **data)
            if action == "extension_request" and choice:
                # decided at once half the time: approved (the deadline moves) or refused
                decision = "extension_approve" if choice == 1 else "extension_reject"
                self.now += datetime.timedelta(hours=2)
                workflow.transition(issue, actor=sup, action=decision, at=self.now, note="审批")
                self.done[decision] += 1
        elif action == "reassign":
            workflow.transition(
                issue,
                actor=sup,
                action="reassign",
                at=at,
                note="改派",
                leader=self.leaders[(choice + 1) % 3],
                lead_department=self.departments[(choice + 1) % 3],
            )
        elif action in ("extension_approve", "extension_reject", "escalate", "withdraw", "urge"):
            workflow.transition(issue, actor=sup, action=action, at=at, note="处理")
        elif action == "close":
            workflow.transition(
                issue,
                actor=sup,
                action="close",
                at=at,
                satisfaction=SATISFACTION[choice],
                note="销号",
            )
        elif action == "reopen":
            workflow.transition(
                issue, actor=sup, action="reopen", at=at, note="重办", deadline=deadline
            )
        elif action == "feedback":
            workflow.feedback_record(
                issue, actor=sup, satisfaction=SATISFACTION[choice], note="回访", at=at
            )
        elif action == "edit":
            workflow.transition(
                issue, actor=sup, action="edit", at=at, category=self.categories[self.flip(issue)]
            )


PLAYED: collections.Counter = collections.Counter()


@pytest.mark.django_db
@HISTORIES
@given(
    issues=st.integers(min_value=1, max_value=6),
    steps=st.lists(STEP, min_size=10, max_size=60),
)
def test_random_histories_give_the_same_figures_both_ways(world, issues, steps):
    with transaction.atomic():
        history = History(world)
        history.play(issues, steps)
        PLAYED.update(history.done)
        assert facts.verify() == []
        # the set-based SQL rebuild writes exactly what the workflow wrote (and what the
        # Python definition in verify() computes)
        written = _day_rows(), _issue_facts()
        facts.rebuild()
        assert (_day_rows(), _issue_facts()) == written
        days = sorted(history.days)
        sample = set(days[:: max(1, len(days) // 5)]) | {days[-1]}
        last = days[-1]
        todays = [START.date() + datetime.timedelta(days=9), last]
        todays.append(last + datetime.timedelta(days=30))
        assert_both_ways(world.supervisor, sample, todays)
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_the_random_histories_reach_every_kind_of_step(world):
    """The History the hypothesis test plays reaches every action from steps of STEP's shape (a
    generator that only ever raised issues would prove nothing). Self-contained, with seeded
    draws: the suite runs on several workers, so it cannot count what another test played."""
    rng = random.Random(18)
    played: collections.Counter = collections.Counter(PLAYED)
    for _ in range(15):
        with transaction.atomic():
            history = History(world)
            steps = [
                (
                    rng.randint(0, 5),
                    rng.randint(0, 99),
                    rng.randint(0, 4 * 24 + 12),
                    rng.randint(0, 25),
                    rng.randint(0, 3),
                )
                for _ in range(60)
            ]
            history.play(rng.randint(1, 6), steps)
            played.update(history.done)
            assert facts.verify() == []
            written = _day_rows(), _issue_facts()
            facts.rebuild()
            assert (_day_rows(), _issue_facts()) == written
            transaction.set_rollback(True)
    reached = {action for action, n in played.items() if n and action != "refused"}
    wanted = {a for actions in CANDIDATES.values() for a in actions} | {"extension_approve"}
    assert reached >= wanted, sorted(played.items())


@pytest.mark.django_db
def test_the_hand_worked_march_gives_the_same_figures_both_ways(march):
    days = {datetime.date(2026, 3, 1) + datetime.timedelta(days=n) for n in range(0, 45, 3)}
    assert_both_ways(march.w.supervisor, days, [March.TODAY, datetime.date(2026, 3, 15)])
    assert facts.verify() == []


@pytest.mark.django_db
def test_a_user_who_sees_everything_reads_the_facts(march):
    """The page's assessment for the office comes from the day rows: emptying them empties
    the figures (so the facts path, not the query path, is what the office sees)."""
    table = metrics.assessment(march.w.supervisor, month_period(2026, 3), today=March.TODAY)
    assert sum(row.due for row in table.rows) == 6
    DayFact.objects.all().delete()
    table = metrics.assessment(march.w.supervisor, month_period(2026, 3), today=March.TODAY)
    assert sum(row.due for row in table.rows) == 0
    week = week_period(2026, 10)
    assert reports.report(march.w.supervisor, week, today=March.TODAY)["summary"][0]["count"] == 0
    # a staff member's report is counted from the issues they may see, as before
    staff = reports.report(march.w.staff_b, month_period(2026, 3), today=March.TODAY)
    assert sum(item["count"] for item in staff["summary"]) > 0


@pytest.mark.django_db
def test_verify_catches_a_corrupted_row_and_rebuild_repairs_it(march):
    call_command("facts_verify", stdout=StringIO())
    row = DayFact.objects.filter(dimension="D", due__gt=0).order_by("day").first()
    DayFact.objects.filter(pk=row.pk).update(due=F("due") + 1)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("facts_verify", stdout=StringIO(), stderr=err)
    assert f"day {row.day} D{row.unit}" in err.getvalue()
    out = StringIO()
    call_command("facts_rebuild", stdout=out)
    assert "facts rebuilt" in out.getvalue()
    call_command("facts_verify", stdout=StringIO())


@pytest.mark.django_db
def test_verify_catches_a_corrupted_issue_part(march):
    IssueFact.objects.filter(issue=march.i1).update(status="raised")
    problems = facts.verify()
    assert any(line.startswith(f"issue {march.i1.pk}:") for line in problems)


@pytest.mark.django_db
def test_an_import_writes_the_facts_of_its_issues(world):
    """issues_import sends the signal once for all the issues it created, and once per
    corrected one: the facts follow both, and the figures equal the reference."""
    now = START + datetime.timedelta(days=40)
    items = [
        {
            "row": row,
            "fields": {
                "title": f"旧台账问题{row}",
                "description": "从旧台账导入。",
                "category": world.category,
                "source": world.source,
                "raising_department": world.dept_a,
                "raised_at": START + datetime.timedelta(days=row),
                "status": status,
                "leader": world.leader,
                "lead_department": world.dept_b,
                "deadline": datetime.date(2026, 3, 20 + row),
                "assigned_at": START + datetime.timedelta(days=row, hours=3),
                **extra,
            },
            "co_departments": [],
            "number": None,
            "note": f"第 {row} 行",
        }
        for row, status, extra in [
            (2, "assigned", {}),
            (3, "in_progress", {"accepted_at": START + datetime.timedelta(days=4)}),
            (
                4,
                "resolved",
                {
                    "accepted_at": START + datetime.timedelta(days=5),
                    "resolved_at": START + datetime.timedelta(days=9),
                    "resolved_on_time": True,
                    "resolution": "已办结。",
                },
            ),
        ]
    ]
    rows = workflow.issues_import(actor=world.admin, at=now, file_name="旧台账.xlsx", items=items)
    assert IssueFact.objects.filter(issue_id__in=rows.values()).count() == 3
    march = month_period(2026, 3)
    table = metrics.assessment_from_facts(march, today=now.date())
    assert sum(row.due for row in table.rows) == 3
    # a correction moves the deadline of one into April: an edit event, facts follow
    workflow.issues_import(
        actor=world.admin,
        at=now,
        file_name="旧台账.xlsx",
        items=[
            {
                "row": 2,
                "issue": rows[2],
                "fields": {"deadline": datetime.date(2026, 4, 30)},
                "note": "第 2 行",
            }
        ],
    )
    assert sum(r.due for r in metrics.assessment_from_facts(march, today=now.date()).rows) == 2
    assert facts.verify() == []
    assert_both_ways(world.supervisor, {START.date(), now.date()}, [now.date()])


def _day_rows():
    """The day rows that count anything (the written ones may keep rows gone to zero)."""
    return sorted(
        row
        for row in DayFact.objects.values_list("day", "dimension", "unit", *COLUMNS)
        if any(row[3:])
    )


def _issue_facts():
    """Every IssueFact as a tuple of its values."""
    return sorted(IssueFact.objects.values_list("issue_id", *facts.SNAPSHOT_FIELDS))


@pytest.mark.django_db
def test_rebuild_from_nothing_equals_the_written_facts(march):
    before = _day_rows()
    assert before
    DayFact.objects.all().delete()
    IssueFact.objects.all().delete()
    assert facts.verify() != []
    result = facts.rebuild()
    assert result["issues"] == Issue.objects.count()
    assert _day_rows() == before


@pytest.mark.django_db
def test_the_demo_data_gives_the_same_figures_both_ways():
    call_command("seed_demo", stdout=StringIO())
    assert Issue.objects.count() >= 60
    assert facts.verify() == []
    supervisor = User.objects.filter(role=User.Role.SUPERVISOR, is_active=True).first()
    today = timezone.localdate()
    days = {today - datetime.timedelta(days=7 * n) for n in range(0, 20)}
    periods_days = days | {today.replace(month=1, day=1) - datetime.timedelta(days=1)}
    assert_both_ways(supervisor, periods_days, [today])


@pytest.mark.django_db
def test_a_returned_issue_waiting_to_be_reassigned_counts_for_the_returning_department(world):
    """退回 leaves the issue 待交办 without a lead department, its deadline kept: the returning
    department has returned it, and it is "assigned" to it no more (returned_away)."""
    issue = world.assigned_issue(lead=world.dept_c, deadline_days=5)
    workflow.transition(issue, actor=world.staff_c, action="return", note="不属本单位职责")
    issue.refresh_from_db()
    assert issue.status == "raised" and issue.lead_department_id is None
    today = timezone.localdate()
    period = month_period(issue.deadline.year, issue.deadline.month)
    table = metrics.assessment_from_facts(period, today=today)
    row = next(row for row in table.rows if row.unit == world.dept_c)
    assert (row.returned, row.returned_away, row.due) == (1, 1, 0)
    leader_row = next(
        row
        for row in metrics.assessment_from_facts(period, kind=metrics.LEADER, today=today).rows
        if row.unit == world.leader
    )
    assert (leader_row.returned, leader_row.returned_away) == (1, 1)
    assert_both_ways(world.supervisor, {today}, [today])
