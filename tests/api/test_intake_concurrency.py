"""Two identical work orders at once create one order and one issue.

On PostgreSQL the two calls are real threads, each with its own connection, released
together; the first is slowed inside its transaction (after inserting the order row) so the
second really waits on the unique index and then answers with the first one's issue. SQLite
serialises writers, so there the same assertions run on the calls one after the other.
"""

import json
import threading
import time

import pytest
from django.db import connection
from django.test import Client

from ledger import workflow
from ledger.api.models import IntakeOrder
from ledger.models import Issue
from tests.api.intake_support import api_client_make, bearer, work_order

pytestmark = pytest.mark.django_db(transaction=True)

HOLD_SECONDS = 0.5


def test_two_identical_work_orders_at_once_create_one_issue(world, monkeypatch):
    _api, plain = api_client_make(world)
    write = workflow.core._event_write

    def slow(*args, **kwargs):
        time.sleep(HOLD_SECONDS)
        return write(*args, **kwargs)

    monkeypatch.setattr(workflow.core, "_event_write", slow)
    body = json.dumps(work_order())
    results: list = [None, None]

    def call(index):
        try:
            response = Client().post(
                "/api/v1/intake/", data=body, content_type="application/json", **bearer(plain)
            )
            results[index] = (response.status_code, response.json())
        except Exception as error:  # noqa: BLE001 - reported to the test
            results[index] = error
        finally:
            if threaded:
                connection.close()  # this thread's own connection

    threaded = connection.vendor == "postgresql"
    if threaded:
        barrier = threading.Barrier(2)

        def run(index):
            barrier.wait(timeout=10)
            call(index)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
            assert not thread.is_alive()
    else:
        call(0)
        call(1)

    assert all(isinstance(result, tuple) for result in results), results
    assert sorted(code for code, _body in results) == [200, 201]
    numbers = {body["issue"]["number"] for _code, body in results}
    assert len(numbers) == 1
    assert Issue.objects.count() == 1
    assert IntakeOrder.objects.count() == 1
    assert IntakeOrder.objects.get().issue.number in numbers
