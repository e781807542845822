"""The feedback room's demo data: links on demo issues, enterprise ratings on resolved ones
(one 不满意), written through the services, idempotent, timelines still intact."""

import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from ledger.models import IssueEvent
from ledger.service.feedback.models import FeedbackLink, FeedbackRating
from ledger.workdays import is_working_day


@pytest.fixture(scope="module")
def demo_ledger(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", "--i-know-this-is-not-production", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def seeded(demo_ledger, db):
    return None


def test_demo_has_links_and_ratings_with_one_dissatisfied(seeded):
    assert FeedbackLink.objects.filter(revoked_at__isnull=True).count() >= 4
    ratings = FeedbackRating.objects.filter(is_current=True)
    assert ratings.count() >= 2
    assert ratings.filter(rating="dissatisfied").count() == 1
    # one resolved issue has a link and no rating yet: the form the screenshot shows
    assert (
        FeedbackLink.objects.filter(issue__status="resolved", issue__feedback_ratings__isnull=True)
        .exclude(revoked_at__isnull=False)
        .exists()
    )
    for rating in ratings.select_related("event"):
        event = rating.event
        assert event.actor.username == "zz_enterprise"
        assert event.created_at < timezone.now()
        assert is_working_day(timezone.localtime(event.created_at).date())
        # the rating is the issue's last event, or only the office's 销号 came after it
        later = IssueEvent.objects.filter(issue=rating.issue, seq__gt=event.seq)
        assert list(later.values_list("action", flat=True)) in ([], ["close"])
    # ratings on issues the office has since struck off, agreeing with its satisfaction
    closed = ratings.filter(issue__status="closed").select_related("issue")
    assert closed.count() == 2
    for rating in closed:
        assert rating.rating == rating.issue.satisfaction


def test_seeding_again_changes_nothing(seeded):
    before = (FeedbackLink.objects.count(), FeedbackRating.objects.count())
    call_command("seed_demo", "--i-know-this-is-not-production", stdout=io.StringIO())
    assert (FeedbackLink.objects.count(), FeedbackRating.objects.count()) == before
