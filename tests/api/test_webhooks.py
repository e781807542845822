"""Results out: which events of which issues become deliveries, what they carry, how they are
signed, retried with back-off and left dead, and re-sent from the admin. Deliveries go to a
real HTTP server in a thread (tests/api/intake_support.Receiver)."""

import datetime
import json

import pytest
from django.contrib.admin.sites import site
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from ledger import workflow
from ledger.api import tasks
from ledger.api.intake import WorkOrder, intake_receive
from ledger.api.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from ledger.api.webhooks_send import signature, url_refused
from tests import factories as f
from tests.api.intake_support import Receiver, api_client_make, example_module, subscribe

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hotline(world):
    api, _plain = api_client_make(world)
    return api


def raised_by(api, world, external_id="GD-1"):
    received = intake_receive(
        client=api,
        order=WorkOrder(
            external_system="12345热线",
            external_id=external_id,
            title="路灯不亮",
            description="夜间路灯不亮。",
            category=world.category.name,
        ),
    )
    return received.order.issue


def assign(world, issue, days=10):
    workflow.transition(
        issue,
        actor=world.supervisor,
        action="assign",
        leader=world.leader,
        lead_department=world.dept_b,
        deadline=f.days_from_today(days),
    )


def test_each_subscribed_event_of_the_clients_issue_is_delivered_with_its_content(world, hotline):
    issue = raised_by(hotline, world)
    with Receiver() as receiver:
        subscribe(hotline, receiver.url)
        assign(world, issue)
        workflow.transition(issue, actor=world.staff_b, action="accept")
        workflow.transition(
            issue,
            actor=world.staff_b,
            action="extension_request",
            note="需要协调供电公司",
            new_deadline=f.days_from_today(20),
        )
        workflow.transition(issue, actor=world.leader.user, action="extension_approve")
        workflow.transition(issue, actor=world.staff_b, action="resolve", resolution="已更换灯具。")
        workflow.transition(
            issue, actor=world.supervisor, action="close", satisfaction="satisfied", note="回访"
        )
    events = [receiver.json(i)["event"] for i in range(len(receiver.received))]
    assert events == ["assigned", "accepted", "extension_granted", "resolved", "closed"]
    resolved, closed = receiver.json(3), receiver.json(4)
    assert resolved["resolution"] == "已更换灯具。"
    assert resolved["external_id"] == "GD-1" and resolved["external_system"] == "12345热线"
    assert resolved["issue"]["number"] == issue.number
    assert resolved["issue"]["lead_department"] == str(world.dept_b)
    assert closed["satisfaction"] == "satisfied" and closed["issue"]["status"] == "closed"
    assert receiver.json(2)["issue"]["deadline"] == f.days_from_today(20).isoformat()
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"delivered"}


def test_a_returned_issue_is_delivered_and_unsubscribed_events_are_not(world, hotline):
    issue = raised_by(hotline, world)
    with Receiver() as receiver:
        subscribe(hotline, receiver.url, events=["returned"])
        assign(world, issue)
        workflow.transition(issue, actor=world.staff_b, action="return", note="非本单位职责")
    assert [receiver.json(i)["event"] for i in range(len(receiver.received))] == ["returned"]
    assert receiver.json(0)["note"] == "非本单位职责"


def test_other_issues_inactive_subscriptions_and_rolled_back_events_deliver_nothing(world, hotline):
    other_client, _plain = api_client_make(world, name="企业服务平台", source=False)
    subscribe(other_client, "http://127.0.0.1:9/other")
    WebhookSubscription.objects.create(
        client=hotline, url="http://127.0.0.1:9/off", secret="s", is_active=False
    )
    person_issue = world.raise_issue()  # raised by a person, not by a client
    assign(world, person_issue)
    issue = raised_by(hotline, world)
    assign(world, issue)  # the client's, but its only subscription is off
    live = subscribe(hotline, "http://127.0.0.1:9/live")
    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.transition(issue, actor=world.staff_b, action="accept")
        raise RuntimeError("the action's transaction rolls back")
    assert not WebhookDelivery.objects.exists()
    workflow.transition(issue, actor=world.staff_b, action="accept")
    assert list(WebhookDelivery.objects.values_list("subscription", "event")) == [
        (live.pk, "accepted")
    ]


def test_the_signature_verifies_with_the_example_receivers_function(world, hotline):
    verify = example_module("webhook_receiver").verify
    issue = raised_by(hotline, world)
    with Receiver() as receiver:
        subscribe(hotline, receiver.url, secret="whsec_shared")
        assign(world, issue)
    (got,) = receiver.received
    headers = {key.lower(): value for key, value in got["headers"].items()}
    timestamp = headers["x-zhongzhan-timestamp"]
    header = headers["x-zhongzhan-signature"]
    assert header == "sha256=" + signature("whsec_shared", timestamp, got["body"])
    assert headers["x-zhongzhan-delivery"] == str(WebhookDelivery.objects.get().pk)
    assert headers["content-type"].startswith("application/json")
    assert verify("whsec_shared", timestamp, got["body"], header)
    # what the function must refuse: another secret, a changed body, an old timestamp
    assert not verify("whsec_other", timestamp, got["body"], header)
    assert not verify("whsec_shared", timestamp, got["body"] + b" ", header)
    assert not verify("whsec_shared", timestamp, got["body"], header, now=int(timestamp) + 301)
    assert not verify("whsec_shared", timestamp, got["body"], "sha1=" + header[7:])
    assert json.loads(got["body"])["event"] == "assigned"


