"""Fixtures for the feedback room: an issue about the world's enterprise, resolved by the
lead department (住建局, staff_b), with a contact who has an e-mail address, and its link."""

import pytest

from ledger.service.feedback import links, services
from tests import factories as f
from tests.test_translations import ascii_world  # noqa: F401  (the English screens' world)


@pytest.fixture
def contact(world):
    return f.ContactFactory(
        enterprise=world.enterprise, name="李联系", email="li@example.com", is_primary=True
    )


@pytest.fixture
def resolved(world):
    return world.resolved_issue(enterprise=world.enterprise)


@pytest.fixture
def link(world, resolved, contact):
    return services.link_create(actor=world.staff_b, issue=resolved, contact=contact)


def public_url(link) -> str:
    return links.link_path(link)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run
