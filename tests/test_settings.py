import os
import subprocess
import sys

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
