"""代办 procedures: the database's rules, the lights, who moves what, raising a late step as a
ledger issue in one step, and the board of late procedures."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ledger.models import Health, Issue
from ledger.service import services
from ledger.service.models import ProcedureIssue, ProcedureType, ProjectProcedure
from ledger.workflow import TransitionRefused
from tests import factories as f

DONE = ProjectProcedure.Status.DONE
RUNNING = ProjectProcedure.Status.IN_PROGRESS


def test_the_types_are_seeded_in_order_by_the_migration(db):
    names = list(ProcedureType.objects.values_list("name", flat=True))
    for earlier, later in [
        ("立项备案", "用地预审/规划选址"),
        ("规划许可", "施工许可"),
        ("施工许可", "竣工验收"),
    ]:
        assert names.index(earlier) < names.index(later)
    assert {"环评批复", "能评"} <= set(names)


@pytest.mark.parametrize(
    "values",
    [
        {"status": "done"},  # 已办结 without a date
        {"status": "in_progress", "done_on": datetime.date(2026, 1, 5)},  # a date while running
        {"status": "nonsense"},
    ],
)
def test_the_database_keeps_done_date_iff_done(sw, values):
    with pytest.raises(IntegrityError), transaction.atomic():
        sw.procedure(**values)


def test_one_row_per_project_and_type(sw):
    sw.procedure()
    with pytest.raises(IntegrityError), transaction.atomic():
        sw.procedure()


@pytest.mark.parametrize(
    "status, planned, light",
    [
        (RUNNING, -1, Health.RED),
        ("not_started", -30, Health.RED),
        (RUNNING, 0, Health.YELLOW),
        (RUNNING, 3, Health.YELLOW),  # LEDGER_YELLOW_DAYS = 3
        (RUNNING, 4, Health.GREEN),
        (RUNNING, None, Health.NONE),
        ("not_applicable", -5, Health.NONE),
    ],
)
def test_lights_follow_the_ledgers_yellow_days(sw, days, status, planned, light):
    procedure = sw.procedure(
        status=status, planned_on=days(planned) if planned is not None else None
    )
    assert procedure.health() == light


def test_a_done_procedure_has_no_light(sw, days):
    assert sw.procedure(status=DONE, done_on=days(-1), planned_on=days(-9)).health() == Health.NONE


def test_the_project_page_shows_the_checklist_with_its_lights(client, sw, days):
    rows = [
        sw.procedure("立项备案", status=DONE, done_on=days(-40), planned_on=days(-35)),
        sw.procedure("规划许可", status=RUNNING, planned_on=days(-5)),
        sw.procedure("施工许可", status="not_started", planned_on=days(2)),
        sw.procedure("竣工验收", status="not_started", planned_on=days(200)),
    ]
    client.force_login(sw.staff_unrel)
    html = client.get(reverse("project_detail", kwargs={"pk": sw.project.pk})).content.decode()
    assert html.count('data-testid="procedure-row"') == 4
    for light in ("red", "yellow", "green", "none"):
        assert f'data-light="{light}"' in html
    assert "health-red" in html and "逾期 1 项" in html and "已办结 1 / 4" in html
    # an unrelated department reads it but moves nothing
    for row in rows:
        assert reverse("service:procedure_edit", kwargs={"pk": row.pk}) not in html
    client.force_login(sw.staff_lead)  # the 代办员 moves each of theirs
    html = client.get(reverse("project_detail", kwargs={"pk": sw.project.pk})).content.decode()
    for row in rows:
        assert reverse("service:procedure_edit", kwargs={"pk": row.pk}) in html


def test_planning_adds_the_missing_types_once(client, sw):
    sw.procedure("立项备案")
    url = reverse("service:procedure_plan", kwargs={"pk": sw.project.pk})
    client.force_login(sw.staff_lead)
    assert client.post(url).status_code == 403
    client.force_login(sw.leader.user)
    assert client.post(url).status_code == 302
    active = ProcedureType.objects.filter(is_active=True).count()
    assert sw.project.procedures.count() == active
    assert client.post(url).status_code == 302
    assert sw.project.procedures.count() == active
    assert client.get(url).status_code == 405


def test_the_agent_moves_their_procedure_but_does_not_reassign_it(client, sw, days):
    procedure = sw.procedure(status=RUNNING, planned_on=days(5))
    url = reverse("service:procedure_edit", kwargs={"pk": procedure.pk})
    client.force_login(sw.staff_lead)
    form = client.get(url).context["form"]
    assert "agent" not in form.fields and "department" not in form.fields
    response = client.post(
        url,
        {"status": "done", "done_on": days(0).isoformat(), "agent": sw.staff_unrel.pk},
    )
    assert response.status_code == 302
    procedure.refresh_from_db()
    assert procedure.status == DONE and procedure.done_on == days(0)
    assert procedure.agent == sw.staff_lead and procedure.updated_by == sw.staff_lead
    with pytest.raises(TransitionRefused):
        services.procedure_update(actor=sw.staff_lead, procedure=procedure, agent=sw.staff_unrel)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"status": "done"}, "请填写办结日期"),
        ({"status": "done", "done_on": "2999-01-01"}, "不能晚于今天"),
        ({"status": "bogus"}, "选择一个有效的选项"),
    ],
)
def test_bad_procedure_input_is_explained_and_changes_nothing(client, sw, days, data, message):
    procedure = sw.procedure(status=RUNNING, planned_on=days(5))
    client.force_login(sw.leader.user)
    response = client.post(reverse("service:procedure_edit", kwargs={"pk": procedure.pk}), data)
    assert response.status_code == 200 and message in response.content.decode()
    procedure.refresh_from_db()
    assert procedure.status == RUNNING and procedure.done_on is None


def test_leaving_done_clears_the_done_date(sw, days):
    procedure = sw.procedure(status=DONE, done_on=days(-1))
    services.procedure_update(actor=sw.supervisor, procedure=procedure, status=RUNNING)
    procedure.refresh_from_db()
    assert procedure.status == RUNNING and procedure.done_on is None


@pytest.mark.parametrize(
    "who, allowed",
    [
        ("staff_lead", True),
        ("leader", True),
        ("supervisor", True),
        ("staff_sub", False),
        ("other_leader", False),
    ],
)
def test_who_may_move_a_procedure(client, sw, days, who, allowed):
    procedure = sw.procedure(status=RUNNING, planned_on=days(5))
    user = getattr(sw, who)
    user = getattr(user, "user", user)
    client.force_login(user)
    response = client.post(
        reverse("service:procedure_edit", kwargs={"pk": procedure.pk}),
        {"status": "in_progress", "planned_on": days(9).isoformat(), "note": "待补材料"},
    )
    assert response.status_code == (302 if allowed else 403)
    procedure.refresh_from_db()
    assert (procedure.planned_on == days(9)) is allowed


def test_a_late_step_is_raised_as_a_ledger_issue_in_one_step(client, sw, days):
    sw.project.owner = sw.enterprise
    sw.project.save()
    procedure = sw.procedure("规划许可", status=RUNNING, planned_on=days(-6), note="等待专家评审")
    url = reverse("service:procedure_raise", kwargs={"pk": procedure.pk})
    client.force_login(sw.staff_lead)
    form = client.get(url).context["form"]
    # prefilled: title, description with the facts, category 审批手续, urgent since it is late
    assert form.initial["title"] == "走访物流园“规划许可”办理滞后"
    assert "等待专家评审" in form.initial["description"]
    assert form.initial["urgency"] == "urgent"
    data = {
        "title": form.initial["title"],
        "description": form.initial["description"],
        "category": form.initial["category"],
        "urgency": "urgent",
    }
    response = client.post(url, data)
    issue = Issue.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("issue_detail", kwargs={"number": issue.number})
    assert issue.project == sw.project and issue.enterprise == sw.enterprise
    assert issue.leader == sw.leader and issue.raising_department == sw.lead
    assert issue.source.name == "项目督查/调研" and issue.category.name == "审批手续"
    assert issue.events.get().action == "raise"
    assert ProcedureIssue.objects.get().procedure == procedure
    # both ways: the issue names its procedure, the checklist links the issue and offers no
    # second raise while it is open
    issue_html = client.get(response["Location"]).content.decode()
    assert 'data-testid="from-procedure"' in issue_html
    project_html = client.get(
        reverse("project_detail", kwargs={"pk": sw.project.pk})
    ).content.decode()
    assert issue.number in project_html and url not in project_html


def test_a_procedure_done_or_not_applicable_is_not_raised(client, sw, days):
    procedure = sw.procedure(status=DONE, done_on=days(-1))
    client.force_login(sw.supervisor)
    url = reverse("service:procedure_raise", kwargs={"pk": procedure.pk})
    assert client.get(url).status_code == 403
    assert client.post(url, {"title": "x", "description": "y"}).status_code == 403
    assert Issue.objects.count() == 0


def test_someone_who_may_not_move_it_cannot_raise_it(client, sw, days):
    procedure = sw.procedure(status=RUNNING, planned_on=days(-6))
    client.force_login(sw.staff_unrel)
    url = reverse("service:procedure_raise", kwargs={"pk": procedure.pk})
    data = {"title": "滞后", "description": "滞后", "category": sw.category.pk, "urgency": "normal"}
    assert client.post(url, data).status_code == 403
    assert Issue.objects.count() == 0


def _board(client, sw, n, days):
    for i in range(n):
        project = f.KeyProjectFactory(leader=sw.leader, lead_department=sw.lead)
        sw.procedure("施工许可", project=project, status=RUNNING, planned_on=days(-1 - i))
        sw.procedure("竣工验收", project=project, status="not_started", planned_on=days(30))
        sw.procedure(
            "立项备案", project=project, status=DONE, done_on=days(-90), planned_on=days(-95)
        )
    client.force_login(sw.staff_unrel)
    url = reverse("service:procedures_late")
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return len(queries), response


def test_the_late_board_lists_every_late_procedure_with_constant_queries(client, sw, days):
    few, response = _board(client, sw, 3, days)
    assert [row.days_late for row in response.context["rows"]] == [3, 2, 1]
    many, response = _board(client, sw, 12, days)
    assert few == many
    assert len(response.context["rows"]) == 15
    assert {row.type.name for row in response.context["rows"]} == {"施工许可"}


def test_the_project_page_query_count_does_not_grow_with_procedures(client, sw, days):
    def count():
        client.force_login(sw.leader.user)
        url = reverse("project_detail", kwargs={"pk": sw.project.pk})
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    first = sw.procedure("立项备案", status=RUNNING, planned_on=days(3))
    services.procedure_issue_raise(
        actor=sw.supervisor, procedure=first, title="立项滞后", description="滞后"
    )
    few = count()
    for name in ("规划许可", "环评批复", "能评", "施工许可", "竣工验收"):
        procedure = sw.procedure(name, status=RUNNING, planned_on=days(-3))
        services.procedure_issue_raise(
            actor=sw.supervisor, procedure=procedure, title=f"{name}滞后", description="滞后"
        )
    assert count() == few
