"""Two people acting on one issue at once: exactly one wins, the other is told who did what.

On PostgreSQL the actors are real threads, each with its own database connection,
released together by a barrier; the winner is slowed down inside its transaction so
the loser really waits on the row lock. SQLite serialises writers anyway, so there
the same assertions run on the sequential form of the race: the second actor acts
on an Issue object loaded before the first one acted.
"""

import threading
import time

import pytest
from django.db import connection

from ledger import workflow
from ledger.models import ExtensionRequest, Issue, IssueEvent
from ledger.workflow import TransitionRefused
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)

HOLD_SECONDS = 0.3  # how long the winner keeps the row locked before writing its event


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def threaded() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def slow_writes(monkeypatch):
    """Hold the issue's row lock a little longer so that racing actors overlap for sure."""
    write = workflow.core._event_write

    def slow(*args, **kwargs):
        time.sleep(HOLD_SECONDS)
        return write(*args, **kwargs)

    monkeypatch.setattr(workflow.core, "_event_write", slow)


def race(*jobs) -> list:
    """Run the jobs at the same moment; each result is the job's return value or its exception."""
    if not threaded():
        results = []
        for job in jobs:
            try:
                results.append(job())
            except Exception as error:  # noqa: BLE001 - reported to the test
                results.append(error)
        return results

    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait(timeout=10)
            results[index] = job()
        except Exception as error:  # noqa: BLE001 - reported to the test
            results[index] = error
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a racing actor never finished"
    return results


def one_winner(results):
    """(the winning event, the loser's refusal); anything else fails the test."""
    unexpected = [r for r in results if not isinstance(r, IssueEvent | TransitionRefused)]
    assert not unexpected, unexpected
    won = [r for r in results if isinstance(r, IssueEvent)]
    lost = [r for r in results if isinstance(r, TransitionRefused)]
    assert len(won) == 1 and len(lost) == len(results) - 1, results
    return won[0], lost[0]


def stale_copy(issue) -> Issue:
    """The issue as a second actor's page had it before anyone acted."""
    return Issue.objects.get(pk=issue.pk)


def test_two_lead_staff_accepting_at_once_one_wins(world, slow_writes):
    issue = world.assigned_issue()
    colleague = f.StaffFactory(username="staff_b2", name="李明", department=world.dept_b)
    version = issue.version
    copies = [stale_copy(issue), stale_copy(issue)]
    results = race(
        lambda: workflow.transition(
            copies[0], actor=world.staff_b, action="accept", expected_version=version
        ),
        lambda: workflow.transition(
            copies[1], actor=colleague, action="accept", expected_version=version
        ),
    )
    event, refusal = one_winner(results)
    loser = colleague if event.actor == world.staff_b else world.staff_b
    assert event.actor != loser
    assert str(event.actor) in refusal.message
    assert "签收" in refusal.message
    issue.refresh_from_db()
    assert issue.status == "in_progress"
    assert issue.version == version + 1
    assert issue.events.filter(action="accept").count() == 1
    assert issue.events.count() == version + 1


def test_leader_and_supervisor_closing_at_once_one_wins(world, slow_writes):
    issue = world.resolved_issue()
    version = issue.version
    copies = [stale_copy(issue), stale_copy(issue)]
    leader = world.leader.user
    results = race(
        lambda: workflow.transition(
            copies[0], actor=leader, action="close", satisfaction="satisfied", note="满意。"
        ),
        lambda: workflow.transition(
            copies[1],
            actor=world.supervisor,
            action="close",
            satisfaction="dissatisfied",
            note="不满意。",
        ),
    )
    event, refusal = one_winner(results)
    assert str(event.actor) in refusal.message
    assert "销号" in refusal.message
    issue.refresh_from_db()
    assert issue.status == "closed"
    expected = "satisfied" if event.actor == leader else "dissatisfied"
    assert (issue.satisfaction, issue.satisfaction_note) == (expected, event.note)
    assert issue.events.filter(action="close").count() == 1
    assert issue.version == version + 1


