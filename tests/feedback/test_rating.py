"""The enterprise's rating: one 回访 event through the workflow, shown on the 销号 form and in
the assessment, changeable until 销号; 不满意 reaches the leader's and the office's bell and
e-mail; CSRF and rate limits hold."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from ledger import workflow
from ledger.integrity.models import IssueHead
from ledger.models import IssueEvent
from ledger.notify.models import Notification
from ledger.service.feedback import services
from ledger.service.feedback.models import FeedbackRating
from ledger.states import Action
from tests import factories as f

from .conftest import public_url


def _rate(client, link, rating="satisfied", comment="办理很及时"):
    return client.post(public_url(link), {"rating": rating, "comment": comment})


def test_a_rating_on_a_resolved_issue_writes_one_visit_event(client, link, resolved):
    before = IssueEvent.objects.filter(issue=resolved).count()
    response = _rate(client, link)
    assert response.status_code == 302
    assert response["Location"].endswith("?saved=1")
    events = IssueEvent.objects.filter(issue=resolved).order_by("seq")
    assert events.count() == before + 1
    event = events.last()
    assert event.action == Action.FEEDBACK
    assert event.actor.username == services.ENTERPRISE_USERNAME
    assert "企业回访" in event.note and "李联系" in event.note and "满意" in event.note
    assert "办理很及时" in event.note
    # signed into the issue's chain like any event
    assert IssueHead.objects.get(issue_id=resolved.pk).digest == event.digest
    rating = FeedbackRating.objects.get()
    assert (rating.rating, rating.comment, rating.event_id) == ("satisfied", "办理很及时", event.pk)
    resolved.refresh_from_db()
    assert resolved.status == "resolved"  # a rating does not close the issue
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="feedback-saved"' in page


def test_the_rating_shows_on_the_close_form(client, world, link, resolved):
    _rate(client, link, "basically", "希望再快一些")
    client.force_login(world.supervisor)
    html = client.get(reverse("issue_action", args=[resolved.number, "close"])).content.decode()
    assert 'data-testid="feedback-close-rating"' in html
    assert "企业自评：基本满意" in html
    assert "希望再快一些" in html
    assert "李联系" in html
    # and on the issue page's panel
    html = client.get(resolved.get_absolute_url()).content.decode()
    assert 'data-testid="feedback-panel-rating"' in html


def test_the_close_form_says_when_there_is_no_rating_yet(client, world, link, resolved):
    client.force_login(world.supervisor)
    html = client.get(reverse("issue_action", args=[resolved.number, "close"])).content.decode()
    assert 'data-testid="feedback-close-none"' in html


def test_a_rating_can_be_changed_until_closing_then_only_the_result_shows(
    client, world, link, resolved
):
    _rate(client, link, "dissatisfied", "没有解决")
    _rate(client, link, "satisfied", "复查后已解决")
    assert FeedbackRating.objects.count() == 2
    current = FeedbackRating.objects.get(is_current=True)
    assert current.rating == "satisfied"
    assert IssueEvent.objects.filter(issue=resolved, actor__username="zz_enterprise").count() == 2
    workflow.transition(resolved, actor=world.supervisor, action="close", satisfaction="satisfied")
    html = client.get(public_url(link)).content.decode()
    assert 'data-testid="feedback-form"' not in html
    assert 'data-testid="feedback-result"' in html
    assert "复查后已解决" in html
    events = IssueEvent.objects.count()
    response = _rate(client, link, "dissatisfied", "再改一次")
    assert response.status_code == 400
    assert IssueEvent.objects.count() == events
    assert FeedbackRating.objects.count() == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "请选择您的评价"),
        ({"rating": "great"}, ""),
        ({"rating": "dissatisfied", "comment": "  "}, "请写明哪里不满意"),
        ({"rating": "satisfied", "comment": "长" * 1001}, ""),
    ],
)
def test_bad_ratings_are_explained_and_change_nothing(client, link, data, message):
    events = IssueEvent.objects.count()
    response = client.post(public_url(link), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="feedback-errors"' in html
    assert message in html
    assert IssueEvent.objects.count() == events
    assert not FeedbackRating.objects.exists()


def test_dissatisfied_reaches_the_leaders_and_the_offices_bell_and_email(
    client, world, link, resolved, committed, settings
):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    second = f.SupervisorFactory(username="office2", department=world.oversight)
    f.SupervisorFactory(username="away", is_active=False)
    Notification.objects.all().delete()
    mail.outbox.clear()

    committed(services.rating_submit, link=link, rating="satisfied", comment="")
    assert not Notification.objects.filter(issue=resolved).exists()
    assert mail.outbox == []  # 满意 is on the issue page, not news

    committed(services.rating_submit, link=link, rating="dissatisfied", comment="雨后仍积水")
    told = Notification.objects.filter(issue=resolved).select_related("recipient")
    assert {n.recipient.username for n in told} == {"leader1", "supervisor", "office2"}
    assert {n.kind for n in told} == {Action.FEEDBACK}

    # the bell says what happened, on which issue
    for user in (world.leader.user, second):
        client.force_login(user)
        html = client.get(reverse("notify:notification_list")).content.decode()
        assert "企业对办理结果不满意" in html
        assert "雨后仍积水" in html
        assert resolved.number in html

    # and the e-mail, through the same notify path (once each)
    to = sorted(address for message in mail.outbox for address in message.to)
    assert to == sorted([world.leader.user.email, world.supervisor.email, second.email])
    message = next(m for m in mail.outbox if m.to == [world.leader.user.email])
    assert "企业不满意" in message.subject and resolved.number in message.subject
    assert "企业对办理结果不满意" in message.body and "雨后仍积水" in message.body
    assert f"/issues/{resolved.number}/" in message.body


def test_dissatisfied_from_an_english_browser_is_told_all_the_same(
    client, link, resolved, committed
):
    Notification.objects.all().delete()
    response = committed(
        client.post,
        public_url(link),
        {"rating": "dissatisfied", "comment": "still flooded"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    event = resolved.events.get(action=Action.FEEDBACK)
    assert event.changes["enterprise_rating"] == ["", "不满意"]  # stored in the source language
    assert Notification.objects.filter(issue=resolved, kind=Action.FEEDBACK).count() == 2


def test_dissatisfied_ratings_awaiting_close_are_listed_for_the_office(client, world, link):
    _rate(client, link, "dissatisfied", "雨后仍积水")
    client.force_login(world.supervisor)
    home = client.get(reverse("home")).content.decode()
    assert 'data-testid="feedback-nav"' in home
    html = client.get(reverse("feedback:dissatisfied")).content.decode()
    assert "雨后仍积水" in html and link.issue.number in html
    client.force_login(world.staff_b)
    assert 'data-testid="feedback-nav"' not in client.get(reverse("home")).content.decode()
    assert client.get(reverse("feedback:dissatisfied")).status_code == 403


def test_the_form_needs_its_csrf_token(link):
    browser = Client(enforce_csrf_checks=True)
    events = IssueEvent.objects.count()
    response = browser.post(public_url(link), {"rating": "satisfied"})
    assert response.status_code == 403
    assert IssueEvent.objects.count() == events
    page = browser.get(public_url(link))
    token = page.context["csrf_token"]
    response = browser.post(
        public_url(link), {"rating": "satisfied", "csrfmiddlewaretoken": str(token)}
    )
    assert response.status_code == 302
    assert IssueEvent.objects.count() == events + 1


def test_posts_are_limited_per_link(client, link, settings):
    settings.LEDGER = {**settings.LEDGER, "FEEDBACK_POSTS_PER_LINK": 2}
    assert _rate(client, link).status_code == 302
    assert _rate(client, link, "basically").status_code == 302
    events = IssueEvent.objects.count()
    response = _rate(client, link, "dissatisfied", "第三次")
    assert response.status_code == 429
    assert 'data-testid="feedback-throttled"' in response.content.decode()
    assert IssueEvent.objects.count() == events
    assert FeedbackRating.objects.get(is_current=True).rating == "basically"


def test_posts_are_limited_per_address(client, world, settings):
    settings.LEDGER = {**settings.LEDGER, "FEEDBACK_POSTS_PER_ADDRESS": 2}
    made = []
    for _n in range(3):
        contact = f.ContactFactory(enterprise=world.enterprise)
        issue = world.resolved_issue(enterprise=world.enterprise)
        made.append(services.link_create(actor=world.supervisor, issue=issue, contact=contact))
    assert _rate(client, made[0]).status_code == 302
    assert _rate(client, made[1]).status_code == 302
    assert _rate(client, made[2]).status_code == 429
    assert FeedbackRating.objects.count() == 2
    # another address is not held back by the first one's posts
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert _rate(other, made[2]).status_code == 302


def test_the_timeline_shows_the_rating_as_a_visit_event(client, world, link, resolved):
    _rate(client, link, "basically", "")
    client.force_login(world.supervisor)
    html = client.get(resolved.get_absolute_url()).content.decode()
    assert "issue-event-feedback" in html
    assert "企业评价" in html and "基本满意" in html
