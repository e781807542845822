"""Every route of the feedback room × every kind of user: what each gets, and that a refusal
changes nothing. The meta-test at the end fails when a feedback route has no rows here (the
core matrix, tests/test_authorization_matrix.py, leaves the feedback: routes to this file)."""

import pytest
from django.urls import get_resolver, reverse

from ledger.models import IssueEvent
from ledger.service.feedback.models import FeedbackLink

from .conftest import public_url

WHO = [
    "anonymous",
    "staff_a",
    "staff_b",
    "staff_c",
    "leader",
    "other_leader",
    "supervisor",
    "admin",
]

# route -> method -> who -> expected status. staff_b is the lead department; staff_a raised the
# issue (sees it, does not answer for it); staff_c and other_leader do not see the issue.
MANAGE = {
    "anonymous": 302,
    "staff_a": 403,
    "staff_b": 302,
    "staff_c": 404,
    "leader": 403,
    "other_leader": 404,
    "supervisor": 302,
    "admin": 302,
}
EXPECTED = {
    ("feedback:link_create", "POST"): MANAGE,
    ("feedback:link_revoke", "POST"): MANAGE,
    ("feedback:link_email", "POST"): MANAGE,
    # the buttons are POST only, for everyone who is signed in
    **{
        (route, "GET"): {who: 302 if who == "anonymous" else 405 for who in WHO}
        for route in ("feedback:link_create", "feedback:link_revoke", "feedback:link_email")
    },
    ("feedback:dissatisfied", "GET"): {
        **dict.fromkeys(WHO, 403),
        "anonymous": 302,
        "supervisor": 200,
        "admin": 200,
    },
    # the enterprise's page: the link is the key, whoever holds it (signed in or not)
    ("feedback:public", "GET"): dict.fromkeys(WHO, 200),
}


def _url(route, link):
    if route == "feedback:public":
        return public_url(link)
    if route == "feedback:dissatisfied":
        return reverse(route)
    if route == "feedback:link_create":
        return reverse(route, args=[link.issue.number])
    return reverse(route, args=[link.issue.number, link.pk])


def _user(world, who):
    return {"leader": world.leader.user, "other_leader": world.other_leader.user}.get(
        who, getattr(world, who, None)
    )


def _state():
    return (
        list(FeedbackLink.objects.order_by("pk").values_list("pk", "revoked_at")),
        IssueEvent.objects.count(),
    )


@pytest.mark.parametrize(
    ("route", "method", "who"),
    [(route, method, who) for (route, method), table in EXPECTED.items() for who in table],
)
def test_feedback_route_answers_each_user_as_the_table_says(
    client, world, link, route, method, who, settings
):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    if who != "anonymous":
        client.force_login(_user(world, who))
    before = _state()
    url = _url(route, link)
    response = (
        client.post(url, {"contact": link.contact_id}) if method == "POST" else client.get(url)
    )
    expected = EXPECTED[(route, method)][who]
    assert response.status_code == expected, (route, method, who)
    if response.status_code == 302 and who == "anonymous":
        assert "/accounts/login/" in response["Location"]
    if expected != 302 or who == "anonymous":
        assert _state() == before  # a refusal, or a page, changes nothing


def test_every_feedback_route_is_in_the_table():
    routes = set()
    for entry in get_resolver().url_patterns:
        if getattr(entry, "namespace", None) == "feedback":
            routes |= {f"feedback:{pattern.name}" for pattern in entry.url_patterns}
    assert routes, "the feedback: namespace is not included"
    assert routes == {route for route, _method in EXPECTED}
