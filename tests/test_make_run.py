"""`make run PORT=… HOST=…`: the port check before migrating, and log lines printed once."""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from port_free import port_problem  # noqa: E402


def test_a_free_port_passes():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert port_problem("127.0.0.1", str(port)) is None


def test_a_busy_port_gives_a_bilingual_message():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        problem = port_problem("127.0.0.1", str(port))
    assert f"端口 {port} 已被占用" in problem
    assert f"Port {port} on 127.0.0.1 is already in use" in problem


@pytest.mark.parametrize("port", ["abc", "0", "70000", ""])
def test_a_bad_port_is_explained(port):
    assert "1–65535" in port_problem("127.0.0.1", port)


def test_the_script_exits_non_zero_on_a_busy_port():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        done = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "port_free.py"), "127.0.0.1", str(port)],
            capture_output=True,
            text=True,
            check=False,
        )
    assert done.returncode == 1
    assert "已被占用" in done.stderr


def test_make_run_checks_the_port_before_migrating_and_serves_on_host_and_port():
    done = subprocess.run(
        ["make", "-n", "run", "PORT=8001", "HOST=0.0.0.0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line for line in done.stdout.splitlines() if "python" in line]
    check = next(i for i, line in enumerate(lines) if "port_free.py 0.0.0.0 8001" in line)
    migrate = next(i for i, line in enumerate(lines) if "manage.py migrate" in line)
    assert check < migrate
    assert re.search(r"manage\.py runserver 0\.0\.0\.0:8001$", lines[-1])


def test_a_server_log_line_is_printed_once():
    """The "django" logger had its own console handler and propagated to the root's."""
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('django.request').warning('Not Found: /zz-once'); "
        "logging.getLogger('django.server').info('GET /zz-once 200')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "zhongzhan.settings", "DEBUG": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stderr.count("Not Found: /zz-once") == 1
    assert done.stderr.count("GET /zz-once 200") == 1
