import os

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
