"""Reading the figures from a read replica: a view wrapped in `replica_reads` sends its
read-only queries to the "replica" database alias (DATABASE_REPLICA_URL), every write
still goes to "default".

The choice is made per request, not per model: the same tables are read live by the
ledger and the issue page (which must see a write the moment after it is made) and from
the replica by the dashboard, the assessment, the reports and the exports, which count
and can stand a replica's second of lag. A context variable carries the choice, so it
holds for the request's thread (or task) only and ends with the view.
"""

import contextvars
import functools
from contextlib import contextmanager

from django.conf import settings
from django.db import connections

REPLICA = "replica"
PRIMARY = "default"

# True while a view wrapped in replica_reads runs (in this thread or task only)
_reading = contextvars.ContextVar("ledger_replica_reads", default=False)

# tables read on the primary even inside a replica view: the signed-in user's session and
# account are read when the request is authenticated, and a session just written by a
# sign-in may not have reached the replica yet
PRIMARY_ONLY_APPS = frozenset({"sessions"})


def is_reading_replica() -> bool:
    """True when reads now go to the replica: a replica view runs and a replica is set
    (settings.REPLICA_READS, on when DATABASE_REPLICA_URL is given)."""
    return _reading.get() and settings.REPLICA_READS and REPLICA in settings.DATABASES


@contextmanager
def replica_reading():
    """Within the block, reads go to the replica (when DATABASE_REPLICA_URL is set)."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def replica_reads(view):
    """Decorate a read-only figures view: its queries read from the replica.

    The request's user is resolved first, on the primary (a sign-in a moment ago is seen)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        user = getattr(request, "user", None)
        if user is not None:
            user.is_authenticated  # noqa: B018 - resolves the lazy user now, on the primary
        with replica_reading():
            return view(request, *args, **kwargs)

    return wrapped


class ReplicaRouter:
    """DATABASE_ROUTERS entry: reads of a replica view to "replica", all writes to "default"."""

    def db_for_read(self, model, **hints):
        if model._meta.app_label in PRIMARY_ONLY_APPS or not is_reading_replica():
            return PRIMARY
        # a read inside a transaction on the primary belongs to it: it must see the
        # transaction's own writes and may lock rows (select_for_update)
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return REPLICA

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # the replica holds the same rows: an object read there may point at one from the primary
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # the replica receives the schema from the primary (streaming replication)
        return db != REPLICA