def test_a_receiver_failing_three_times_gets_the_retries_then_the_dead_letter_state(
    world, hotline, settings
):
    settings.API_WEBHOOK_ATTEMPTS = 3
    issue = raised_by(hotline, world)
    with Receiver(statuses=[500]) as receiver:
        subscribe(hotline, receiver.url)
        assign(world, issue)
    assert len(receiver.received) == 3
    ids = {got["headers"]["X-Zhongzhan-Delivery"] for got in receiver.received}
    delivery = WebhookDelivery.objects.get()
    assert ids == {str(delivery.pk)}  # the same delivery each time: the receiver deduplicates
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("dead", 3, 500)
    assert delivery.next_attempt_at is None and delivery.delivered_at is None
    log = list(delivery.attempt_log.values_list("number", "status", "error"))
    assert log == [(1, 500, "HTTP 500"), (2, 500, "HTTP 500"), (3, 500, "HTTP 500")]


def test_a_receiver_that_recovers_gets_the_delivery(world, hotline):
    issue = raised_by(hotline, world)
    with Receiver(statuses=[503, 204]) as receiver:
        subscribe(hotline, receiver.url)
        assign(world, issue)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("delivered", 2)
    assert delivery.delivered_at is not None
    assert list(delivery.attempt_log.values_list("status", flat=True)) == [503, 204]


def test_retries_wait_longer_each_time(world, hotline, settings):
    """With a worker that honours run_after, each retry is queued for later: 60 s, 120 s …"""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    settings.API_WEBHOOK_RETRY_SECONDS = 60
    issue = raised_by(hotline, world)
    subscribe(hotline, "http://127.0.0.1:9/closed-port")
    assign(world, issue)
    backend = tasks.webhook_deliver.get_backend()
    delivery = WebhookDelivery.objects.get()
    waits = []
    for _attempt in range(3):
        backend.clear()
        started = timezone.now()
        tasks.webhook_deliver.call(delivery.pk)
        (queued,) = backend.results
        waits.append((queued.task.run_after - started).total_seconds())
    assert [round(wait, -1) for wait in waits] == [60, 120, 240]
    delivery.refresh_from_db()
    assert delivery.state == "failed" and delivery.last_status is None
    assert "ConnectionRefused" in delivery.last_error or "Errno" in delivery.last_error


def test_an_address_that_is_not_http_is_never_posted_to(world, hotline):
    assert url_refused("file:///etc/passwd") and url_refused("ftp://example.com/x")
    assert url_refused("http://") and not url_refused("https://example.com/hook")
    issue = raised_by(hotline, world)
    WebhookSubscription.objects.create(client=hotline, url="file:///etc/passwd", secret="s")
    assign(world, issue)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("dead", 1, None)
    assert "http" in delivery.last_error


def test_the_admin_resends_a_dead_delivery_and_keeps_the_earlier_attempts(
    world, hotline, settings, client
):
    settings.API_WEBHOOK_ATTEMPTS = 1
    issue = raised_by(hotline, world)
    with Receiver(statuses=[500, 204]) as receiver:
        subscription = subscribe(hotline, receiver.url)
        assign(world, issue)
        delivery = WebhookDelivery.objects.get()
        assert delivery.state == "dead"
        client.force_login(world.admin)
        changelist = reverse("admin:api_webhookdelivery_changelist")
        response = client.post(
            changelist,
            {"action": "deliveries_resend", "_selected_action": [delivery.pk]},
        )
        assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("delivered", 1)
    assert list(delivery.attempt_log.values_list("number", "status")) == [(1, 500), (2, 204)]
    assert len(receiver.received) == 2
    # a delivered one is not sent again
    client.post(changelist, {"action": "deliveries_resend", "_selected_action": [delivery.pk]})
    assert WebhookAttempt.objects.count() == 2
    # the admin pages open, the delivery read-only with its attempts
    page = client.get(reverse("admin:api_webhookdelivery_change", args=[delivery.pk]))
    assert page.status_code == 200 and "HTTP 500" in page.content.decode()
    assert client.get(reverse("admin:api_intakeorder_changelist")).status_code == 200
    assert (
        client.get(
            reverse("admin:api_webhooksubscription_change", args=[subscription.pk])
        ).status_code
        == 200
    )
    request = RequestFactory().get("/")
    request.user = world.admin
    assert not site._registry[WebhookDelivery].has_add_permission(request)


def test_a_subscription_added_in_the_admin_shows_its_secret_once_and_refuses_other_schemes(
    world, hotline, client
):
    client.force_login(world.admin)
    add = reverse("admin:api_webhooksubscription_add")
    data = {
        "client": hotline.pk,
        "url": "ftp://platform.example/hook",
        "events": ["resolved", "closed"],
        "is_active": "on",
    }
    refused = client.post(add, data)
    assert refused.status_code == 200 and not WebhookSubscription.objects.exists()
    response = client.post(add, {**data, "url": "https://platform.example/hook"}, follow=True)
    subscription = WebhookSubscription.objects.get()
    assert subscription.events == ["resolved", "closed"]
    assert subscription.secret.startswith("whsec_")
    assert subscription.secret in response.content.decode()
    later = client.get(reverse("admin:api_webhooksubscription_change", args=[subscription.pk]))
    assert subscription.secret not in later.content.decode()


def test_delay_doubles_from_the_setting(settings):
    from ledger.api.webhooks_send import delay_after

    settings.API_WEBHOOK_RETRY_SECONDS = 30
    assert [delay_after(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert datetime.timedelta(seconds=delay_after(8)) == datetime.timedelta(seconds=3840)
