"""Keeping the directories in the app (issue 9, item 12): who adds and edits enterprises
(with contacts) and key projects, 待核实 enterprises confirmed by the oversight office, and
the monthly investment progress report that moves a project's pace flag."""

import datetime
import re
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from ledger import services
from ledger.models import Contact, Enterprise, KeyProject, ProjectProgress
from tests import factories as f

ADD_ENTERPRISE = reverse("enterprise_create")
ADD_PROJECT = reverse("project_create")

# the box above a refused directory form (templates/ledger/_form_errors.html)
NOT_SAVED = "尚未保存，请按标红处的提示修改后重新提交。"


@pytest.fixture
def town(world):
    """The world plus a sub-district office with a member and an enterprise of its own."""
    world.subdistrict = f.DepartmentFactory(name="府城办事处", kind="subdistrict")
    world.other_subdistrict = f.DepartmentFactory(name="冯封办事处", kind="subdistrict")
    world.sub_staff = f.StaffFactory(username="sub_staff", department=world.subdistrict)
    world.local = f.EnterpriseFactory(subdistrict=world.subdistrict)
    world.elsewhere = f.EnterpriseFactory(subdistrict=world.other_subdistrict)
    world.project.lead_department = world.dept_b
    world.project.year = timezone.localdate().year
    world.project.annual_plan = Decimal("1200")
    world.project.completed_this_year = Decimal("0")
    world.project.save()
    return world


def login(client, user):
    client.force_login(user)
    return client


def enterprise_data(**overrides):
    data = {
        "creation_token": uuid.uuid4().hex,  # each call a fresh page
        "name": "中站区新材料有限公司",
        "credit_code": f.valid_credit_code(7001),
        "industry": "新材料",
        "scale": "above",
        "address": "西部工业集聚区",
        "subdistrict": "",
        "leader": "",
        "is_active": "on",
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
        "contacts-0-name": "王经理",
        "contacts-0-position": "总经理",
        "contacts-0-mobile": "139 1234 5678",
        "contacts-0-office_phone": "",
        "contacts-0-email": "",
        "contacts-0-is_primary": "on",
    }
    data.update(overrides)
    return data


def project_data(world, **overrides):
    data = {
        "creation_token": uuid.uuid4().hex,
        "name": "绿色涂料特色产业园二期",
        "level": "city",
        "nature": "new",
        "sector": "industry",
        "year": str(timezone.localdate().year),
        "total_investment": "30000",
        "annual_plan": "6000",
        "completed_this_year": "0",
        "stage": "preparation",
        "leader": world.leader.pk,
        "lead_department": world.dept_b.pk,
        "owner": world.enterprise.pk,
        "start_date": "",
        "expected_completion": "",
    }
    data.update(overrides)
    return data


# -- who may do what ------------------------------------------------------------------

ROLES = ["supervisor", "admin", "sub_staff", "staff_a", "staff_b", "leader"]


def user_of(world, role):
    return world.leader.user if role == "leader" else getattr(world, role)


# role: (add enterprise, edit own sub-district's, edit another's, verify, add/edit project,
#        report progress of a project led by dept_b)
EXPECTED = {
    "supervisor": (True, True, True, True, True, True),
    "admin": (True, True, True, True, True, True),
    "sub_staff": (True, True, False, False, False, False),
    "staff_a": (False, False, False, False, False, False),
    "staff_b": (False, False, False, False, False, True),  # the project's lead department
    "leader": (False, False, False, False, False, False),
}


@pytest.mark.parametrize("role", ROLES)
def test_directory_upkeep_follows_the_role_table(client, town, role):
    w = town
    login(client, user_of(w, role))
    add, edit_local, edit_other, verify, project, report = EXPECTED[role]

    def allowed(url, method="get"):
        status = getattr(client, method)(url).status_code
        assert status in (200, 302, 403), status
        return status != 403

    assert allowed(ADD_ENTERPRISE) is add
    assert allowed(reverse("enterprise_edit", args=[w.local.pk])) is edit_local
    assert allowed(reverse("enterprise_edit", args=[w.elsewhere.pk])) is edit_other
    assert allowed(reverse("enterprise_verify", args=[w.local.pk]), "post") is verify
    assert allowed(ADD_PROJECT) is project
    assert allowed(reverse("project_edit", args=[w.project.pk])) is project
    assert allowed(reverse("project_progress", args=[w.project.pk])) is report
    # the buttons say the same as the doors
    html = client.get(reverse("enterprise_detail", args=[w.local.pk])).content.decode()
    assert (reverse("enterprise_edit", args=[w.local.pk]) in html) is edit_local
    html = client.get(reverse("project_detail", args=[w.project.pk])).content.decode()
    assert (reverse("project_progress", args=[w.project.pk]) in html) is report
    assert (reverse("project_edit", args=[w.project.pk]) in html) is project


