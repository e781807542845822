"""The whole 12345 loop over real HTTP: a work order sent to a live server → an issue raised
with the external id → assigned, accepted and resolved on the screens → signed webhooks
received by a real HTTP server and verified with the example receiver's function → the same
work order sent again returns the same issue."""

import json

import pytest
import requests
from django.urls import reverse

from ledger.api.models import IntakeOrder, WebhookDelivery
from ledger.api.webhooks_send import secret_new
from ledger.models import Issue
from tests import factories as f
from tests.api.intake_support import (
    Receiver,
    api_client_make,
    example_module,
    subscribe,
    work_order,
)

pytestmark = pytest.mark.django_db(transaction=True)


def act(client, user, issue, action, data):
    """Post an action's form as the issue page would (the version the page was built from)."""
    client.force_login(user)
    issue.refresh_from_db()
    url = reverse("issue_action", kwargs={"number": issue.number, "action": action})
    assert client.get(url).status_code == 200
    response = client.post(url, {"version": issue.version, **data})
    assert response.status_code == 302, response.content[:500]
    client.logout()


def test_the_12345_loop(live_server, client, world):
    verify = example_module("webhook_receiver").verify
    api, plain = api_client_make(world)
    secret = secret_new()
    order = work_order(external_id="GD20261206000777", category=world.category.name)
    send = {
        "json": order,
        "headers": {"Authorization": f"Bearer {plain}"},
        "timeout": 30,
    }
    with Receiver() as receiver:
        subscribe(api, receiver.url, secret=secret)

        # a work order in → an issue raised with the external id
        response = requests.post(f"{live_server.url}/api/v1/intake/", **send)
        assert response.status_code == 201, response.text
        number = response.json()["issue"]["number"]
        issue = Issue.objects.get(number=number)
        assert IntakeOrder.objects.get(issue=issue).external_id == "GD20261206000777"
        assert "GD20261206000777" in issue.description

        # assigned, accepted and resolved on the screens
        act(
            client,
            world.supervisor,
            issue,
            "assign",
            {
                "leader": world.leader.pk,
                "lead_department": world.dept_b.pk,
                "deadline": f.days_from_today(10).isoformat(),
                "note": "",
            },
        )
        act(client, world.staff_b, issue, "accept", {"note": "收到"})
        act(client, world.staff_b, issue, "resolve", {"resolution": "已疏通排水管道，积水消除。"})

    # signed webhooks received and verified
    assert len(receiver.received) == 3
    bodies = []
    for got in receiver.received:
        headers = {key.lower(): value for key, value in got["headers"].items()}
        assert verify(
            secret, headers["x-zhongzhan-timestamp"], got["body"], headers["x-zhongzhan-signature"]
        )
        bodies.append(json.loads(got["body"]))
    assert [body["event"] for body in bodies] == ["assigned", "accepted", "resolved"]
    resolved = bodies[-1]
    assert resolved["external_id"] == "GD20261206000777"
    assert resolved["issue"]["number"] == number and resolved["issue"]["status"] == "resolved"
    assert resolved["resolution"] == "已疏通排水管道，积水消除。"
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"delivered"}

    # the same work order sent again returns the same issue
    again = requests.post(f"{live_server.url}/api/v1/intake/", **send)
    assert again.status_code == 200
    assert again.json()["issue"] == {
        "number": number,
        "status": "resolved",
        "url": again.json()["issue"]["url"],
    }
    assert Issue.objects.count() == 1 and IntakeOrder.objects.count() == 1
