"""The feedback room's screens speak English in English (tests/test_translations.py's check,
on an ASCII world): the enterprise's page in each of its states, the issue page's panel, the
rating on the 销号 form, the assessment table and the office's list."""

from django.urls import reverse

from ledger.service.feedback import services
from ledger.service.feedback.models import FeedbackRating
from tests.test_translations import CJK, assert_english, english

from .conftest import public_url


def _english_visitor(client):
    client.cookies["django_language"] = "en"
    return client


def test_the_enterprise_page_renders_in_english(client, ascii_world, settings):
    w = ascii_world
    raised, assigned, running, resolved, closed = w.all_issues
    contact = w.enterprise.contacts.get()
    c = _english_visitor(client)
    for issue in (assigned, running, resolved, closed):
        link = services.link_create(actor=w.supervisor, issue=issue, contact=contact)
        assert_english(c.get(public_url(link)), f"public page, {issue.title}", status=(200,))
    link = services.link_create(actor=w.supervisor, issue=resolved, contact=contact)
    # an error, a rating, the thanks, the current rating, then the rate limit
    assert_english(c.post(public_url(link), {}), "empty rating", status=(400,))
    response = c.post(public_url(link), {"rating": "dissatisfied", "comment": "Still wet."})
    assert response.status_code == 302
    assert_english(c.get(response["Location"]), "thanks", status=(200,))
    assert_english(c.get(public_url(link)), "current rating", status=(200,))
    settings.LEDGER = {**settings.LEDGER, "FEEDBACK_POSTS_PER_LINK": 1}
    assert_english(c.post(public_url(link), {"rating": "satisfied"}), "throttled", status=(429,))
    assert FeedbackRating.objects.count() == 1


def test_the_ledger_side_renders_in_english(client, ascii_world):
    w = ascii_world
    resolved = w.all_issues[3]
    contact = w.enterprise.contacts.get()
    c = english(client, w.staff_b)
    # the panel before any rating (the timeline then holds only the world's ASCII notes)
    services.link_create(actor=w.staff_b, issue=resolved, contact=contact)
    assert_english(c.get(resolved.get_absolute_url()), "issue page with the link panel")
    link = services.link_create(actor=w.staff_b, issue=resolved, contact=contact)
    services.rating_submit(link=link, rating="dissatisfied", comment="Still wet.")
    c = english(client, w.supervisor)
    # the rating's event note is stored in the source language, like every note: check the
    # room's own parts of these pages
    html = c.get(reverse("issue_action", args=[resolved.number, "close"])).content.decode()
    part = html.split('data-testid="feedback-close-rating"', 1)[1].split("</div>", 1)[0]
    assert "Still wet." in part and not CJK.search(part), part
    html = c.get(resolved.get_absolute_url()).content.decode()
    part = html.split('data-testid="feedback-panel"', 1)[1].split("</section>", 1)[0]
    assert not CJK.search(part), part
    assert_english(c.get(reverse("oversight:assessment")), "assessment with the enterprise table")
    assert_english(c.get(reverse("feedback:dissatisfied")), "dissatisfied list")
