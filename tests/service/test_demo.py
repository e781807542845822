"""The service room's demo data: visits for every demo leader (one overdue), issues heard on
visits linked to them, a checklist on every demo key project with one late step."""

import io

import pytest
from django.core.management import call_command
from django.db import transaction

from ledger import demo
from ledger.models import KeyProject, Leader
from ledger.service import selectors
from ledger.service.apps import visit_settings_check
from ledger.service.models import ProcedureType, ProjectProcedure, Visit, VisitIssue


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


def test_every_demo_leader_has_visits_and_one_is_overdue(seeded, db):
    overdue = []
    for leader in Leader.objects.filter(user__username__in=[r["username"] for r in demo.LEADERS]):
        assert Visit.objects.filter(leader=leader).count() >= 2, leader
        states = {row.state for row in selectors.subjects_due(leader)}
        if states == {selectors.OVERDUE}:
            overdue.append(leader.user.username)
        else:
            assert selectors.VISITED in states, leader
    assert overdue == ["leader_tao"]


def test_issues_heard_on_visits_are_linked_to_a_visit(seeded, db):
    links = VisitIssue.objects.select_related("issue__source", "visit")
    assert links.count() >= 10
    for link in links:
        assert link.issue.source.name in ("领导包联", "企业走访")
        assert link.visit.subject in (link.issue.enterprise, link.issue.project)


def test_every_demo_project_has_a_checklist_with_one_late_step(seeded, db):
    projects = KeyProject.objects.filter(name__in=[row["name"] for row in demo.PROJECTS])
    for project in projects:
        assert project.procedures.count() >= 8, project
    late = list(selectors.procedures_late())
    assert len(late) == 1 and late[0].status == ProjectProcedure.Status.IN_PROGRESS


def test_seeding_again_adds_nothing(seeded, db):
    before = (Visit.objects.count(), VisitIssue.objects.count(), ProjectProcedure.objects.count())
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    after = (Visit.objects.count(), VisitIssue.objects.count(), ProjectProcedure.objects.count())
    assert after == before
    assert "0 visits and 0 procedures added" in out.getvalue()


@pytest.mark.parametrize("months, errors", [(3, 0), (12, 0), (5, 1), (0, 1)])
def test_the_visit_period_setting_must_divide_the_year(settings, months, errors):
    settings.LEDGER = {**settings.LEDGER, "VISIT_EVERY_MONTHS": months}
    assert len(visit_settings_check()) == errors


def test_demo_procedures_go_to_their_types_default_unit(seeded, db):
    units = dict(ProcedureType.objects.values_list("name", "default_department__name"))
    assert units["环评批复"] == "区生态环境分局"
    assert units["立项备案"] == "区发改委"
    assert units["施工许可"] == "区住建局"
    rows = ProjectProcedure.objects.filter(type__name="环评批复")
    assert rows.exists()
    assert set(rows.values_list("department__name", flat=True)) == {"区生态环境分局"}