def test_upkeep_pages_need_sign_in(client, town):
    for url in (ADD_ENTERPRISE, ADD_PROJECT, reverse("project_progress", args=[town.project.pk])):
        response = client.get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"]


# -- enterprises ------------------------------------------------------------------------


def test_supervisor_adds_an_enterprise_with_a_contact_and_it_is_verified(client, town):
    code = f.valid_credit_code(7001)
    data = enterprise_data(credit_code=" " + code.lower(), leader=town.leader.pk)
    response = login(client, town.supervisor).post(ADD_ENTERPRISE, data)
    enterprise = Enterprise.objects.get(credit_code=code)
    assert response["Location"] == reverse("enterprise_detail", args=[enterprise.pk])
    assert enterprise.is_verified and enterprise.added_by == town.supervisor
    assert enterprise.leader == town.leader
    contact = enterprise.contacts.get()
    assert (contact.name, contact.mobile, contact.is_primary) == ("王经理", "13912345678", True)


def test_subdistrict_staff_adds_an_enterprise_of_their_own_subdistrict_to_be_verified(client, town):
    data = enterprise_data(subdistrict=town.other_subdistrict.pk, leader=town.leader.pk)
    login(client, town.sub_staff).post(ADD_ENTERPRISE, data)
    enterprise = Enterprise.objects.get(name="中站区新材料有限公司")
    assert enterprise.subdistrict == town.subdistrict  # not the one posted
    assert enterprise.leader is None  # 分包 is the oversight office's to set
    assert not enterprise.is_verified and enterprise.added_by == town.sub_staff
    html = client.get(reverse("enterprise_detail", args=[enterprise.pk])).content.decode()
    assert "待核实" in html and "核实无误" not in html
    html = client.get(reverse("enterprise_list"), {"verified": "no"}).content.decode()
    assert enterprise.name in html and town.enterprise.name not in html


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"credit_code": "91410803MA0000000X"}, "credit_code", "校验位错误"),
        ({"credit_code": "12345"}, "credit_code", "应为 18 位"),
        ({"credit_code": ""}, "credit_code", "请填写统一社会信用代码。"),
        ({"name": ""}, "name", "请填写企业名称。"),
        ({"contacts-0-mobile": "1391234567"}, "mobile", "手机号码应为 11 位数字"),
        ({"contacts-0-mobile": "12912345678"}, "mobile", "以 13–19 开头"),
        ({"contacts-0-name": ""}, "name", "请填写联系人姓名。"),
    ],
)
def test_bad_enterprise_input_is_explained_and_nothing_is_saved(
    client, town, overrides, field, message
):
    before = Enterprise.objects.count()
    response = login(client, town.supervisor).post(ADD_ENTERPRISE, enterprise_data(**overrides))
    assert response.status_code == 200
    forms = [response.context["form"], *response.context["contacts"].forms]
    errors = [str(e) for form in forms for e in form.errors.get(field, [])]
    assert any(message in error for error in errors), errors
    assert NOT_SAVED in response.content.decode()
    assert Enterprise.objects.count() == before and not Contact.objects.filter(name="王经理")


def test_duplicate_enterprise_name_or_code_is_refused_clearly(client, town):
    login(client, town.supervisor)
    response = client.post(ADD_ENTERPRISE, enterprise_data(name=town.enterprise.name))
    assert "名录中已有同名企业" in str(response.context["form"].errors["name"])
    response = client.post(ADD_ENTERPRISE, enterprise_data(credit_code=town.enterprise.credit_code))
    assert "已有使用该统一社会信用代码" in str(response.context["form"].errors["credit_code"])


