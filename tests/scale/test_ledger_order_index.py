"""issue 19: a staff member's deep ledger page from one index. On PostgreSQL the ledger's
default order carries the columns of a department's visibility (ledger_index.LEDGER_ORDER_SQL),
so an index-only scan can give the page's ids, whatever the number of rows it passes."""

import re

import pytest
from django.db import connection

from ledger import ledger_index
from ledger.selectors import visible_to
from ledger.selectors.ordering import DEFAULT_SORT, ledger_order
from tests import factories as f


def _index_columns(name: str) -> set[str]:
    """The columns an index holds, its keys and its INCLUDE columns (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a"
            " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
            " WHERE i.indexrelid = %s::regclass",
            [name],
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
def test_a_staff_members_deep_page_ids_come_from_the_index_alone():
    staff = f.StaffFactory()
    f.IssueFactory.create_batch(3, raised_by=staff)
    f.IssueFactory.create_batch(2)
    page = ledger_order(visible_to(staff), DEFAULT_SORT).values_list("pk", flat=True)[1:3]
    assert len(list(page)) == 2  # the query runs, and finds the staff member's rows
    indexes = {
        row[0]
        for row in connection.cursor()
        .execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'ledger_issue'"
            if connection.vendor == "postgresql"
            else "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ledger_issue'"
        )
        .fetchall()
    }
    if connection.vendor != "postgresql":
        # SQLite has no INCLUDE: the migration leaves it alone
        assert "issue_newest_visible" not in indexes
        return
    assert "issue_newest_visible" in indexes
    # an index-only scan can serve the page's ids: every column of the issue table the query
    # reads is in the index, and the index is in the ledger's default order. (Which plan the
    # planner takes on a test's few rows depends on costs; at a million issues it was this
    # index, 38 ms against 160-250 ms: docs/scaling.md.)
    sql, _params = page.query.sql_with_params()
    read = set(re.findall(r'"ledger_issue"\."(\w+)"', sql))
    assert {"id", "year", "seq", "involved", "raised_by_id"} <= read, sql
    assert read <= _index_columns("issue_newest_visible"), (read, sql)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_indexdef('issue_newest_visible'::regclass)")
        definition = cursor.fetchone()[0]
    assert "(year DESC, seq DESC)" in definition, definition


@pytest.mark.django_db
def test_the_ledger_order_index_comes_and_goes_with_its_migration_step():
    if connection.vendor != "postgresql":
        ledger_index.install_ledger_order(connection)  # a no-op off PostgreSQL
        return

    def present():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'issue_newest_visible'")
            return cursor.fetchone() is not None

    assert present()
    ledger_index.uninstall_ledger_order(connection)
    assert not present()
    ledger_index.install_ledger_order(connection)
    assert present()
