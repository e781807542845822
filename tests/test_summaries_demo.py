"""The summary rows on the demo data: every account's home cards and dashboard tiles are
the same from the rows as from a fresh count of the issues (its own module: the demo is
loaded once, in a transaction the module's other tests would run inside)."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from ledger import summaries
from ledger.models import Issue, User
from ledger.oversight.selectors import dashboard as dashboard_selectors
from ledger.selectors import home_cards, visible_to
from ledger.selectors.home import (
    _home_card_definitions,
    home_card_counts,
    home_card_counts_from_issues,
)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


def test_demo_data_gives_the_same_figures_for_every_account(demo, db):
    assert Issue.objects.count() > 20
    assert summaries.verify() == []
    today = timezone.localdate()
    for user in User.objects.filter(is_active=True):
        definitions = _home_card_definitions(user)
        for later in (0, 3, 10):
            day = today + datetime.timedelta(days=later)
            assert home_card_counts(user, definitions, day) == home_card_counts_from_issues(
                user, definitions, day
            ), user
            assert dashboard_selectors.tiles(user, day) == dashboard_selectors.tiles_from_issues(
                visible_to(user).order_by(), day
            ), user
    # the demo is not all zeros
    assert sum(c.count for u in User.objects.filter(is_active=True) for c in home_cards(u)) > 0
