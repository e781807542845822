"""A refused bearer credential is on the security audit trail: which one (its public
prefix, never the secret), why, from where and on which path."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from ledger.api.models import ClientSecret, PersonalToken
from ledger.audit.models import AuditRecord
from tests import factories as f

LIST = "/api/v1/departments/"


def _refusals():
    return list(AuditRecord.objects.filter(kind="api_auth_failed").order_by("pk"))


@pytest.fixture
def staff(db):
    return f.StaffFactory(username="rc_staff", department=f.DepartmentFactory(name="区商务局"))


def test_a_token_of_the_right_form_but_unknown_is_recorded(staff, bearer):
    response = bearer("zzp_ABCDEFGHIJKL_notarealsecret").get(LIST)
    assert response.status_code == 401
    (refusal,) = _refusals()
    assert (refusal.username, refusal.outcome) == ("zzp_ABCDEFGHIJKL", "failure")
    assert refusal.detail == {"reason": "unknown"}
    assert refusal.target == f"api {LIST}"
    assert refusal.ip == "127.0.0.1"


def test_a_wrong_expired_or_revoked_token_is_recorded_with_its_reason(staff, api_token_for, bearer):
    plain = api_token_for(staff)
    kind, prefix, secret = plain.split("_", 2)
    assert bearer(f"{kind}_{prefix}_{secret[::-1]}x").get(LIST).status_code == 401
    token = PersonalToken.objects.get(prefix=prefix)
    token.created_at = timezone.now() - datetime.timedelta(days=2)
    token.expires_at = timezone.now() - datetime.timedelta(seconds=1)
    token.save()
    assert bearer(plain).get(LIST).status_code == 401
    token.expires_at = timezone.now() + datetime.timedelta(days=1)
    token.revoked_at = timezone.now()
    token.save()
    assert bearer(plain).get(LIST).status_code == 401
    reasons = [r.detail["reason"] for r in _refusals()]
    assert reasons == ["wrong_secret", "expired", "revoked"]
    assert {r.username for r in _refusals()} == {f"zzp_{prefix}"}
    # the secret part is written nowhere on the trail
    assert not AuditRecord.objects.filter(detail__icontains=secret).exists()


def test_a_client_secret_from_an_address_not_allowed_is_recorded(staff, api_client_for, bearer):
    client, plain = api_client_for(staff.department, allowed_ips="10.1.2.0/24")
    assert bearer(plain).get(LIST).status_code == 403
    (refusal,) = _refusals()
    assert refusal.detail == {"reason": "address_not_allowed"}
    assert refusal.username == "zzc_" + ClientSecret.objects.get(client=client).prefix


def test_a_malformed_credential_is_recorded_and_a_good_one_is_not(staff, api_token_for, bearer):
    assert bearer("not-a-token").get(LIST).status_code == 401
    assert [r.detail["reason"] for r in _refusals()] == ["malformed"]
    assert bearer(api_token_for(staff)).get(LIST).status_code == 200
    assert len(_refusals()) == 1


# -- a browser session with account steps left ---------------------------------------------------


def test_a_session_with_steps_left_gets_a_readable_403_not_a_page(settings, staff, api_token_for):
    from django.test import Client

    settings.PASSWORD_CHANGE_INITIAL = True  # the factory's password is an initial one
    browser = Client()
    browser.force_login(staff)
    refused = browser.get(LIST)
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["steps"] == ["password"]
    # the screens still lead to the step's page
    assert browser.get("/")["Location"].startswith(reverse("password_change"))
    # a bearer credential speaks for itself, whatever the session beside it has left to do
    token = api_token_for(staff)
    assert browser.get(LIST, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    # but a header that is no bearer credential does not lift the session's steps
    assert browser.get(LIST, HTTP_AUTHORIZATION="Basic eDp5").status_code == 403
    assert browser.get("/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 302
