"""Directory writes through the API: key projects, their 投资进度月报 and an enterprise's
contacts, each through the directory door with the screen's own form. Who may is the
authorization matrix's business (tests/api/test_authorization.py); here: what is written,
what a bad value gets, and that a refusal leaves the rows as they were."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from ledger.models import Contact, KeyProject, ProjectProgress
from tests import factories as f


@pytest.fixture
def office(db, api_token_for, bearer):
    dept = f.DepartmentFactory(name="区发改委")
    subdistrict = f.DepartmentFactory(name="中站街道办事处")
    return {
        "dept": dept,
        "subdistrict": subdistrict,
        "sup": bearer(api_token_for(f.SupervisorFactory(username="dw_sup"))),
        "staff": bearer(api_token_for(f.StaffFactory(username="dw_staff", department=dept))),
        "leader": f.LeaderFactory(user__username="dw_leader"),
        "owner": f.EnterpriseFactory(name="业主企业有限公司"),
    }


def _project(office, **fields):
    return {
        "name": "中站智能制造产业园",
        "level": "city",
        "sector": "industry",
        "year": timezone.localdate().year,
        "total_investment": "52000.00",
        "annual_plan": "12000.00",
        "leader": office["leader"].pk,
        "lead_department": office["dept"].pk,
        "owner": office["owner"].pk,
        **fields,
    }


# -- key projects --------------------------------------------------------------------------


def test_a_project_is_added_read_and_changed_through_the_door(office):
    sup = office["sup"]
    created = sup.post_json("/api/v1/projects/", _project(office))
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["leader"]["id"] == office["leader"].pk
    assert body["lead_department"]["name"] == "区发改委"
    assert (body["stage"], body["completed_this_year"]) == ("preparation", "0.00")
    project = KeyProject.objects.get(pk=body["id"])
    assert project.total_investment == Decimal("52000.00")
    assert project.history.count() == 1  # master-data history, as from the screen

    url = f"/api/v1/projects/{project.pk}/"
    assert sup.get(url).json()["name"] == "中站智能制造产业园"
    changed = sup.patch(url, {"stage": "construction"}, content_type="application/json")
    assert changed.status_code == 200, changed.content
    project.refresh_from_db()
    # only what was sent changed
    assert (project.stage, project.annual_plan) == ("construction", Decimal("12000.00"))
    assert project.leader_id == office["leader"].pk


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"start_date": "2026-05-01", "expected_completion": "2026-04-30"}, "expected_completion"),
        ({"year": 1789}, "year"),
        ({"total_investment": "-5"}, "total_investment"),
        ({"total_investment": "1e400"}, "total_investment"),
        ({"level": "county"}, "level"),
        ({"leader": 999999}, "leader"),
        ({"owner": "企业"}, "owner"),
        ({"name": ""}, "name"),
    ],
)
def test_a_bad_project_value_is_named_and_nothing_is_added(office, fields, field):
    refused = office["sup"].post_json("/api/v1/projects/", _project(office, **fields))
    assert refused.status_code == 400, refused.content
    assert refused["Content-Type"] == "application/problem+json"
    assert field in refused.json()["errors"]
    assert not KeyProject.objects.exists()


def test_a_second_project_of_the_same_name_is_refused_with_the_forms_words(office):
    f.KeyProjectFactory(name="中站智能制造产业园")
    refused = office["sup"].post_json("/api/v1/projects/", _project(office))
    assert refused.status_code == 400
    assert refused.json()["errors"]["name"] == ["已有同名的重点项目。"]
    english = office["sup"].post_json(
        "/api/v1/projects/", _project(office), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.json()["errors"]["name"] != ["已有同名的重点项目。"]
    assert KeyProject.objects.count() == 1


def test_a_project_sent_twice_with_one_key_is_added_once(office):
    payload = _project(office)
    first = office["sup"].post_json("/api/v1/projects/", payload, HTTP_IDEMPOTENCY_KEY="p-1")
    again = office["sup"].post_json("/api/v1/projects/", payload, HTTP_IDEMPOTENCY_KEY="p-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert KeyProject.objects.count() == 1


def test_a_refused_project_change_leaves_it_as_it_was(office):
    project = f.KeyProjectFactory(name="原项目", lead_department=office["dept"])
    url = f"/api/v1/projects/{project.pk}/"
    staff = office["staff"]
    assert (
        staff.patch(url, {"stage": "completed"}, content_type="application/json").status_code == 403
    )
    bad = office["sup"].patch(
        url, {"expected_completion": "2000-01-01", "start_date": "2020-01-01"},
        content_type="application/json",
    )  # fmt: skip
    assert bad.status_code == 400
    project.refresh_from_db()
    assert (project.stage, project.start_date) == ("preparation", None)


# -- 投资进度月报 -------------------------------------------------------------------------------


def test_the_lead_department_reports_a_month_and_it_becomes_the_projects_figure(office):
    year = timezone.localdate().year
    project = f.KeyProjectFactory(name="进度项目", lead_department=office["dept"], year=year)
    url = f"/api/v1/projects/{project.pk}/progress/"
    reported = office["staff"].post_json(
        url,
        {"month": f"{year}-01", "completed_this_year": "900.5", "stage": "construction"},
    )
    assert reported.status_code == 201, reported.content
    assert reported.json()["completed_this_year"] == "900.50"
    project.refresh_from_db()
    assert (project.completed_this_year, project.stage) == (Decimal("900.50"), "construction")
    report = ProjectProgress.objects.get(project=project)
    assert report.month == datetime.date(year, 1, 1)


@pytest.mark.parametrize(
    ("month", "amount", "field"),
    [
        ("2026-13", "10", "month"),  # no such month
        ("26-1", "10", "month"),
        ("1999-01", "10", "month"),  # outside the plan year
        ("2999-01", "10", "month"),
        ("{year}-01", "-1", "completed_this_year"),
    ],
)
def test_a_bad_progress_report_is_named_and_nothing_is_written(office, month, amount, field):
    year = timezone.localdate().year
    project = f.KeyProjectFactory(name="进度项目", lead_department=office["dept"], year=year)
    refused = office["staff"].post_json(
        f"/api/v1/projects/{project.pk}/progress/",
        {"month": month.format(year=year), "completed_this_year": amount, "stage": "construction"},
    )
    assert refused.status_code == 400, refused.content
    assert field in refused.json()["errors"]
    assert not ProjectProgress.objects.exists()
    project.refresh_from_db()
    assert project.completed_this_year == Decimal("0")


def test_a_later_month_may_not_report_less_than_an_earlier_one(office):
    year = timezone.localdate().year - 1  # a past plan year: both months are behind us
    project = f.KeyProjectFactory(name="进度项目", lead_department=office["dept"], year=year)
    url = f"/api/v1/projects/{project.pk}/progress/"
    staff = office["staff"]
    first = {"month": f"{year}-01", "completed_this_year": "500", "stage": "construction"}
    assert staff.post_json(url, first).status_code == 201
    less = {"month": f"{year}-02", "completed_this_year": "400", "stage": "construction"}
    refused = staff.post_json(url, less)
    assert refused.status_code == 400
    assert "completed_this_year" in refused.json()["errors"]
    assert ProjectProgress.objects.count() == 1


# -- an enterprise's contacts --------------------------------------------------------------------


def test_contacts_are_added_changed_and_removed_through_the_door(office):
    enterprise = f.EnterpriseFactory(name="联系人企业有限公司", subdistrict=office["subdistrict"])
    first = f.ContactFactory(enterprise=enterprise, name="王厂长", is_primary=True)
    sup = office["sup"]
    url = f"/api/v1/enterprises/{enterprise.pk}/contacts/"
    added = sup.post_json(
        url, {"name": "李会计", "position": "财务", "mobile": "+86 139 1234 5678"}
    )
    assert added.status_code == 201, added.content
    assert added.json()["mobile"] == "13912345678"  # normalised as on the screen
    assert added.json()["is_primary"] is False
    second = Contact.objects.get(pk=added.json()["id"])

    # made primary, the new one takes the place of the one before
    promoted = sup.patch(
        f"{url}{second.pk}/", {"is_primary": True}, content_type="application/json"
    )
    assert promoted.status_code == 200, promoted.content
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_primary, second.is_primary, second.position) == (False, True, "财务")

    # removing the primary one leaves the only remaining contact as the one to call
    assert sup.delete(f"{url}{second.pk}/").status_code == 204
    first.refresh_from_db()
    assert first.is_primary is True
    listed = sup.get(f"/api/v1/enterprises/{enterprise.pk}/").json()["contacts"]
    assert [c["name"] for c in listed] == ["王厂长"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "张三", "mobile": "12345"}, "mobile"),
        ({"name": "张三", "email": "不是邮箱"}, "email"),
        ({"name": ""}, "name"),
        ({"position": "主任"}, "name"),
        ({"name": "张三", "is_primary": "maybe"}, "is_primary"),
    ],
)
def test_a_bad_contact_is_named_and_nothing_is_added(office, fields, field):
    enterprise = f.EnterpriseFactory(name="联系人企业有限公司")
    refused = office["sup"].post_json(f"/api/v1/enterprises/{enterprise.pk}/contacts/", fields)
    assert refused.status_code == 400, refused.content
    assert field in refused.json()["errors"]
    assert not Contact.objects.exists()


def test_a_contact_is_reached_only_through_its_own_enterprise(office):
    mine = f.EnterpriseFactory(name="甲企业有限公司")
    theirs = f.ContactFactory(
        enterprise=f.EnterpriseFactory(name="乙企业有限公司"), name="乙联系人"
    )
    url = f"/api/v1/enterprises/{mine.pk}/contacts/{theirs.pk}/"
    sup = office["sup"]
    assert sup.patch(url, {"name": "改名"}, content_type="application/json").status_code == 404
    assert sup.delete(url).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "乙联系人"
