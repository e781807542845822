"""代办 defaults (issue 16, 2.12): a procedure type's default handling unit, system accounts
never offered as people to choose, 转为台账问题 with 审批手续 chosen, the 更新 form prefilled."""

import re

import pytest
from django.urls import reverse

from ledger.models import User
from ledger.service import services
from ledger.service.models import ProcedureType, ProjectProcedure
from tests import factories as f

SYSTEM_ACCOUNTS = ("zz_system", "zz_enterprise")


@pytest.fixture
def units(sw):
    """The district's departments named as offices write them."""
    return {
        "发改": f.DepartmentFactory(name="区发展和改革委员会", short_name="发改委"),
        "自然资源": f.DepartmentFactory(name="区自然资源分局", short_name="自然资源"),
        "生态环境": f.DepartmentFactory(name="区生态环境分局", short_name="生态环境"),
    }


def _select(html, name) -> str:
    return re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)


def _selected_text(html, name) -> str:
    found = re.search(r"<option value=\"[^\"]*\" selected>([^<]*)<", _select(html, name))
    return found.group(1) if found else ""


def test_the_system_accounts_exist_and_cannot_sign_in(db):
    # what the tests below rely on: both accounts are created by migrations
    for username in SYSTEM_ACCOUNTS:
        assert not User.objects.get(username=username).has_usable_password()


def test_planning_gives_each_type_its_default_unit(client, sw, units):
    client.force_login(sw.leader.user)
    client.post(reverse("service:procedure_plan", kwargs={"pk": sw.project.pk}))
    unit_of = dict(sw.project.procedures.values_list("type__name", "department__name"))
    assert unit_of["环评批复"] == "区生态环境分局"
    assert unit_of["立项备案"] == "区发展和改革委员会"
    assert unit_of["规划许可"] == "区自然资源分局"
    # 施工许可's unit (住建) is the project's own 责任单位 here
    assert unit_of["施工许可"] == "区住建局"


def test_a_types_own_default_unit_comes_first_and_falls_back_to_the_project(client, sw, units):
    ProcedureType.objects.filter(name="环评批复").update(default_department=units["发改"])
    odd = ProcedureType.objects.create(name="文物勘探", order=999)
    client.force_login(sw.supervisor)
    client.post(reverse("service:procedure_plan", kwargs={"pk": sw.project.pk}))
    assert sw.project.procedures.get(type__name="环评批复").department == units["发改"]
    # a type no default names: the project's 责任单位, as before
    assert sw.project.procedures.get(type=odd).department == sw.lead


def test_default_units_fill_sets_the_list_where_the_departments_exist(sw, units):
    assert services.default_units_fill() >= 6
    kinds = dict(ProcedureType.objects.values_list("name", "default_department__name"))
    assert kinds["环评批复"] == "区生态环境分局"
    assert kinds["土地供应"] == "区自然资源分局"
    assert kinds["施工许可"] == "区住建局"
    # a unit set by hand stays
    ProcedureType.objects.filter(name="能评").update(default_department=units["生态环境"])
    services.default_units_fill()
    assert ProcedureType.objects.get(name="能评").default_department == units["生态环境"]


def test_the_update_form_offers_the_types_unit_for_a_row_without_one(client, sw, units, days):
    kind = ProcedureType.objects.get(name="环评批复")
    kind.default_department = units["生态环境"]
    kind.save()
    procedure = sw.procedure("环评批复", department=None, agent=None, status="in_progress")
    client.force_login(sw.supervisor)
    html = client.get(reverse("service:procedure_edit", kwargs={"pk": procedure.pk})).content
    html = html.decode()
    assert _selected_text(html, "department") == "区生态环境分局"
    assert _selected_text(html, "status") == "办理中"


def test_no_system_account_is_offered_as_an_agent(client, sw):
    procedure = sw.procedure()
    client.force_login(sw.supervisor)
    html = client.get(reverse("service:procedure_edit", kwargs={"pk": procedure.pk})).content
    agents = _select(html.decode(), "agent")
    assert "孙立军" in agents
    for username in SYSTEM_ACCOUNTS:
        user = User.objects.get(username=username)
        assert f'value="{user.pk}"' not in agents and user.name not in agents
    # nor can one be posted
    zz = User.objects.get(username="zz_system")
    response = client.post(
        reverse("service:procedure_edit", kwargs={"pk": procedure.pk}),
        {"status": "in_progress", "agent": zz.pk, "department": sw.lead.pk},
    )
    assert response.status_code == 200
    procedure.refresh_from_db()
    assert procedure.agent == sw.staff_lead


def test_no_system_account_is_offered_among_who_went_on_a_visit(client, sw):
    # an oversight-office system account without a department is still not a person
    User.objects.filter(username__in=SYSTEM_ACCOUNTS).update(department=sw.oversight)
    client.force_login(sw.supervisor)
    html = client.get(reverse("service:visit_create") + f"?enterprise={sw.enterprise.pk}")
    html = html.content.decode()
    assert sw.supervisor.name in html
    for username in SYSTEM_ACCOUNTS:
        assert User.objects.get(username=username).name not in html


def test_raising_a_procedure_shows_the_category_chosen(client, sw, days):
    procedure = sw.procedure("规划许可", status="in_progress", planned_on=days(-3))
    client.force_login(sw.staff_lead)
    html = client.get(reverse("service:procedure_raise", kwargs={"pk": procedure.pk}))
    assert _selected_text(html.content.decode(), "category") == "审批手续"


def test_a_planned_row_keeps_its_unit_when_the_types_default_changes(sw, units):
    procedure = sw.procedure("环评批复", department=sw.lead)
    ProcedureType.objects.filter(name="环评批复").update(default_department=units["生态环境"])
    assert ProjectProcedure.objects.get(pk=procedure.pk).department == sw.lead
