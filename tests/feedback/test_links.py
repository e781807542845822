"""Handing out links: who may create, revoke and e-mail them (the lead department's staff and
the oversight office), what the issue page's panel shows, and that refusals change nothing."""

import pytest
from django.core import mail
from django.urls import reverse

from ledger.service.feedback import services
from ledger.service.feedback.models import FeedbackLink
from tests import factories as f

from .conftest import public_url

# who, and what they get: created (302 and a link), 403 (sees the issue, may not), 404
# (does not see the issue)
CREATE = [
    ("staff_b", "ok"),  # the lead department
    ("supervisor", "ok"),
    ("admin", "ok"),
    ("staff_a", 403),  # the raising department sees the issue but does not answer for it
    ("leader", 403),  # the responsible leader sees it; the office and the department hand out
    ("staff_c", 404),  # sees nothing of it
    ("other_leader", 404),
]


def _user(world, who):
    return {"leader": world.leader.user, "other_leader": world.other_leader.user}.get(
        who, getattr(world, who, None)
    )


@pytest.mark.parametrize(("who", "expected"), CREATE)
def test_who_may_create_a_link(client, world, resolved, contact, who, expected):
    client.force_login(_user(world, who))
    response = client.post(
        reverse("feedback:link_create", args=[resolved.number]), {"contact": contact.pk}
    )
    if expected == "ok":
        assert response.status_code == 302
        link = FeedbackLink.objects.get()
        assert (link.contact, link.contact_name, link.created_by) == (
            contact,
            "李联系",
            _user(world, who),
        )
        assert response["Location"].endswith("#feedback-heading")
    else:
        assert response.status_code == expected
        assert not FeedbackLink.objects.exists()


@pytest.mark.parametrize(("who", "expected"), CREATE)
def test_who_may_revoke_a_link(client, world, link, who, expected):
    client.force_login(_user(world, who))
    response = client.post(reverse("feedback:link_revoke", args=[link.issue.number, link.pk]))
    link.refresh_from_db()
    if expected == "ok":
        assert response.status_code == 302
        assert link.revoked_by == _user(world, who)
    else:
        assert response.status_code == expected
        assert link.revoked_at is None


def test_anonymous_visitors_are_sent_to_sign_in_and_nothing_changes(client, resolved, link):
    for url in (
        reverse("feedback:link_create", args=[resolved.number]),
        reverse("feedback:link_revoke", args=[resolved.number, link.pk]),
        reverse("feedback:link_email", args=[resolved.number, link.pk]),
    ):
        response = client.post(url, {"contact_name": "某人"})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert FeedbackLink.objects.get().revoked_at is None
    assert FeedbackLink.objects.count() == 1


def test_the_buttons_refuse_get(client, world, resolved):
    client.force_login(world.supervisor)
    assert client.get(reverse("feedback:link_create", args=[resolved.number])).status_code == 405


def test_a_new_link_replaces_the_one_in_force(client, world, link, resolved):
    client.force_login(world.staff_b)
    client.post(
        reverse("feedback:link_create", args=[resolved.number]), {"contact_name": "张新联系"}
    )
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert client.get(public_url(link)).status_code == 404
    live = FeedbackLink.objects.get(revoked_at__isnull=True)
    assert live.contact_name == "张新联系" and live.contact is None


def test_a_contact_of_another_enterprise_or_no_name_is_refused(client, world, resolved):
    stranger = f.ContactFactory()  # of another enterprise
    client.force_login(world.staff_b)
    url = reverse("feedback:link_create", args=[resolved.number])
    response = client.post(url, {"contact": stranger.pk}, follow=True)
    assert "所选联系人无效" in response.content.decode()
    response = client.post(url, {"contact_name": "   "}, follow=True)
    assert "请选择企业联系人" in response.content.decode()
    assert not FeedbackLink.objects.exists()


def test_an_issue_without_an_enterprise_gets_no_link_and_no_panel(client, world):
    issue = world.resolved_issue()
    client.force_login(world.staff_b)
    html = client.get(issue.get_absolute_url()).content.decode()
    assert 'data-testid="feedback-panel"' not in html
    response = client.post(
        reverse("feedback:link_create", args=[issue.number]), {"contact_name": "某人"}, follow=True
    )
    assert "只有涉及企业" in response.content.decode()
    assert not FeedbackLink.objects.exists()
    with pytest.raises(services.FeedbackRefused):
        services.link_create(actor=world.supervisor, issue=issue, contact_name="某人")


def test_the_panel_shows_the_link_as_text_and_qr_code(client, world, link, settings):
    settings.SITE_URL = "https://ledger.example.gov.cn"
    client.force_login(world.staff_b)
    response = client.get(link.issue.get_absolute_url())
    html = response.content.decode()
    assert 'data-testid="feedback-panel"' in html
    assert f"https://ledger.example.gov.cn{public_url(link)}" in html
    qr = html.split('data-testid="feedback-qr"', 1)[1].split("</figure>", 1)[0]
    assert "<svg" in qr and "<path" in qr
    assert "<script" not in qr and "style=" not in qr
    assert 'data-testid="feedback-email"' in html  # the contact has an e-mail address
    assert 'data-testid="feedback-revoke"' in html


def test_the_panel_is_hidden_from_those_who_may_not_hand_out_links(client, world, link):
    client.force_login(world.staff_a)
    html = client.get(link.issue.get_absolute_url()).content.decode()
    assert 'data-testid="feedback-panel"' not in html
    assert public_url(link) not in html


def test_the_link_goes_by_email_to_the_contact(client, world, link, settings, committed):
    settings.SITE_URL = "https://ledger.example.gov.cn"
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    mail.outbox.clear()
    client.force_login(world.staff_b)
    url = reverse("feedback:link_email", args=[link.issue.number, link.pk])
    response = committed(client.post, url, follow=True)
    assert "li@example.com" in response.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[-1].to == ["li@example.com"]
    assert f"https://ledger.example.gov.cn{public_url(link)}" in mail.outbox[-1].body


def test_a_contact_without_email_cannot_be_mailed(client, world, resolved):
    contact = f.ContactFactory(enterprise=world.enterprise, email="")
    link = services.link_create(actor=world.staff_b, issue=resolved, contact=contact)
    client.force_login(world.staff_b)
    html = client.get(resolved.get_absolute_url()).content.decode()
    assert 'data-testid="feedback-email"' not in html
    response = client.post(
        reverse("feedback:link_email", args=[resolved.number, link.pk]), follow=True
    )
    assert "没有登记电子邮箱" in response.content.decode()


def test_the_rule_agrees_with_the_buttons_for_every_role(world, resolved):
    allowed = {who for who, expected in CREATE if expected == "ok"}
    for who, _expected in CREATE:
        user = _user(world, who)
        assert user.has_perm("feedback.manage_link", resolved) == (who in allowed), who
