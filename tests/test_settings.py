import ast
import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection


def test_database_is_the_one_the_environment_names():
    """CI's second run must really be PostgreSQL, not a silent SQLite fallback."""
    url = os.environ.get("DATABASE_URL", "")
    expected = os.environ.get("EXPECT_DB_VENDOR") or (
        "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    )
    assert connection.vendor == expected


def test_chinese_is_the_default_language_and_english_is_available():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert "en" in dict(settings.LANGUAGES)
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True


def _without_debug_or_key(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    return subprocess.run(  # noqa: S603
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_server_refuses_to_start_without_a_secret_key_when_debug_is_off():
    for entry in ("zhongzhan.wsgi", "zhongzhan.asgi"):
        result = _without_debug_or_key("-c", f"import {entry}")
        assert result.returncode != 0, entry
        assert "SECRET_KEY is not set" in result.stderr, entry


def test_tools_that_sign_nothing_run_without_a_secret_key():
    # e.g. CI or a packager checking migrations on a machine with no secrets
    result = _without_debug_or_key("manage.py", "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


# -- every variable settings.py reads is in the one table ---------------------------------

ENV_HELPERS = {"env_bool", "env_int", "env_list"}
NAME = re.compile(r"^[A-Z][A-Z0-9_]+$")


def settings_env_reads() -> set[str]:
    """The environment variables zhongzhan/settings.py reads: os.environ.get("X"),
    os.getenv("X"), os.environ["X"] and the env_bool/env_int/env_list helpers."""
    tree = ast.parse((Path(settings.BASE_DIR) / "zhongzhan" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            func = ast.unparse(node.func)
            if func in ENV_HELPERS | {"os.environ.get", "os.getenv"}:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    names.add(first.value)
        elif (
            isinstance(node, ast.Subscript)
            and ast.unparse(node.value) == "os.environ"
            and isinstance(node.slice, ast.Constant)
        ):
            names.add(node.slice.value)
    return names


def settings_table() -> set[str]:
    """The variables named (in backticks) in the first column of docs/operations.md's table
    under "## Settings"."""
    text = (Path(settings.BASE_DIR) / "docs" / "operations.md").read_text()
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names |= {n for n in re.findall(r"`([^`]+)`", first_cell) if NAME.match(n)}
    return names


def test_the_settings_reader_finds_what_settings_py_reads():
    # the parser itself: a few reads of each form, so an empty result cannot pass the next test
    reads = settings_env_reads()
    assert {"SECRET_KEY", "DEBUG", "CONN_MAX_AGE", "ALLOWED_HOSTS", "TASKS_BACKEND"} <= reads
    assert len(reads) > 60


def test_every_environment_variable_settings_py_reads_is_in_the_settings_table():
    missing = sorted(settings_env_reads() - settings_table())
    assert not missing, (
        "zhongzhan/settings.py reads these environment variables, but the table under "
        "'## Settings' in docs/operations.md does not list them: "
        + ", ".join(missing)
        + ". Add a row for each (name, default, meaning)."
    )


def test_the_settings_table_lists_nothing_settings_py_does_not_read():
    stale = sorted(settings_table() - settings_env_reads())
    assert not stale, (
        "docs/operations.md's settings table lists variables zhongzhan/settings.py never "
        "reads: " + ", ".join(stale)
    )


def test_the_example_env_file_names_every_variable():
    text = (Path(settings.BASE_DIR) / "deploy" / "env.example").read_text()
    named = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))
    missing = sorted(settings_env_reads() - named)
    assert not missing, (
        "deploy/env.example does not name these variables settings.py reads: " + ", ".join(missing)
    )
