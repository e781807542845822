"""Fixtures for ledger.notify: the shared world plus colleagues, and on-commit execution."""

import datetime

import pytest
from django.utils import timezone

from ledger import workdays
from tests import factories as f


@pytest.fixture(autouse=True)
def _calendar_cache_fresh():
    # a test's Holiday rows are rolled back without a signal: never keep them cached
    workdays.calendar_cache_clear()
    yield
    workdays.calendar_cache_clear()


@pytest.fixture
def people(world):
    """The world with a colleague in the lead department, a second supervisor, and people
    who must never be told: an inactive colleague and the other leader."""
    world.staff_b2 = f.StaffFactory(username="staff_b2", department=world.dept_b)
    world.supervisor2 = f.SupervisorFactory(username="supervisor2", department=world.oversight)
    world.inactive_b = f.StaffFactory(
        username="inactive_b", department=world.dept_b, is_active=False
    )
    return world


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks (the signal, then the e-mail tasks) of what `fn` does."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def clock(monkeypatch):
    """clock.set(day, hour): timezone.now() returns that moment (Shanghai time) until set again."""

    class Clock:
        moment = None

        def set(self, day: datetime.date, hour: int = 9):
            self.moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))
            return self.moment

    frozen = Clock()
    monkeypatch.setattr(
        timezone, "now", lambda: frozen.moment or datetime.datetime.now(datetime.UTC)
    )
    return frozen
