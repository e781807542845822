"""POST /api/v1/intake/: a work order in becomes an issue raised as the client's account, the
same work order twice is one issue, unknown names wait in the 待核实 queue (or are refused
for a strict client), and bad input changes nothing."""

import json

import pytest
from django.urls import reverse

from ledger.api.models import IntakeOrder
from ledger.exchange.matching import name_key
from ledger.exchange.models import NameAlias
from ledger.models import Issue
from ledger.rooms import match_name
from tests import factories as f
from tests.api.intake_support import CREDIT_CODE, api_client_make, bearer, work_order

URL = "/api/v1/intake/"


def send(http, plain, order, **headers):
    return http.post(
        URL, data=json.dumps(order), content_type="application/json", **bearer(plain), **headers
    )


@pytest.fixture
def hotline(world):
    return api_client_make(world)


def test_the_route_is_named_under_the_api(db):
    assert reverse("api:intake") == URL


def test_a_work_order_with_known_names_raises_an_issue_as_the_clients_account(
    client, world, hotline
):
    api, plain = hotline
    enterprise = f.EnterpriseFactory(credit_code=CREDIT_CODE, leader=world.leader)
    response = send(client, plain, work_order(credit_code=CREDIT_CODE))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "raised" and body["unknown"] == []
    issue = Issue.objects.get(number=body["issue"]["number"])
    assert body["issue"]["url"].endswith(reverse("issue_detail", args=[issue.number]))
    assert issue.status == "raised"
    assert issue.raised_by == api.account
    assert issue.raising_department == api.department
    assert issue.source == api.source
    assert issue.category == world.category
    assert issue.enterprise == enterprise
    assert issue.leader == world.leader  # the enterprise's 分包 leader, as on the screen
    assert issue.title == "厂区门前道路积水"
    assert "GD20261206000123" in issue.description and "张先生" in issue.description
    order = IntakeOrder.objects.get()
    assert (order.client, order.external_id, order.issue) == (api, "GD20261206000123", issue)
    assert order.sender_deadline.isoformat() == "2026-12-16"
    assert issue.events.get().action == "raise"


