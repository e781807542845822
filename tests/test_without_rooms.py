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
from tests import urls_without_room
from tests.without_room import ROOMS

ROOT = Path(__file__).resolve().parent.parent


def test_every_installed_room_is_listed_for_removal():
    assert {room.label: room.name for room in rooms()} == ROOMS


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


def test_the_test_url_map_is_the_projects_with_every_room_installed():
    def shape(patterns):
        # each pattern, and for an include the module it includes
        return [
            (str(p.pattern), getattr(getattr(p, "urlconf_name", None), "__name__", None))
            for p in patterns
        ]

    assert shape(urls_without_room.urlpatterns) == shape(get_resolver().url_patterns)
