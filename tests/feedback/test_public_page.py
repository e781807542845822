"""The enterprise's page: open without login, only what is meant for the enterprise, and a
plain 404 for any link that is altered, unknown, revoked or expired."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from ledger import workflow
from ledger.models import Issue, IssueEvent, ThrottleHit
from ledger.service.feedback import links, services
from ledger.service.feedback.models import FeedbackLink, FeedbackRating
from tests import factories as f

from .conftest import public_url


def _footprint():
    return (
        IssueEvent.objects.count(),
        FeedbackRating.objects.count(),
        ThrottleHit.objects.count(),
        list(Issue.objects.order_by("pk").values_list("version", flat=True)),
    )


def test_the_page_opens_without_login_and_shows_the_issue(client, link, resolved):
    response = client.get(public_url(link))
    assert response.status_code == 200
    html = response.content.decode()
    assert resolved.number in html
    assert resolved.title in html
    assert "住建局" in html or "区住建局" in html
    assert "已修复排水。" in html  # the resolution
    assert "已办理完毕，请您评价" in html  # the status in plain words
    assert 'data-testid="feedback-form"' in html
    assert resolved.deadline.strftime("%Y") in html


def test_the_page_keeps_the_token_to_itself_and_the_csp(client, link):
    response = client.get(public_url(link))
    # only to ourselves (no other site gets the URL), yet the browser still sends its Origin
    # with the rating's POST (test_browser_posts.py)
    assert response["Referrer-Policy"] == "same-origin"
    assert "noindex" in response["X-Robots-Tag"]
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    html = response.content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert "<script" not in html
    assert "style=" not in html
    # its own bare layout: no navbar, no one's name, no way into the ledger
    assert "navbar" not in html
    assert reverse("issue_list") not in html


def test_the_page_shows_none_of_the_internal_fields(client, world, contact):
    secret_staff = f.StaffFactory(username="mi_mi", name="王保密", department=world.dept_b)
    issue = world.in_progress_issue(enterprise=world.enterprise, deadline_days=20)
    workflow.transition(issue, actor=world.supervisor, action="urge", note="催办暗语甲乙丙")
    workflow.transition(issue, actor=secret_staff, action="comment", note="内部备注暗语丁戊")
    workflow.transition(
        issue, actor=world.supervisor, action="comment", note="经办人王保密电话13900000000"
    )
    workflow.transition(
        issue, actor=secret_staff, action="progress", progress="smooth", note="已联系施工单位。"
    )
    other = world.raise_issue(title="另一企业的问题暗语", enterprise=world.enterprise)
    link = services.link_create(actor=world.supervisor, issue=issue, contact=contact)

    html = client.get(public_url(link)).content.decode()
    assert "已联系施工单位。" in html  # the lead department's progress is public
    for secret in (
        "暗语",
        "王保密",
        "13900000000",
        str(world.supervisor),
        str(world.staff_a),
        str(world.leader.user),
        other.number,
        issue.description,  # the internal description as logged
        "催办",
        "备注",
    ):
        assert secret not in html, secret


def _tampered(link):
    token = links.token_for(link.nonce)
    nonce, signature = token.split(".")
    flip = "A" if signature[-1] != "A" else "B"
    return [
        f"{nonce}.{signature[:-1]}{flip}",  # signature altered
        f"{nonce[:-1]}{'x' if nonce[-1] != 'x' else 'y'}.{signature}",  # nonce altered
        nonce,  # no signature
        links.token_for("not-a-stored-nonce"),  # genuine signature, unknown nonce
        "x" * 300,
    ]


def test_tampered_links_are_a_plain_404_and_change_nothing(client, link):
    before = _footprint()
    for token in _tampered(link):
        url = reverse("feedback:public", args=[token])
        assert client.get(url).status_code == 404, token
        response = client.post(url, {"rating": "satisfied", "comment": "x"})
        assert response.status_code == 404, token
    assert _footprint() == before


def test_a_revoked_link_is_a_404_and_changes_nothing(client, world, link):
    services.link_revoke(actor=world.staff_b, link=link)
    before = _footprint()
    assert client.get(public_url(link)).status_code == 404
    assert client.post(public_url(link), {"rating": "satisfied"}).status_code == 404
    assert _footprint() == before


def test_the_link_lives_until_days_after_closing_then_is_a_404(client, world, link, settings):
    settings.LEDGER = {**settings.LEDGER, "FEEDBACK_LINK_DAYS": 30}
    issue = link.issue
    workflow.transition(issue, actor=world.supervisor, action="close", satisfaction="satisfied")
    # within the days after 销号: the page shows the issue, without a form
    response = client.get(public_url(link))
    assert response.status_code == 200
    assert 'data-testid="feedback-form"' not in response.content.decode()
    Issue.objects.filter(pk=issue.pk).update(
        closed_at=timezone.now() - datetime.timedelta(days=30, minutes=1)
    )
    before = _footprint()
    assert client.get(public_url(link)).status_code == 404
    assert client.post(public_url(link), {"rating": "satisfied"}).status_code == 404
    assert _footprint() == before


def test_a_link_of_a_withdrawn_issue_is_a_404(client, world, contact):
    issue = world.assigned_issue(enterprise=world.enterprise)
    link = services.link_create(actor=world.supervisor, issue=issue, contact=contact)
    assert client.get(public_url(link)).status_code == 200
    workflow.transition(issue, actor=world.supervisor, action="withdraw", note="重复登记")
    assert client.get(public_url(link)).status_code == 404


def test_an_open_issue_shows_progress_and_no_form(client, world, contact):
    issue = world.in_progress_issue(enterprise=world.enterprise)
    link = services.link_create(actor=world.staff_b, issue=issue, contact=contact)
    html = client.get(public_url(link)).content.decode()
    assert "正在办理" in html
    assert 'data-testid="feedback-form"' not in html
    assert 'data-testid="feedback-wait"' in html
    before = _footprint()
    response = client.post(public_url(link), {"rating": "satisfied"})
    assert response.status_code == 400
    assert "办结后、销号前可以评价" in response.content.decode()
    assert _footprint()[:2] == before[:2]  # no event, no rating (the attempt is counted)


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_refused(client, link, method):
    assert getattr(client, method)(public_url(link)).status_code == 405


def test_the_stored_nonce_alone_is_not_a_working_link(client, link):
    stored = FeedbackLink.objects.get(pk=link.pk).nonce
    assert len(stored) >= 22  # 128 random bits, URL-safe base64
    assert client.get(reverse("feedback:public", args=[stored])).status_code == 404
