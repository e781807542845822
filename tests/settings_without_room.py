"""The project's settings with one room removed (named by LEDGER_WITHOUT_ROOM, its app label),
with everything of the room's that settings name: its middleware, authentication backends
and password validators
(its URLs go with it: zhongzhan/urls.py includes only the installed rooms'). Run by
tests/test_without_rooms.py under the core's pages, one room at a time."""

import os

from tests.without_room import ROOMS
from zhongzhan.settings import *  # noqa: F403
from zhongzhan.settings import (
    AUTH_PASSWORD_VALIDATORS,
    AUTHENTICATION_BACKENDS,
    INSTALLED_APPS,
    MIDDLEWARE,
)

WITHOUT_ROOM = os.environ["LEDGER_WITHOUT_ROOM"]


def room_of(dotted: str) -> str | None:
    """The room a dotted path belongs to: the longest room package it is in (feedback is
    inside service's package and still a room of its own)."""
    owners = [
        label
        for label, package in ROOMS.items()
        if dotted == package or dotted.startswith(package + ".")
    ]
    return max(owners, key=lambda label: len(ROOMS[label]), default=None)


def _kept(paths: list[str]) -> list[str]:
    return [path for path in paths if room_of(path) != WITHOUT_ROOM]


INSTALLED_APPS = _kept(INSTALLED_APPS)
MIDDLEWARE = _kept(MIDDLEWARE)
AUTHENTICATION_BACKENDS = _kept(AUTHENTICATION_BACKENDS)
AUTH_PASSWORD_VALIDATORS = [
    v for v in AUTH_PASSWORD_VALIDATORS if room_of(v["NAME"]) != WITHOUT_ROOM
]

# A test database of its own per room removed: the main run's workers start these runs side by
# side, and on PostgreSQL two runs must not create (and destroy) the same test database.
DATABASES = {
    alias: {**conf, "TEST": {**conf.get("TEST", {}), "NAME": f"test_zz_without_{WITHOUT_ROOM}"}}
    if "postgresql" in conf["ENGINE"]
    else conf
    for alias, conf in DATABASES.items()  # noqa: F405
}
