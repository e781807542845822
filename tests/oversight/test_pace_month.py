"""序时进度 of a monthly report (issue 16, 2.5): the report for month M is compared with M/12
of the annual plan, not with the month the page is opened in; the progress form offers the
last complete month; the pages say the rule."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ledger.models import KeyProject, ProjectProgress
from ledger.oversight.selectors.pace import pace_rows
from tests import factories as f

DEC_6 = datetime.date(2026, 12, 6)  # opened in December; November's report is the latest


@pytest.fixture
def on_dec_6(monkeypatch):
    """timezone.localdate() is 2026-12-06 wherever it is asked without a moment."""
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return DEC_6 if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return DEC_6


def november_report(world, done="1000"):
    """A 2026 project, plan 1200 万元, whose November report says `done` 万元 so far."""
    project = f.KeyProjectFactory(
        name="十一月月报项目",
        year=2026,
        annual_plan=Decimal("1200"),
        completed_this_year=Decimal(done),
        lead_department=world.dept_b,
        leader=world.leader,
    )
    ProjectProgress.objects.create(
        project=project,
        month=datetime.date(2026, 11, 1),
        completed_this_year=Decimal(done),
        stage=KeyProject.Stage.CONSTRUCTION,
        reported_by=world.staff_b,
    )
    return KeyProject.objects.get(pk=project.pk)


def test_november_report_is_compared_with_eleven_twelfths_not_december(world):
    project = november_report(world)  # 1000 / 1200 = 83.3%
    assert project.completion_share == Decimal("83.3")
    # 11/12 = 91.7%: 8.4 points behind, on pace; against December's 100% it would be yellow
    assert project.expected_share(DEC_6) == Decimal("91.7")
    assert project.pace(DEC_6) == KeyProject.Pace.ON_PACE


def test_the_month_read_with_the_project_and_asked_of_it_agree(world):
    listed = november_report(world)
    fresh = KeyProject.objects.only("pk", "year").get(pk=listed.pk)
    del fresh.__dict__["latest_report_month"]  # as if read without the manager's annotation
    assert listed.progress_month == fresh.progress_month == datetime.date(2026, 11, 1)


def test_without_a_report_the_month_opened_counts_as_before(world):
    project = f.KeyProjectFactory(year=2026, annual_plan=Decimal("1200"))
    project = KeyProject.objects.get(pk=project.pk)
    assert project.progress_month is None
    assert project.expected_share(datetime.date(2026, 6, 15)) == Decimal("50.0")


def test_a_later_report_moves_the_month_compared(world):
    project = november_report(world, done="800")
    ProjectProgress.objects.create(
        project=project,
        month=datetime.date(2026, 12, 1),
        completed_this_year=Decimal("900"),
        stage=KeyProject.Stage.CONSTRUCTION,
        reported_by=world.staff_b,
    )
    project.refresh_from_db()
    assert project.expected_share(DEC_6) == Decimal("100.0")


def test_pace_board_shows_the_report_months_share_and_states_the_rule(client, world, on_dec_6):
    project = november_report(world)
    row = next(r for r in pace_rows(world.supervisor, today=DEC_6) if r.project.pk == project.pk)
    assert row.expected == Decimal("91.7") and row.pace == KeyProject.Pace.ON_PACE

    client.force_login(world.supervisor)
    html = client.get(reverse("oversight:project_pace")).content.decode()
    line = html[html.index("十一月月报项目") :]
    line = line[: line.index("</tr>")]
    assert re.search(r'data-testid="pace-expected"[^>]*>91\.7%<', line)
    assert "按 2026-11 月报计算" in line
    assert "M 月的月报对照年度计划的 M/12" in html


def test_progress_form_offers_the_last_complete_month_and_says_the_rule(client, world, on_dec_6):
    project = november_report(world)
    client.force_login(world.staff_b)
    html = client.get(reverse("project_progress", args=[project.pk])).content.decode()
    month_input = re.search(r'<input[^>]*name="month"[^>]*>', html).group(0)
    assert 'value="2026-11"' in month_input
    rule = html[html.index('data-testid="pace-rule"') :]
    assert "M 月的月报对照年度计划的 M/12" in rule[: rule.index("</p>")]
