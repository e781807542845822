"""ledger/api/idempotency.py on its own: claim, replay, a reused key, refusals kept out,
expiry, and two identical requests at the same moment."""

import datetime
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from ledger.api import idempotency
from ledger.api.models import IdempotencyRecord
from tests import factories as f

pytestmark = pytest.mark.django_db


def _ok(body):
    return lambda: idempotency.Outcome(201, body, {"Location": "/x/", "Other": "no"})


def test_first_call_runs_and_a_second_replays_without_running():
    user = f.StaffFactory(username="idem1")
    runs = []

    def run():
        runs.append(1)
        return idempotency.Outcome(201, {"n": len(runs)}, {"Location": "/x/1/"})

    first = idempotency.idempotent_call(caller=user, key="a", digest="d1", run=run)
    second = idempotency.idempotent_call(caller=user, key="a", digest="d1", run=run)
    assert (first.replayed, second.replayed) == (False, True)
    assert second.body == {"n": 1} and second.status == 201
    assert second.headers == {"Location": "/x/1/"}
    assert runs == [1]


def test_keys_are_per_caller():
    one, two = f.StaffFactory(username="idem2"), f.StaffFactory(username="idem3")
    idempotency.idempotent_call(caller=one, key="same", digest="d", run=_ok({"who": 1}))
    other = idempotency.idempotent_call(caller=two, key="same", digest="e", run=_ok({"who": 2}))
    assert other.replayed is False and other.body == {"who": 2}


def test_the_same_key_for_another_request_is_refused():
    user = f.StaffFactory(username="idem4")
    idempotency.idempotent_call(caller=user, key="k", digest="d1", run=_ok({}))
    with pytest.raises(idempotency.KeyReused):
        idempotency.idempotent_call(caller=user, key="k", digest="d2", run=_ok({}))


def test_a_refused_answer_or_an_exception_keeps_nothing():
    user = f.StaffFactory(username="idem5")
    refused = idempotency.idempotent_call(
        caller=user, key="k", digest="d", run=lambda: idempotency.Outcome(400, {}, {})
    )
    assert refused.status == 400
    assert not IdempotencyRecord.objects.exists()

    def boom():
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        idempotency.idempotent_call(caller=user, key="k", digest="d", run=boom)
    assert not IdempotencyRecord.objects.exists()
    done = idempotency.idempotent_call(caller=user, key="k", digest="d", run=_ok({"ok": 1}))
    assert done.replayed is False


def test_an_expired_key_is_free_again_and_purged():
    user = f.StaffFactory(username="idem6")
    idempotency.idempotent_call(caller=user, key="k", digest="d1", run=_ok({"v": 1}))
    old = timezone.now() - idempotency.KEEP_FOR - datetime.timedelta(minutes=1)
    IdempotencyRecord.objects.update(created_at=old)
    again = idempotency.idempotent_call(caller=user, key="k", digest="d2", run=_ok({"v": 2}))
    assert again.replayed is False and again.body == {"v": 2}
    IdempotencyRecord.objects.update(created_at=old)
    assert idempotency.idempotency_purge() == 1


def test_a_callers_next_call_forgets_its_expired_keys_only():
    user, other = f.StaffFactory(username="idem8"), f.StaffFactory(username="idem9")
    for caller, key in ((user, "old1"), (user, "old2"), (other, "old3")):
        idempotency.idempotent_call(caller=caller, key=key, digest="d", run=_ok({}))
    old = timezone.now() - idempotency.KEEP_FOR - datetime.timedelta(minutes=1)
    IdempotencyRecord.objects.update(created_at=old)

    idempotency.idempotent_call(caller=user, key="new", digest="d", run=_ok({}))

    assert sorted(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new", "old3"]


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "ключ", "a\tb"])
def test_a_malformed_key_is_a_400(key, rf):
    request = rf.post("/", HTTP_IDEMPOTENCY_KEY=key)
    with pytest.raises(idempotency.KeyInvalid):
        idempotency.idempotency_key(request)


@pytest.mark.django_db(transaction=True)
def test_two_identical_calls_at_once_run_once():
    """Two calls with one key at the same moment (threads on PostgreSQL; one after the other
    on SQLite, whose test database is one shared in-memory file): one runs, the other waits
    on the claim and replays its answer (or, caught mid-run, is told to retry: 409); never
    two runs."""
    user = f.StaffFactory(username="idem7")
    runs, results = [], []

    def run():
        runs.append(1)
        time.sleep(0.3)  # the other call arrives while this one holds the claim
        return idempotency.Outcome(201, {"run": len(runs)}, {})

    def call():
        try:
            results.append(
                idempotency.idempotent_call(caller=user, key="same", digest="d", run=run)
            )
        except Exception as error:  # noqa: BLE001 - asserted below
            results.append(error)

    if connection.vendor == "postgresql":
        barrier = threading.Barrier(2)

        def racing():
            barrier.wait()
            try:
                call()
            finally:
                connection.close()

        threads = [threading.Thread(target=racing) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        call()
        call()
    assert runs == [1]
    assert len(results) == 2
    strays = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(r, idempotency.KeyInFlight) for r in strays), strays
    fresh = [r for r in results if isinstance(r, idempotency.Outcome) and not r.replayed]
    assert len(fresh) == 1
