"""Security hardening (issue 18): the Permissions-Policy header; the rest of the issue's
findings are tested next to what they harden (see the issue's list in the commit log)."""

import datetime

import pytest
from django.urls import reverse

from tests import factories as f


def _policy(response) -> dict[str, str]:
    header = response.headers.get("Permissions-Policy", "")
    return dict(part.strip().split("=", 1) for part in header.split(",") if part.strip())


@pytest.mark.parametrize(
    "path",
    ["/", "/accounts/login/", "/issues/", "/no-such-page/", "/static/css/directory.css"],
)
def test_every_answer_turns_every_browser_feature_off(client, db, path):
    client.force_login(f.StaffFactory())
    response = client.get(path)
    policy = _policy(response)
    assert policy, f"{path}: no Permissions-Policy ({response.status_code})"
    assert set(policy.values()) == {"()"}, policy
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert policy[feature] == "()"


def test_anonymous_redirects_carry_the_policy_too(client, db):
    response = client.get("/issues/")
    assert response.status_code == 302
    assert _policy(response)["camera"] == "()"


def test_only_the_visit_form_may_use_the_camera_and_only_for_this_site(client, db):
    from ledger.service.models import Visit

    admin = f.AdminFactory()
    leader = f.LeaderFactory()
    visit = Visit.objects.create(
        enterprise=f.EnterpriseFactory(leader=leader),
        leader=leader,
        visited_on=datetime.date(2026, 1, 5),
        summary="了解生产经营情况。",
        created_by=admin,
    )
    client.force_login(admin)
    for url in (reverse("service:visit_create"), reverse("service:visit_edit", args=[visit.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        policy = _policy(response)
        assert policy["camera"] == "(self)"
        assert {v for k, v in policy.items() if k != "camera"} == {"()"}
    assert _policy(client.get(reverse("service:visit_list")))["camera"] == "()"