def test_editing_moves_the_primary_contact_and_removes_one(client, town):
    enterprise = town.local
    old = f.ContactFactory(enterprise=enterprise, name="旧联系人", is_primary=True)
    other = f.ContactFactory(enterprise=enterprise, name="新联系人", is_primary=False)
    data = enterprise_data(
        name=enterprise.name,
        credit_code=enterprise.credit_code,
        **{
            "contacts-TOTAL_FORMS": "3",
            "contacts-INITIAL_FORMS": "2",
            "contacts-0-id": old.pk,
            "contacts-0-name": old.name,
            "contacts-0-mobile": "",
            "contacts-0-is_primary": "",
            "contacts-0-DELETE": "on",
            "contacts-1-id": other.pk,
            "contacts-1-name": other.name,
            "contacts-1-is_primary": "on",
            "contacts-2-name": "",
        },
    )
    response = login(client, town.sub_staff).post(
        reverse("enterprise_edit", args=[enterprise.pk]), data
    )
    assert response.status_code == 302
    assert list(enterprise.contacts.values_list("name", "is_primary")) == [("新联系人", True)]


def test_two_primary_contacts_are_refused(client, town):
    data = enterprise_data(
        **{
            "contacts-TOTAL_FORMS": "2",
            "contacts-1-name": "李会计",
            "contacts-1-is_primary": "on",
        }
    )
    response = login(client, town.supervisor).post(ADD_ENTERPRISE, data)
    assert "只能有一位主要联系人" in str(response.context["contacts"].non_form_errors())
    # the formset's own error is in the box above the form, not only beside a contact
    box = response.content.decode().split('data-testid="form-errors"')[1].split("</div>")[0]
    assert "只能有一位主要联系人" in box and NOT_SAVED in box
    assert not Enterprise.objects.filter(name="中站区新材料有限公司").exists()


def test_supervisor_confirms_an_unverified_enterprise(client, town):
    enterprise = f.EnterpriseFactory(is_verified=False, added_by=town.staff_a)
    login(client, town.staff_a)
    assert client.post(reverse("enterprise_verify", args=[enterprise.pk])).status_code == 403
    login(client, town.supervisor)
    html = client.get(reverse("enterprise_detail", args=[enterprise.pk])).content.decode()
    assert "核实无误" in html and "待核实" in html
    response = client.post(reverse("enterprise_verify", args=[enterprise.pk]))
    assert response.status_code == 302
    enterprise.refresh_from_db()
    assert enterprise.is_verified
    assert client.get(reverse("enterprise_verify", args=[enterprise.pk])).status_code == 405


def test_services_refuse_who_the_rules_refuse(town):
    with pytest.raises(PermissionDenied):
        services.enterprise_update(actor=town.sub_staff, enterprise=town.elsewhere, data={})
    with pytest.raises(PermissionDenied):
        services.enterprise_verify(actor=town.staff_a, enterprise=town.local)
    with pytest.raises(PermissionDenied):
        services.enterprise_create(actor=town.leader.user, data={}, verified=False)


# -- the door (ledger.services.directory): its rules, tested once --------------------------


def test_the_door_records_who_added_an_enterprise_and_what_is_still_to_verify(town):
    by_office = services.enterprise_create(
        actor=town.supervisor, data={"name": "甲企业", "credit_code": f.valid_credit_code(8101)}
    )
    by_subdistrict = services.enterprise_create(
        actor=town.sub_staff,
        data={"name": "乙企业", "credit_code": f.valid_credit_code(8102)},
    )
    while_logging = services.enterprise_create(
        actor=town.staff_a,
        data={"name": "丙企业", "credit_code": f.valid_credit_code(8103)},
        verified=False,
    )
    assert [(e.added_by, e.is_verified) for e in (by_office, by_subdistrict, while_logging)] == [
        (town.supervisor, True),
        (town.sub_staff, False),
        (town.staff_a, False),
    ]


def test_the_door_refuses_contacts_and_projects_to_whom_the_rules_refuse(town):
    contact = f.ContactFactory(enterprise=town.elsewhere)
    with pytest.raises(PermissionDenied):
        services.contact_create(
            actor=town.sub_staff, enterprise=town.elsewhere, data={"name": "甲"}
        )
    with pytest.raises(PermissionDenied):
        services.contact_update(actor=town.sub_staff, contact=contact, data={"is_primary": True})
    with pytest.raises(PermissionDenied):
        services.project_create(actor=town.sub_staff, data={"name": "新项目"})
    with pytest.raises(PermissionDenied):
        services.project_update(actor=town.staff_a, project=town.project, data={"stage": "done"})
    assert not Contact.objects.filter(name="甲").exists()
    contact.refresh_from_db()
    assert not contact.is_primary and not KeyProject.objects.filter(name="新项目").exists()


