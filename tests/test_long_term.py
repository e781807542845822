"""长期坚持/持续推进 items (issue 16 item 2.6): a mark instead of a deadline, on the issue page,
in the ledger (filterable) and in the export; assigned from the assign form, read from an
import's deadline cell; never red because a calendar date arrives; not "due" in an
assessment period. The chase of a missed cycle report is in tests/notify/test_long_term_chase.py.
"""

import datetime
import io

import openpyxl
import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ledger import workflow
from ledger.exchange.columns import LEDGER_COLUMN_KEYS
from ledger.exchange.importing import ledger_import
from ledger.models import Issue, IssueDeadline
from ledger.models import issues as issue_models
from ledger.models.issues import Health, health_q
from ledger.oversight.periods import year_period
from ledger.oversight.selectors.metrics import DEPARTMENT, assessment
from ledger.states import Status
from tests import factories as f
from tests.exchange.conftest import workbook_of

D = datetime.date


def long_term_issue(world, **data) -> Issue:
    issue = world.raise_issue(**data)
    workflow.transition(
        issue,
        actor=world.supervisor,
        action="assign",
        leader=world.leader,
        lead_department=world.dept_b,
        is_long_term=True,
    )
    return issue


def act(issue, action) -> str:
    return reverse("issue_action", kwargs={"number": issue.number, "action": action})


@pytest.fixture
def frozen(monkeypatch):
    """Freeze timezone.now (and so localdate) at 09:00 local time of a given day."""

    def freeze(day: datetime.date):
        moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return freeze


# -- the database ---------------------------------------------------------------------------


def test_the_database_takes_the_mark_instead_of_a_deadline_but_never_both(world):
    issue = long_term_issue(world)
    issue.refresh_from_db()
    assert issue.status == Status.ASSIGNED
    assert issue.is_long_term is True and issue.deadline is None
    # neither a deadline nor the mark: refused, as before
    with pytest.raises(IntegrityError), transaction.atomic():
        Issue.objects.filter(pk=issue.pk).update(is_long_term=False)
    # a long-term item with a deadline would turn red on that date: refused
    with pytest.raises(IntegrityError), transaction.atomic():
        Issue.objects.filter(pk=issue.pk).update(deadline=D(2026, 12, 31))
    issue.refresh_from_db()
    assert issue.is_long_term and issue.deadline is None


# -- assigning one ----------------------------------------------------------------------------