def test_accept_and_return_at_once_one_wins(world, slow_writes):
    issue = world.assigned_issue()
    colleague = f.StaffFactory(username="staff_b2", department=world.dept_b)
    copies = [stale_copy(issue), stale_copy(issue)]
    results = race(
        lambda: workflow.transition(copies[0], actor=world.staff_b, action="accept"),
        lambda: workflow.transition(
            copies[1], actor=colleague, action="return", note="不属于本单位职责。"
        ),
    )
    event, refusal = one_winner(results)
    issue.refresh_from_db()
    assert issue.status == {"accept": "in_progress", "return": "raised"}[event.action]
    assert issue.events.filter(action__in=["accept", "return"]).count() == 1
    if event.action == "accept":
        assert str(event.actor) in refusal.message
    else:
        # returned: the issue left the lead department's sight, and the refusal says so
        assert "无权查看" in refusal.message


def test_approving_and_rejecting_an_extension_at_once_decides_it_once(world, slow_writes):
    issue = world.in_progress_issue()
    workflow.transition(
        issue,
        actor=world.staff_b,
        action="extension_request",
        note="需要更多时间。",
        new_deadline=f.days_from_today(30),
    )
    version = issue.version
    results = race(
        lambda: workflow.transition(
            issue.pk,
            actor=world.leader.user,
            action="extension_approve",
            note="同意。",
            expected_version=version,
        ),
        lambda: workflow.transition(
            issue.pk,
            actor=world.supervisor,
            action="extension_reject",
            note="不同意。",
            expected_version=version,
        ),
    )
    event, refusal = one_winner(results)
    assert str(event.actor) in refusal.message
    request = issue.extensions.get()
    approved = event.action == "extension_approve"
    assert request.state == (
        ExtensionRequest.State.APPROVED if approved else ExtensionRequest.State.REJECTED
    )
    assert request.decided_by == event.actor
    issue.refresh_from_db()
    assert issue.deadline == f.days_from_today(30 if approved else 10)
    assert issue.deadlines.count() == (2 if approved else 1)
    assert issue.events.filter(action__startswith="extension_").count() == 2


def test_issues_raised_at_once_get_distinct_consecutive_numbers(world):
    raisers = [world.staff_a, world.staff_b, world.staff_c, world.supervisor] * 2
    results = race(
        *[
            (lambda actor=actor, n=n: world.raise_issue(actor=actor, title=f"同时登记{n}"))
            for n, actor in enumerate(raisers)
        ]
    )
    assert all(isinstance(r, Issue) for r in results), results
    seqs = sorted(issue.seq for issue in results)
    assert seqs == list(range(1, len(raisers) + 1))
    numbers = {issue.number for issue in results}
    assert len(numbers) == len(raisers)
    assert Issue.objects.count() == len(raisers)
    assert IssueEvent.objects.filter(action="raise").count() == len(raisers)
    for issue in results:
        assert list(issue.events.values_list("seq", flat=True)) == [1]


@pytest.mark.parametrize(
    ("action", "actor", "note"),
    [("urge", "supervisor", "请加快办理。"), ("comment", "staff_b", "已联系企业。")],
)
def test_the_same_urge_or_comment_posted_twice_at_once_counts_once(
    world, slow_writes, action, actor, note
):
    """A double click: two identical posts built from one page (one version) race."""
    issue = world.in_progress_issue()
    user = getattr(world, actor)
    version = issue.version
    results = race(
        *[
            lambda: workflow.transition(
                issue.pk, actor=user, action=action, note=note, expected_version=version
            )
        ]
        * 2
    )
    event, refusal = one_winner(results)
    assert event.action == action
    assert "已保留" in refusal.message  # the form's text is kept for the person
    issue.refresh_from_db()
    assert issue.events.filter(action=action).count() == 1
    assert issue.urge_count == (1 if action == "urge" else 0)
    assert issue.version == version + 1