def test_the_door_keeps_one_primary_contact_and_history_records_the_demotion(town):
    enterprise = town.local
    old = f.ContactFactory(enterprise=enterprise, name="旧联系人", is_primary=True)
    new = services.contact_create(
        actor=town.sub_staff, enterprise=enterprise, data={"name": "新联系人", "is_primary": True}
    )
    assert list(enterprise.contacts.values_list("name", "is_primary")) == [
        ("新联系人", True),
        ("旧联系人", False),
    ]
    assert old.history.latest().is_primary is False
    services.contact_update(actor=town.sub_staff, contact=old, data={"is_primary": True})
    new.refresh_from_db()
    assert not new.is_primary and enterprise.primary_contact == old


def test_the_door_refuses_two_primary_contacts_and_saves_nothing(town):
    two = [
        {"id": None, "delete": False, "name": "王经理", "is_primary": True},
        {"id": None, "delete": False, "name": "李会计", "is_primary": True},
    ]
    data = {"name": "丁企业", "credit_code": f.valid_credit_code(8104)}
    with pytest.raises(ValidationError, match="只能有一位主要联系人"):
        services.enterprise_create(actor=town.supervisor, data=data, contacts=two)
    assert not Enterprise.objects.filter(name="丁企业").exists()
    assert not Contact.objects.filter(name__in=["王经理", "李会计"]).exists()


def test_the_door_refuses_a_bad_value_with_a_message_and_saves_nothing(town):
    bad_code = f.valid_credit_code(8105)[:17] + "#"
    with pytest.raises(ValidationError) as refused:
        services.enterprise_create(
            actor=town.supervisor,
            data={"name": "戊企业", "credit_code": bad_code},
            contacts=[{"id": None, "delete": False, "name": "王经理"}],
        )
    assert "credit_code" in refused.value.message_dict
    assert not Enterprise.objects.filter(name="戊企业").exists()
    assert not Contact.objects.filter(name="王经理").exists()
    contact = f.ContactFactory(enterprise=town.local, mobile="13900000000")
    with pytest.raises(ValidationError) as refused:
        services.contact_update(actor=town.sub_staff, contact=contact, data={"mobile": "12345"})
    assert "mobile" in refused.value.message_dict
    contact.refresh_from_db()
    assert contact.mobile == "13900000000"


def test_the_door_refuses_a_field_it_does_not_write(town):
    with pytest.raises(TypeError, match="nmae"):
        services.enterprise_update(actor=town.supervisor, enterprise=town.local, data={"nmae": "x"})
    with pytest.raises(TypeError, match="added_by"):
        services.project_create(actor=town.supervisor, data={"added_by": town.supervisor})


# -- key projects -----------------------------------------------------------------------


