"""The 待核实 queue's screens: only the oversight office (supervisor, administrator) opens
them; it picks the names and raises the order's issue as the client's account, or rejects
the order with a reason that goes back to the sender by webhook.

The authorization rows below are written out by hand (like tests/test_authorization_matrix.py)
and test_every_queue_route_has_rows fails when a route of the queue has none."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from ledger.api.models import IntakeOrder, WebhookDelivery
from ledger.models import Issue
from tests import factories as f
from tests.api.intake_support import api_client_make, subscribe, work_order

ROLES = ("anon", "staff", "leader", "account", "sup", "admin")

# route          method  anon lead... (expected status per role)
MATRIX = """
intake_queue     GET     302  403  403  403  200  200
intake_order     GET     302  403  403  403  200  200
intake_order     POST    302  403  403  403  302  302
intake_reject    GET     302  405  405  405  405  405
intake_reject    POST    302  403  403  403  302  302
"""
ROWS = [line.split() for line in MATRIX.strip().splitlines()]


def pending_order(api, **overrides):
    data = work_order(**overrides)
    return IntakeOrder.objects.create(
        client=api,
        external_system=data["external_system"],
        external_id=data["external_id"],
        title=data["title"],
        description=data["description"],
        reporter_name=data["reporter_name"],
        category_name=data["category"],
        unknown=["category"],
    )


@pytest.fixture
def queue(world):
    api, _plain = api_client_make(world)
    return api, pending_order(api, category="市容环境")


def user_of(world, api, role):
    return {
        "anon": None,
        "staff": world.staff_a,
        "leader": world.leader.user,
        "account": api.account,
        "sup": world.supervisor,
        "admin": world.admin,
    }[role]


def snapshot():
    return (
        list(IntakeOrder.objects.values_list("pk", "state", "issue_id", "reject_reason")),
        Issue.objects.count(),
        WebhookDelivery.objects.count(),
    )


@pytest.mark.parametrize(
    ("route", "method", "role", "expected"),
    [
        (route, method, role, int(code))
        for route, method, *codes in ROWS
        for role, code in zip(ROLES, codes, strict=True)
    ],
)
def test_queue_matrix(client, world, queue, route, method, role, expected):
    api, order = queue
    user = user_of(world, api, role)
    if user is not None:
        client.force_login(user)
    url = reverse(f"api:{route}", **({} if route == "intake_queue" else {"args": [order.pk]}))
    data = {
        "intake_order": {"category": world.category.pk, "source": world.source.pk},
        "intake_reject": {"reason": "非本区事项"},
    }.get(route, {})
    before = snapshot()
    response = client.post(url, data) if method == "POST" else client.get(url)
    assert response.status_code == expected, response.content[:300]
    if expected == 302 and role == "anon":
        assert "/login" in response["Location"] or "login" in response["Location"]
    if method == "GET" or expected != 302 or role == "anon":
        assert snapshot() == before
    else:
        assert snapshot() != before


def _queue_routes() -> set[str]:
    """The project's URL names under /intake/queue/ (the API room's namespace)."""
    found = set()

    def walk(resolver, prefix=""):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern) and (prefix + str(entry.pattern)).startswith(
                "intake/queue/"
            ):
                found.add(entry.name)

    walk(get_resolver())
    return found


def test_every_queue_route_has_rows():
    routes = _queue_routes()
    assert routes == {"intake_queue", "intake_order", "intake_reject"}
    assert {row[0] for row in ROWS} == routes


def test_the_queue_lists_pending_orders_oldest_first_and_nothing_else(client, world, queue):
    api, order = queue
    newer = pending_order(api, external_id="GD-2", title="第二张工单")
    done = pending_order(api, external_id="GD-3", title="已退回的工单")
    IntakeOrder.objects.filter(pk=done.pk).update(
        state="rejected", reject_reason="重复", unknown=[]
    )
    client.force_login(world.supervisor)
    html = client.get(reverse("api:intake_queue")).content.decode()
    assert html.index(order.title) < html.index(newer.title)
    assert "已退回的工单" not in html
    rejected = client.get(reverse("api:intake_queue"), {"state": "rejected"}).content.decode()
    assert "已退回的工单" in rejected and order.title not in rejected
    # an unknown state is the pending list, not an error
    assert client.get(reverse("api:intake_queue"), {"state": "<x>"}).status_code == 200


def test_the_office_picks_the_names_and_raises_the_issue_as_the_clients_account(
    client, world, queue
):
    api, order = queue
    enterprise = f.EnterpriseFactory(leader=world.leader)
    client.force_login(world.supervisor)
    page = client.get(reverse("api:intake_order", args=[order.pk])).content.decode()
    assert "市容环境" in page and "未能识别" in page
    response = client.post(
        reverse("api:intake_order", args=[order.pk]),
        {
            "enterprise": enterprise.pk,
            "enterprise_text": enterprise.name,
            "category": world.category.pk,
            "source": api.source.pk,
        },
    )
    order.refresh_from_db()
    assert order.state == "raised"
    issue = order.issue
    assert response["Location"] == reverse("issue_detail", args=[issue.number])
    assert issue.raised_by == api.account and issue.raising_department == api.department
    assert (issue.enterprise, issue.category, issue.source) == (
        enterprise,
        world.category,
        api.source,
    )
    assert order.decided_by == world.supervisor and order.unknown == []
    # posted again (a second tab): a message, nothing more
    again = client.post(
        reverse("api:intake_order", args=[order.pk]),
        {"category": world.category.pk, "source": api.source.pk},
    )
    assert again.status_code == 302 and Issue.objects.count() == 1


def test_raising_without_a_category_shows_the_form_again_and_changes_nothing(client, world, queue):
    _api, order = queue
    client.force_login(world.supervisor)
    before = snapshot()
    response = client.post(
        reverse("api:intake_order", args=[order.pk]), {"category": "", "source": "abc"}
    )
    assert response.status_code == 200
    assert "请选择问题类别" in response.content.decode()
    assert snapshot() == before


def test_the_office_may_only_pick_a_category_the_client_may_set(client, world):
    allowed = f.CategoryFactory(name="环保安全")
    api, _plain = api_client_make(world, categories=[allowed])
    order = pending_order(api)
    client.force_login(world.supervisor)
    before = snapshot()
    response = client.post(
        reverse("api:intake_order", args=[order.pk]),
        {"category": world.category.pk, "source": world.source.pk},
    )
    assert response.status_code == 200 and snapshot() == before


def test_rejecting_needs_a_reason_and_tells_the_sender(client, world, queue):
    api, order = queue
    subscribe(api, "http://127.0.0.1:9/hook", events=["intake_rejected"])
    client.force_login(world.supervisor)
    url = reverse("api:intake_reject", args=[order.pk])
    before = snapshot()
    blank = client.post(url, {"reason": "   "})
    assert blank.status_code == 200 and "请说明退回理由" in blank.content.decode()
    assert snapshot() == before
    response = client.post(url, {"reason": "非本区管辖，请转市级部门"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.state, order.reject_reason) == ("rejected", "非本区管辖，请转市级部门")
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "intake_rejected"
    assert delivery.payload["external_id"] == order.external_id
    assert delivery.payload["reason"] == "非本区管辖，请转市级部门"
    assert not Issue.objects.exists()
    # a decided order cannot be rejected or raised again
    assert client.post(url, {"reason": "再退一次"}).status_code == 302
    order.refresh_from_db()
    assert order.reject_reason == "非本区管辖，请转市级部门"


def test_a_missing_order_is_404(client, world):
    client.force_login(world.supervisor)
    assert client.get(reverse("api:intake_order", args=[999999])).status_code == 404
    assert (
        client.post(reverse("api:intake_reject", args=[999999]), {"reason": "x"}).status_code == 404
    )


def test_the_oversight_menu_carries_the_queue_for_the_oversight_office(client, world):
    """The 督查 menu lists the queue (the navbar's row stays one line: tests/e2e
    test_journey_english): the office finds it from any page, others never see it."""
    queue_url = reverse("api:intake_queue")
    for user, shown in ((world.supervisor, True), (world.staff_a, False)):
        client.force_login(user)
        html = client.get(reverse("home")).content.decode()
        assert (f'href="{queue_url}"' in html) is shown, user
