"""The read replica: the figures' views read through the "replica" alias, nothing else does,
and nothing is ever written there.

The alias is a TEST MIRROR of "default" (zhongzhan/settings.py), so these tests run the routing
against the one test database. They commit for real (transaction=True): the mirror is a
connection of its own and sees only committed rows.
"""

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ledger.models import Department, Issue
from ledger.replica import PRIMARY, REPLICA, ReplicaRouter, replica_reading

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

WRITES = ("INSERT", "UPDATE", "DELETE")

# every view that reads from the replica: (URL name, query string, who asks)
REPLICA_VIEWS = [
    ("oversight:dashboard", "", "supervisor"),
    ("oversight:assessment", "", "supervisor"),
    ("oversight:assessment_export", "", "supervisor"),
    ("oversight:report_weekly", "", "supervisor"),
    ("oversight:report_monthly", "", "supervisor"),
    ("oversight:report_weekly_export", "", "supervisor"),
    ("oversight:report_monthly_export", "", "supervisor"),
    ("exchange:issue_export", "", "staff_a"),
    ("exchange:master_export", "departments", "admin"),
    # the same figures through the JSON API (the oversight room's endpoints)
    ("api:figures_dashboard", "", "supervisor"),
    ("api:figures_assessment", "", "supervisor"),
]


@pytest.fixture
def replica_on(settings):
    settings.REPLICA_READS = True


def _url(name: str, arg: str) -> str:
    return reverse(name, args=[arg]) if arg else reverse(name)


def _sql(context: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in context.captured_queries]


def test_reads_go_to_the_primary_outside_a_replica_view(replica_on):
    router = ReplicaRouter()
    assert router.db_for_read(Issue) == PRIMARY
    with replica_reading():
        assert router.db_for_read(Issue) == REPLICA
    assert router.db_for_read(Issue) == PRIMARY


def test_nothing_is_routed_without_a_replica_url(settings):
    settings.REPLICA_READS = False
    with replica_reading():
        assert ReplicaRouter().db_for_read(Issue) == PRIMARY


def test_writes_always_go_to_the_primary(replica_on):
    router = ReplicaRouter()
    with replica_reading():
        assert router.db_for_write(Issue) == PRIMARY
        department = Department.objects.create(name="区统计局", short_name="统计局")
    assert department._state.db == PRIMARY
    assert Department.objects.filter(pk=department.pk).exists()


def test_sessions_and_transactions_read_the_primary(replica_on):
    from django.contrib.sessions.models import Session

    router = ReplicaRouter()
    with replica_reading():
        assert router.db_for_read(Session) == PRIMARY
        with transaction.atomic():
            # a read inside a transaction must see that transaction's own writes
            assert router.db_for_read(Issue) == PRIMARY
        assert router.db_for_read(Issue) == REPLICA


def test_a_read_in_a_replica_block_uses_the_replica_connection(replica_on, world):
    world.raise_issue()
    with (
        CaptureQueriesContext(connections[REPLICA]) as replica,
        CaptureQueriesContext(connections[PRIMARY]) as primary,
    ):
        with replica_reading():
            assert Issue.objects.count() == 1
        assert Issue.objects.count() == 1
    assert len(replica.captured_queries) == 1
    assert len(primary.captured_queries) == 1


@pytest.mark.parametrize(("name", "arg", "who"), REPLICA_VIEWS)
def test_figures_views_read_through_the_replica(replica_on, world, client, name, arg, who):
    world.assigned_issue()
    client.force_login(getattr(world, who))
    with (
        CaptureQueriesContext(connections[REPLICA]) as replica,
        CaptureQueriesContext(connections[PRIMARY]) as primary,
    ):
        response = client.get(_url(name, arg))
    assert response.status_code == 200
    read = _sql(replica)
    assert read, "the view read nothing from the replica"
    assert not [sql for sql in read if sql.lstrip().upper().startswith(WRITES)]
    # the figures' own tables are read from the replica, not the primary
    # (the assessment's table through the API is summed from the day facts alone)
    table = {
        "exchange:master_export": '"ledger_department"',
        "api:figures_assessment": '"oversight_dayfact"',
    }.get(name, '"ledger_issue"')
    assert any(table in sql for sql in read)
    assert not any(
        table in sql and sql.lstrip().upper().startswith("SELECT") for sql in _sql(primary)
    )


def test_the_replica_is_unused_when_no_replica_is_set(settings, world, client):
    settings.REPLICA_READS = False
    world.assigned_issue()
    client.force_login(world.supervisor)
    with CaptureQueriesContext(connections[REPLICA]) as replica:
        assert client.get(reverse("oversight:dashboard")).status_code == 200
    assert replica.captured_queries == []


def test_other_pages_read_the_primary(replica_on, world, client):
    """The ledger and the issue page must show a write the moment after it is made."""
    issue = world.assigned_issue()
    client.force_login(world.supervisor)
    with CaptureQueriesContext(connections[REPLICA]) as replica:
        assert client.get(reverse("issue_list")).status_code == 200
        assert client.get(reverse("issue_detail", args=[issue.number])).status_code == 200
    assert replica.captured_queries == []