def test_supervisor_adds_and_edits_a_key_project(client, town):
    login(client, town.supervisor)
    response = client.post(ADD_PROJECT, project_data(town))
    project = KeyProject.objects.get(name="绿色涂料特色产业园二期")
    assert response["Location"] == reverse("project_detail", args=[project.pk])
    assert project.owner == town.enterprise and project.annual_plan == Decimal("6000")
    data = project_data(town, annual_plan="8000", stage="construction")
    client.post(reverse("project_edit", args=[project.pk]), data)
    project.refresh_from_db()
    assert project.annual_plan == Decimal("8000") and project.stage == "construction"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "请填写项目名称。"),
        ({"annual_plan": "-1"}, "annual_plan", ""),
        ({"annual_plan": "abc"}, "annual_plan", ""),
        (
            {"start_date": "2026-06-01", "expected_completion": "2026-01-01"},
            "expected_completion",
            "不能早于开工日期",
        ),
    ],
)
def test_bad_project_input_is_explained(client, town, overrides, field, message):
    response = login(client, town.supervisor).post(ADD_PROJECT, project_data(town, **overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors.get(field)
    assert errors and message in str(errors)
    assert NOT_SAVED in response.content.decode()
    assert not KeyProject.objects.filter(name="绿色涂料特色产业园二期").exists()


# -- the monthly investment progress report ------------------------------------------------


def progress_url(project):
    return reverse("project_progress", args=[project.pk])


def this_month(offset=0) -> str:
    today = timezone.localdate()
    month = today.month + offset
    return f"{today.year}-{month:02d}"


def test_lead_department_reports_progress_and_the_pace_flag_moves(client, town):
    project = town.project
    today = timezone.localdate()
    assert project.pace(today) in ("red", "yellow") or today.month <= 3
    data = {"month": this_month(), "completed_this_year": "1200", "stage": "construction"}
    response = login(client, town.staff_b).post(progress_url(project), {**data, "note": "主体封顶"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.completed_this_year == Decimal("1200") and project.stage == "construction"
    assert project.pace(today) == "green"
    report = ProjectProgress.objects.get()
    assert report.reported_by == town.staff_b and report.note == "主体封顶"
    html = client.get(reverse("project_detail", args=[project.pk])).content.decode()
    assert 'data-testid="progress-history"' in html and "主体封顶" in html
    assert "1,200.00" in html  # 万元 as the rest of the ledger writes them


def test_a_second_report_of_the_same_month_corrects_it(client, town):
    login(client, town.supervisor)
    for amount in ("100", "150"):
        data = {"month": this_month(), "completed_this_year": amount, "stage": "construction"}
        assert client.post(progress_url(town.project), data).status_code == 302
    assert ProjectProgress.objects.get().completed_this_year == Decimal("150")


def test_an_earlier_month_is_history_and_does_not_overwrite_the_latest(client, town):
    year = timezone.localdate().year - 1  # last year: November and December are both past
    town.project.year = year
    town.project.save()
    login(client, town.supervisor)
    url = progress_url(town.project)
    december, november = f"{year}-12", f"{year}-11"
    client.post(url, {"month": december, "completed_this_year": "500", "stage": "construction"})
    response = client.post(
        url, {"month": november, "completed_this_year": "600", "stage": "construction"}
    )
    assert "不能多于" in str(response.context["form"].errors["completed_this_year"])
    client.post(url, {"month": november, "completed_this_year": "300", "stage": "preparation"})
    town.project.refresh_from_db()
    assert town.project.completed_this_year == Decimal("500")
    assert town.project.stage == "construction"
    assert ProjectProgress.objects.count() == 2
    response = client.post(
        url, {"month": december, "completed_this_year": "200", "stage": "construction"}
    )
    assert "不能少于" in str(response.context["form"].errors["completed_this_year"])


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"month": "2026-13"}, "month", "月份格式应为"),
        ({"month": ""}, "month", "请选择填报的月份。"),
        ({"completed_this_year": "-5"}, "completed_this_year", "不能为负数"),
        ({"completed_this_year": ""}, "completed_this_year", "请填写本年累计完成投资"),
        ({"month": "1999-01"}, "month", "计划年度"),
    ],
)
def test_bad_progress_input_is_explained(client, town, data, field, message):
    post = {"month": this_month(), "completed_this_year": "10", "stage": "construction", **data}
    response = login(client, town.supervisor).post(progress_url(town.project), post)
    assert response.status_code == 200
    assert message in str(response.context["form"].errors[field])
    assert NOT_SAVED in response.content.decode()
    assert not ProjectProgress.objects.exists()


def test_a_future_month_is_refused(town):
    today = timezone.localdate()
    later = datetime.date(today.year + 1, 1, 1)
    town.project.year = later.year
    town.project.save()
    with pytest.raises(ValidationError) as refused:
        services.project_progress_report(
            actor=town.supervisor,
            project=town.project,
            month=later,
            completed_this_year=Decimal("1"),
            stage="construction",
        )
    assert "尚未到来" in str(refused.value)


def test_upkeep_pages_render_without_inline_script_or_style(client, town):
    login(client, town.supervisor)
    for url in (
        ADD_ENTERPRISE,
        reverse("enterprise_edit", args=[town.local.pk]),
        ADD_PROJECT,
        reverse("project_edit", args=[town.project.pk]),
        progress_url(town.project),
    ):
        html = client.get(url).content.decode()
        assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None
        assert ' style="' not in html
