"""Every room can be removed: with any one room out of INSTALLED_APPS (and its middleware,
backends and URLs: tests/settings_without_room.py) every core page renders for every role and
the core's journeys run (tests/without_room/core_pages.py, in a subprocess per room, since
INSTALLED_APPS cannot change inside one process). And the core's migrations need no room's."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db.migrations.loader import MigrationLoader
from django.urls import get_resolver

from ledger.rooms import rooms
from tests.without_room import ROOMS
from zhongzhan import urls as project_urls

ROOT = Path(__file__).resolve().parent.parent


def test_every_installed_room_is_listed_for_removal():
    assert {room.label: room.name for room in rooms()} == ROOMS


# ten subprocesses, each migrating a database of its own: the wiring they check is the same
# on both databases, so CI's PostgreSQL pass leaves them to its SQLite pass (tests/profiles.py)
@pytest.mark.same_on_every_database
@pytest.mark.parametrize("label", sorted(ROOMS))
def test_core_pages_render_without_the_room(label):
    env = {
        **os.environ,
        "DEBUG": "1",
        "LEDGER_WITHOUT_ROOM": label,
        "DJANGO_SETTINGS_MODULE": "tests.settings_without_room",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:xdist",
            "-p",
            "no:cacheprovider",
            "--ds=tests.settings_without_room",
            "tests/without_room/core_pages.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, (
        f"without {label}:\n{result.stdout[-4000:]}{result.stderr[-2000:]}"
    )
    assert " passed" in result.stdout and "skipped" not in result.stdout


def test_core_migrations_depend_on_no_room():
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    rooms_labels = set(ROOMS)
    for app_label, name in graph.nodes:
        if app_label != "ledger":
            continue
        parents = {parent[0] for parent in graph.node_map[(app_label, name)].parents}
        assert not parents & rooms_labels, (name, parents & rooms_labels)


def test_the_project_includes_the_urls_of_every_installed_room():
    """zhongzhan/urls.py leaves out only what is not installed: here, nothing."""
    included = {
        getattr(p, "urlconf_name", None).__name__
        for p in get_resolver().url_patterns
        if hasattr(getattr(p, "urlconf_name", None), "__name__")
    }
    assert set(project_urls.ROOM_URLS) <= included
    assert {
        room.name + ".urls" for room in rooms() if room.label not in ("integrity", "scale")
    } == set(project_urls.ROOM_URLS)
