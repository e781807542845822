"""Hostile input on the feedback room's forms (Hypothesis): the enterprise's rating form and
the link buttons. Whatever is sent, the answer is never a 500, and a refused POST changes
nothing (tests/test_property_based.py leaves the feedback: routes to this file)."""

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from ledger.models import IssueEvent
from ledger.service.feedback.models import FeedbackLink, FeedbackRating

from .conftest import public_url

VALUE = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["\x00", "satisfied", "dissatisfied", "99999999999999999999999", "-1", "x" * 5001]
    ),
    st.lists(st.sampled_from(["satisfied", "1", "abc"]), min_size=2, max_size=3),
)
FIELDS = st.dictionaries(
    st.sampled_from(["rating", "comment", "contact", "contact_name", "csrfmiddlewaretoken"]),
    VALUE,
    max_size=4,
)
FUZZ = hsettings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _state():
    return (
        list(FeedbackLink.objects.order_by("pk").values_list("pk", "revoked_at", "contact_name")),
        list(FeedbackRating.objects.order_by("pk").values_list("pk", "rating", "comment")),
        IssueEvent.objects.count(),
    )


def _send(client, url, data):
    """POST `data` inside a transaction that is rolled back; (status, changed?)."""
    with transaction.atomic():
        before = _state()
        response = client.post(url, data)
        changed = _state() != before
        transaction.set_rollback(True)
    return response.status_code, changed


@pytest.mark.django_db(transaction=False)
@FUZZ
@given(data=FIELDS)
def test_the_enterprise_form_never_fails_and_a_refusal_changes_nothing(client, link, data):
    status, changed = _send(client, public_url(link), data)
    assert status in (302, 400, 429), status
    assert changed == (status == 302)


@pytest.mark.parametrize(
    "route", ["feedback:link_create", "feedback:link_revoke", "feedback:link_email"]
)
@FUZZ
@given(data=FIELDS)
def test_the_link_buttons_never_fail(client, world, link, route, data, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    client.force_login(world.staff_b)
    args = [link.issue.number] if route == "feedback:link_create" else [link.issue.number, link.pk]
    status, _changed = _send(client, reverse(route, args=args), data)
    assert status == 302, status  # a refusal is a message on the issue page, never an error