def test_the_office_assigns_a_long_term_item_from_the_assign_form(client, world):
    issue = world.raise_issue(title="园区环境常态化整治")
    client.force_login(world.supervisor)
    form = client.get(act(issue, "assign"))
    assert "长期坚持（不设完成时限）" in form.content.decode()
    response = client.post(
        act(issue, "assign"),
        {
            "version": issue.version,
            "leader": world.leader.pk,
            "lead_department": world.dept_b.pk,
            "deadline": "",
            "is_long_term": "on",
            "note": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    issue.refresh_from_db()
    assert issue.status == Status.ASSIGNED
    assert issue.is_long_term and issue.deadline is None
    assert not IssueDeadline.objects.filter(issue=issue).exists()
    event = issue.events.get(action="assign")
    assert event.changes["is_long_term"] == ["False", "True"]
    page = client.get(issue.get_absolute_url()).content.decode()
    assert 'data-testid="long-term"' in page
    assert "尚未报送进展" in page
    assert "长期坚持事项，不设完成时限，牵头单位按周期报送进展。" in page  # deadline history
    assert "尚未设定完成时限" not in page
    notice = client.get(reverse("issue_notice_assign", args=[issue.number])).content.decode()
    assert "长期坚持（不设完成时限，按周期报送进展）" in notice


def test_long_term_wins_over_a_date_left_in_the_field(client, world):
    issue = world.raise_issue()
    client.force_login(world.supervisor)
    response = client.post(
        act(issue, "assign"),
        {
            "version": issue.version,
            "leader": world.leader.pk,
            "lead_department": world.dept_b.pk,
            "deadline": (timezone.localdate() + datetime.timedelta(days=9)).isoformat(),
            "is_long_term": "on",
        },
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.is_long_term and issue.deadline is None


def test_assigning_without_a_deadline_or_the_mark_is_refused_with_a_message(client, world):
    issue = world.raise_issue()
    client.force_login(world.supervisor)
    response = client.post(
        act(issue, "assign"),
        {"version": issue.version, "leader": world.leader.pk, "lead_department": world.dept_b.pk},
    )
    assert response.status_code == 200
    assert "请填写完成时限，或选择“长期坚持”。" in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == Status.RAISED and not issue.is_long_term
    # and the workflow refuses it too, whatever the form
    with pytest.raises(workflow.TransitionRefused):
        workflow.transition(
            issue,
            actor=world.supervisor,
            action="assign",
            leader=world.leader,
            lead_department=world.dept_b,
        )


# -- never red because a date arrives -------------------------------------------------------


@pytest.mark.parametrize(
    "day", [D(2026, 12, 31), D(2027, 1, 1), D(2027, 3, 1), D(2030, 12, 31), D(2031, 1, 1)]
)
def test_a_long_term_item_is_never_red_whatever_the_date(world, frozen, day):
    frozen(D(2026, 11, 2))
    issue = long_term_issue(world)
    workflow.transition(issue, actor=world.staff_b, action="accept")
    frozen(day)
    issue.refresh_from_db()
    assert issue.health_on(day) == Health.GREEN
    assert issue.health == Health.GREEN and not issue.is_overdue
    assert Issue.objects.with_health(day).get(pk=issue.pk).health_code == Health.GREEN
    assert Issue.objects.filter(health_q([Health.GREEN], day), pk=issue.pk).exists()
    assert not Issue.objects.filter(health_q([Health.RED, Health.YELLOW], day)).exists()
    assert not Issue.objects.overdue(day).exists()


def test_a_long_term_item_asks_for_no_extension_and_is_resolved_neither_on_time_nor_late(world):
    issue = long_term_issue(world)
    workflow.transition(issue, actor=world.staff_b, action="accept")
    assert "extension_request" not in workflow.available_actions(world.staff_b, issue)
    with pytest.raises(workflow.TransitionRefused, match="长期坚持"):
        workflow.transition(
            issue,
            actor=world.staff_b,
            action="extension_request",
            note="需要更多时间",
            new_deadline=timezone.localdate() + datetime.timedelta(days=30),
        )
    workflow.transition(issue, actor=world.staff_b, action="resolve", resolution="已建立长效机制。")
    issue.refresh_from_db()
    assert issue.status == Status.RESOLVED and issue.resolved_on_time is None


def test_reassigning_moves_between_a_deadline_and_the_mark(world):
    issue = world.assigned_issue(deadline_days=10)
    workflow.transition(issue, actor=world.supervisor, action="reassign", is_long_term=True)
    issue.refresh_from_db()
    assert issue.is_long_term and issue.deadline is None
    # a change of lead department alone keeps the item long-term
    workflow.transition(
        issue, actor=world.supervisor, action="reassign", lead_department=world.dept_c
    )
    issue.refresh_from_db()
    assert issue.is_long_term and issue.deadline is None and issue.lead_department == world.dept_c
    # a deadline makes it a dated item again, recorded in its deadline history
    new = timezone.localdate() + datetime.timedelta(days=20)
    workflow.transition(issue, actor=world.supervisor, action="reassign", deadline=new)
    issue.refresh_from_db()
    assert not issue.is_long_term and issue.deadline == new
    assert issue.deadlines.last().deadline == new


def test_a_long_term_item_reopened_stays_long_term_without_a_deadline(client, world):
    issue = long_term_issue(world)
    workflow.transition(issue, actor=world.staff_b, action="accept")
    workflow.transition(issue, actor=world.staff_b, action="resolve", resolution="阶段完成。")
    client.force_login(world.supervisor)
    response = client.post(
        act(issue, "reopen"),
        {"version": issue.version + 0, "is_long_term": "on", "note": "仍需持续推进"},
    )
    issue.refresh_from_db()
    assert response.status_code == 302, response.content.decode()[:2000]
    assert issue.status == Status.IN_PROGRESS
    assert issue.is_long_term and issue.deadline is None


# -- the issue page, the ledger and its filter, the export ---------------------------------


def test_the_mark_is_on_the_issue_page_and_in_the_ledger_and_filters_it(client, world, frozen):
    frozen(D(2026, 11, 2))
    ongoing = long_term_issue(world, title="持续推进园区污水管网改造", enterprise=world.enterprise)
    dated = world.assigned_issue(title="修复园区路灯", deadline_days=5)
    frozen(D(2027, 1, 4))  # dated is overdue by now; ongoing is not
    client.force_login(world.supervisor)

    page = client.get(ongoing.get_absolute_url()).content.decode()
    assert 'data-testid="long-term"' in page and ">长期坚持<" in page
    assert "本期（2027-01-01 至 2027-01-31）尚未报送进展，请于 2027-01-31 前报送" in page
    assert "health-red" not in page and "已逾期" not in page
    workflow.transition(ongoing, actor=world.staff_b, action="accept")
    workflow.transition(
        ongoing, actor=world.staff_b, action="progress", progress="smooth", note="一月进展。"
    )
    page = client.get(ongoing.get_absolute_url()).content.decode()
    assert "本期（2027-01-01 至 2027-01-31）已报送进展" in page

    ledger = client.get("/issues/")
    html = ledger.content.decode()
    assert html.count('data-testid="long-term"') == 1
    assert "长期坚持" in html  # the filter's label too
    only = client.get("/issues/?long_term=1")
    assert [i.number for i in only.context["issues"]] == [ongoing.number]
    others = client.get("/issues/?long_term=0")
    assert [i.number for i in others.context["issues"]] == [dated.number]
    red = client.get("/issues/?health=red")
    assert [i.number for i in red.context["issues"]] == [dated.number]
    # the enterprise's page lists its issues with the mark too
    enterprise = client.get(reverse("enterprise_detail", args=[world.enterprise.pk]))
    assert 'data-testid="long-term"' in enterprise.content.decode()


def test_the_export_says_long_term_in_the_deadline_column(client, world):
    ongoing = long_term_issue(world, title="常态化安全生产检查")
    dated = world.assigned_issue(title="修复园区路灯", deadline_days=5)
    client.force_login(world.supervisor)
    response = client.get("/issues/export.xlsx")
    assert response.status_code == 200
    rows = list(workbook_of(response).worksheets[0].iter_rows(min_row=3, values_only=True))
    number, deadline = LEDGER_COLUMN_KEYS.index("number"), LEDGER_COLUMN_KEYS.index("deadline")
    cells = {row[number]: row[deadline] for row in rows}
    assert cells[ongoing.number] == "长期坚持"
    assert cells[dated.number].date() == dated.deadline


# -- the import ---------------------------------------------------------------------------


@pytest.fixture
def lists(world):
    f.CategoryFactory(name="其他")
    f.SourceFactory(name="其他")
    return world


def _sheet(world, deadlines) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["序号", "企业名称", "存在问题", "包联领导", "责任单位", "完成时限"])
    for n, deadline in enumerate(deadlines, start=1):
        sheet.append(
            [
                n,
                world.enterprise.name,
                f"第{n}项持续整改问题",
                world.leader.user.name,
                world.dept_b.name,
                deadline,
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


WORDS = [
    "长期坚持",
    " 持续推进 ",
    "长期\u3000坚持",
    "长期",
    "持续整改（每月报送）",
    "常态化推进",
    "Long-term",  # an English export's cell
]


def test_an_import_reads_long_term_words_as_the_mark_and_they_never_turn_red(lists, frozen):
    world = lists
    frozen(D(2026, 11, 30))
    outcome = ledger_import(
        _sheet(world, WORDS), file_name="台账.xlsx", user=world.supervisor, dry_run=False
    )
    assert not outcome.problems, [str(p) for p in outcome.problems]
    assert outcome.committed
    issues = list(Issue.objects.order_by("seq"))
    assert len(issues) == len(WORDS)
    # 1 January: a year-end date would be past by now
    new_year = D(2027, 1, 1)
    assert [i.health_on(new_year) for i in issues] == [Health.GREEN] * len(WORDS)
    for issue in issues:
        assert issue.status == Status.ASSIGNED
        assert issue.deadline is None and issue.is_long_term
        assert "长期坚持事项" in issue.events.get().note
    assert not IssueDeadline.objects.exists()


def test_reimporting_a_dated_row_as_long_term_makes_the_issue_long_term(lists, frozen):
    world = lists
    frozen(D(2026, 11, 30))
    first = ledger_import(
        _sheet(world, ["2026-12-20"]), file_name="a.xlsx", user=world.supervisor, dry_run=False
    )
    assert first.committed
    issue = Issue.objects.get()
    assert issue.deadline == D(2026, 12, 20) and not issue.is_long_term
    again = ledger_import(
        _sheet(world, ["长期坚持"]), file_name="b.xlsx", user=world.supervisor, dry_run=False
    )
    assert not again.problems and again.committed
    issue.refresh_from_db()
    assert issue.is_long_term and issue.deadline is None


# -- the assessment: a long-term item is not "due in the period" ----------------------------


def test_the_assessment_counts_no_long_term_item_as_due_or_overdue(world, frozen):
    frozen(D(2026, 3, 2))
    long_term_issue(world)
    dated = world.assigned_issue(deadline_days=10)
    frozen(D(2027, 1, 4))
    table = assessment(world.supervisor, year_period(2026), kind=DEPARTMENT, today=D(2027, 1, 4))
    row = next(r for r in table.rows if r.unit.pk == world.dept_b.pk)
    assert dated.deadline.year == 2026
    # the dated issue only: due in 2026, open past its deadline in 2026 and now
    assert (row.due, row.late_open, row.overdue_now) == (1, 1, 1)


# -- the cycle ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "cycle"),
    [
        (D(2026, 11, 15), 1, (D(2026, 11, 1), D(2026, 11, 30))),
        (D(2026, 12, 31), 1, (D(2026, 12, 1), D(2026, 12, 31))),
        (D(2024, 2, 10), 1, (D(2024, 2, 1), D(2024, 2, 29))),
        (D(2026, 11, 15), 3, (D(2026, 10, 1), D(2026, 12, 31))),
        (D(2026, 4, 1), 3, (D(2026, 4, 1), D(2026, 6, 30))),
        (D(2026, 7, 1), 6, (D(2026, 7, 1), D(2026, 12, 31))),
        (D(2026, 5, 5), 12, (D(2026, 1, 1), D(2026, 12, 31))),
    ],
)
def test_the_reporting_cycle_is_a_calendar_period(day, months, cycle):
    assert issue_models.long_term_cycle(day, months) == cycle
