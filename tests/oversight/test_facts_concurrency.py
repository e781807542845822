"""Day facts under concurrent writes: several issues of one department, due the same day,
resolved at the same moment by different threads (PostgreSQL; on SQLite, which serialises
writers, the same assertions on the sequential form). Every thread adds to the same day
rows; UPDATE … SET n = n + delta must lose none of them, and no two writers deadlock."""

import time

import pytest

from ledger import workflow
from ledger.oversight import facts
from ledger.oversight.models import DayFact, Dimension
from ledger.workflow import TransitionRefused
from tests.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)

HOLD_SECONDS = 0.2


@pytest.fixture
def slow_facts(monkeypatch):
    """Each writer waits inside its transaction before adding, so that all of them reach
    the shared day rows together."""
    apply = facts._deltas_apply

    def slow(delta):
        time.sleep(HOLD_SECONDS)
        return apply(delta)

    monkeypatch.setattr(facts, "_deltas_apply", slow)


def test_concurrent_resolutions_lose_no_count(world, slow_facts):
    issues = [world.in_progress_issue(deadline_days=10) for _ in range(6)]
    deadline = issues[0].deadline
    row = DayFact.objects.get(dimension=Dimension.DEPARTMENT, unit=world.dept_b.pk, day=deadline)
    assert (row.due, row.done, row.running) == (6, 0, 6)

    def resolver(issue):
        return lambda: workflow.transition(
            issue.pk, actor=world.staff_b, action="resolve", resolution="已办结。"
        )

    results = race(*(resolver(issue) for issue in issues))
    assert not [r for r in results if isinstance(r, Exception | TransitionRefused)], results
    row.refresh_from_db()
    assert (row.due, row.done, row.running) == (6, 6, 0)
    total = DayFact.objects.get(dimension=Dimension.TOTAL, unit=0, day=deadline)
    assert total.running == 0
    assert facts.verify() == []
