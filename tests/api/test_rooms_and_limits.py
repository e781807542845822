"""The rooms' endpoints (notifications, figures), the directories, and the limits (429 with
Retry-After)."""

import pytest

from ledger import workflow
from ledger.api.models import ApiClient
from ledger.notify.services import event_notify
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    dept = f.DepartmentFactory(name="区住建局")
    staff = f.StaffFactory(username="rooms_staff", department=dept)
    supervisor = f.SupervisorFactory(username="rooms_sup")
    leader = f.LeaderFactory(user__username="rooms_leader")
    issue = workflow.issue_raise(
        actor=staff,
        title="通知测试问题",
        description="描述",
        category=f.CategoryFactory(name="用工"),
        source=f.SourceFactory(name="企业走访"),
    )
    # what the commit would do: tell the recipients of the raise (the oversight office)
    event_notify(issue.events.get().pk)
    return {"dept": dept, "staff": staff, "sup": supervisor, "leader": leader, "issue": issue}


def test_notifications_are_the_callers_own_and_can_be_marked_read(people, api_token_for, bearer):
    sup = bearer(api_token_for(people["sup"]))
    body = sup.get("/api/v1/notifications/").json()
    assert body["unread"] >= 1
    first = body["results"][0]
    assert first["issue"] == people["issue"].number
    staff = bearer(api_token_for(people["staff"]))
    assert staff.post(f"/api/v1/notifications/{first['id']}/read/").status_code == 404
    assert sup.post(f"/api/v1/notifications/{first['id']}/read/").status_code == 200
    assert sup.get("/api/v1/notifications/?unread=1").json()["unread"] == body["unread"] - 1
    assert sup.post("/api/v1/notifications/read-all/").status_code == 200
    assert sup.get("/api/v1/notifications/").json()["unread"] == 0


def test_figures_for_everyone_assessment_for_the_office(people, api_token_for, bearer):
    staff = bearer(api_token_for(people["staff"]))
    figures = staff.get("/api/v1/figures/dashboard/")
    assert figures.status_code == 200
    assert {row["code"]: row["count"] for row in figures.json()["statuses"]}["raised"] == 1
    assert staff.get("/api/v1/figures/assessment/").status_code == 403
    sup = bearer(api_token_for(people["sup"]))
    table = sup.get("/api/v1/figures/assessment/?by=department")
    assert table.status_code == 200
    assert table.json()["kind"] == "department"
    assert sup.get("/api/v1/figures/assessment/?year=abc").status_code == 400


def test_directories_read_and_enterprise_create_through_the_door(people, api_token_for, bearer):
    f.EnterpriseFactory(name="名录企业有限公司")
    staff = bearer(api_token_for(people["staff"]))
    names = [row["name"] for row in staff.get("/api/v1/enterprises/").json()["results"]]
    assert "名录企业有限公司" in names
    assert staff.get("/api/v1/departments/").status_code == 200
    assert staff.get("/api/v1/leaders/").status_code == 200
    payload = {"name": "新办企业有限公司", "credit_code": f.valid_credit_code(77)}
    assert staff.post_json("/api/v1/enterprises/", payload).status_code == 403
    sup = bearer(api_token_for(people["sup"]))
    created = sup.post_json("/api/v1/enterprises/", payload)
    assert created.status_code == 201, created.content
    assert created.json()["is_verified"] is True
    bad = sup.post_json("/api/v1/enterprises/", {"name": "坏代码企业", "credit_code": "123"})
    assert bad.status_code == 400
    assert "credit_code" in bad.json()["errors"]


def test_429_with_retry_after_per_caller(people, api_token_for, bearer, settings):
    settings.API_TOKEN_RATE_PER_MINUTE = 3
    staff = bearer(api_token_for(people["staff"]))
    codes = [staff.get("/api/v1/departments/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = staff.get("/api/v1/departments/")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused["Content-Type"] == "application/problem+json"
    # another caller has its own bucket
    other = bearer(api_token_for(people["sup"]))
    assert other.get("/api/v1/departments/").status_code == 200


def test_a_client_has_its_own_limit(people, api_client_for, bearer):
    _client, secret = api_client_for(
        people["dept"], sees=ApiClient.Sees.DEPARTMENT, rate_per_minute=2
    )
    api = bearer(secret)
    codes = [api.get("/api/v1/departments/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_enterprise_update_changes_only_what_is_sent(people, api_token_for, bearer):
    enterprise = f.EnterpriseFactory(name="改名前企业有限公司", industry="制造业")
    sup = bearer(api_token_for(people["sup"]))
    url = f"/api/v1/enterprises/{enterprise.pk}/"
    changed = sup.patch(url, {"address": "中站区新路 8 号"}, content_type="application/json")
    assert changed.status_code == 200, changed.content
    enterprise.refresh_from_db()
    assert (enterprise.address, enterprise.industry) == ("中站区新路 8 号", "制造业")
    bad = sup.patch(url, {"credit_code": "123"}, content_type="application/json")
    assert bad.status_code == 400
    enterprise.refresh_from_db()
    assert enterprise.credit_code != "123"
    staff = bearer(api_token_for(people["staff"]))
    assert staff.patch(url, {"address": "x"}, content_type="application/json").status_code == 403