def test_the_same_work_order_again_returns_the_same_issue(client, world, hotline):
    _api, plain = hotline
    first = send(client, plain, work_order())
    again = send(client, plain, work_order(title="标题改了也一样"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["issue"]["number"] == first.json()["issue"]["number"]
    assert Issue.objects.count() == 1 and IntakeOrder.objects.count() == 1
    assert Issue.objects.get().title == "厂区门前道路积水"


def test_an_idempotency_key_replays_the_first_answer_and_refuses_another_order(
    client, world, hotline
):
    _api, plain = hotline
    first = send(client, plain, work_order(), HTTP_IDEMPOTENCY_KEY="wo-1")
    again = send(client, plain, work_order(), HTTP_IDEMPOTENCY_KEY="wo-1")
    other = send(client, plain, work_order(external_id="GD-OTHER"), HTTP_IDEMPOTENCY_KEY="wo-1")

    assert first.status_code == 201, first.content
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert other.status_code == 422 and other["Content-Type"] == "application/problem+json"
    assert IntakeOrder.objects.count() == 1 and Issue.objects.count() == 1


def test_two_clients_may_use_the_same_external_id(client, world, hotline):
    _api, plain = hotline
    _other, other_plain = api_client_make(world, name="企业服务平台", source=False)
    assert send(client, plain, work_order()).status_code == 201
    response = send(client, other_plain, work_order(external_system="企业走访"))
    assert response.status_code == 201
    assert Issue.objects.count() == 2


def test_names_are_mapped_through_the_exchange_rooms_aliases(client, world, hotline):
    _api, plain = hotline
    enterprise = f.EnterpriseFactory(name="焦作风神轮胎股份有限公司")
    for kind, alias, target in (
        ("category", "城市管理-道路积水", world.category),
        ("enterprise", "风神 轮胎厂", enterprise),
    ):
        NameAlias.objects.create(
            kind=kind, alias=name_key(alias), target_id=target.pk, created_by=world.admin
        )
    # the hook itself: width, spaces and punctuation folded as on imports
    assert match_name("category", "城市管理－道路积水 ") == world.category.pk
    assert match_name("category", "无此别名") is None
    response = send(
        client, plain, work_order(category="城市管理-道路积水", enterprise_name="风神轮胎厂")
    )
    assert response.status_code == 201, response.content
    issue = Issue.objects.get()
    assert (issue.category, issue.enterprise) == (world.category, enterprise)


def test_an_alias_to_a_deleted_entry_is_no_match(world):
    NameAlias.objects.create(
        kind="category", alias=name_key("旧类别"), target_id=999999, created_by=world.admin
    )
    assert match_name("category", "旧类别") is None


def test_unknown_names_wait_in_the_queue(client, world, hotline):
    _api, plain = hotline
    response = send(client, plain, work_order(category="市容环境", enterprise_name="不存在的公司"))
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["state"] == "pending" and body["issue"] is None
    assert body["unknown"] == ["category", "enterprise_name"]
    assert not Issue.objects.exists()
    order = IntakeOrder.objects.get()
    assert order.state == "pending" and order.category_name == "市容环境"
    # sent again while it waits: the same order, still 202, still no issue
    again = send(client, plain, work_order(category="市容环境", enterprise_name="不存在的公司"))
    assert again.status_code == 202 and again.json()["id"] == body["id"]
    assert IntakeOrder.objects.count() == 1


def test_a_strict_client_gets_422_naming_the_unknown_field(client, world):
    _api, plain = api_client_make(world, strict_names=True)
    response = send(client, plain, work_order(enterprise_name="不存在的公司"))
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 422
    assert set(problem["errors"]) == {"enterprise_name"}
    assert "不存在的公司" in str(problem["errors"]["enterprise_name"])
    assert not IntakeOrder.objects.exists() and not Issue.objects.exists()


def test_a_category_the_client_may_not_set_is_not_used(client, world):
    other = f.CategoryFactory(name="环保安全")
    _api, plain = api_client_make(world, categories=[other])
    response = send(client, plain, work_order(category=world.category.name))
    assert response.status_code == 202
    assert response.json()["unknown"] == ["category"]
    assert (
        send(client, plain, work_order(external_id="B-2", category="环保安全")).status_code == 201
    )
    assert Issue.objects.get().category == other


def test_without_a_source_the_external_system_names_it(client, world):
    _api, plain = api_client_make(world, source=False)
    response = send(client, plain, work_order(external_system=world.source.name))
    assert response.status_code == 201
    assert Issue.objects.get().source == world.source
    unknown = send(client, plain, work_order(external_id="X-2", external_system="某平台"))
    assert unknown.status_code == 202 and unknown.json()["unknown"] == ["external_system"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "长" * 201}, "title"),
        ({"external_id": None}, "external_id"),
        ({"category": ""}, "category"),
        ({"deadline": "2026-13-45"}, "deadline"),
        ({"received_at": "昨天"}, "received_at"),
        ({"description": "含\x00空字符"}, "description"),
        ({"external_id": "一" * 101}, "external_id"),
    ],
)
def test_bad_input_is_a_problem_with_field_errors_and_changes_nothing(
    client, world, hotline, change, field
):
    _api, plain = hotline
    response = send(client, plain, work_order(**change))
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in response.json()["errors"]
    assert not IntakeOrder.objects.exists() and not Issue.objects.exists()


def test_a_body_that_is_not_json_is_a_400(client, hotline):
    _api, plain = hotline
    response = client.post(URL, data="{not json", content_type="application/json", **bearer(plain))
    assert response.status_code == 400
    assert not IntakeOrder.objects.exists()


def test_who_may_send_work_orders(client, world, hotline):
    _api, plain = hotline
    _reader, reader_plain = api_client_make(world, name="只读平台", scopes=("issues:read",))
    assert client.post(URL, data="{}", content_type="application/json").status_code == 401
    assert send(client, "zzc_000000000000_wrong", work_order()).status_code == 401
    assert send(client, reader_plain, work_order()).status_code == 403
    # a person (session) has no business sending work orders
    client.force_login(world.supervisor)
    response = client.post(URL, data=json.dumps(work_order()), content_type="application/json")
    assert response.status_code == 403
    client.logout()
    assert send(client, plain, work_order()).status_code == 201
    assert client.get(URL, **bearer(plain)).status_code == 405
    assert Issue.objects.count() == 1


def test_an_entry_no_longer_in_use_is_not_matched(client, world, hotline):
    _api, plain = hotline
    f.EnterpriseFactory(credit_code=CREDIT_CODE, is_active=False)
    world.category.is_active = False
    world.category.save()
    response = send(client, plain, work_order(credit_code=CREDIT_CODE))
    assert response.status_code == 202
    assert response.json()["unknown"] == ["category", "credit_code"]
    assert not Issue.objects.exists()


def test_text_that_is_not_unicode_is_refused_not_a_500(client, world, hotline):
    """A lone surrogate (\\ud800) is valid JSON but no database can store it."""
    _api, plain = hotline
    body = json.dumps(work_order(), ensure_ascii=False).replace("厂区门前道路积水", "\\ud800积水")
    response = client.post(URL, data=body, content_type="application/json", **bearer(plain))
    assert response.status_code == 400
    assert "title" in response.json()["errors"]
    assert not IntakeOrder.objects.exists() and not Issue.objects.exists()
