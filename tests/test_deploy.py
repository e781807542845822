"""Deployment settings: `check --deploy` with production variables reports nothing; HTTPS
(HSTS, redirect, the proxy header) and the idle session timeout come from the environment.
"""

import json
import os
import secrets
import subprocess
import sys

from django.conf import settings

PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "ledger.example.gov.cn",
    "CSRF_TRUSTED_ORIGINS": "https://ledger.example.gov.cn",
    "SITE_URL": "https://ledger.example.gov.cn",
    "EVENTS_KEY": secrets.token_hex(32),
}


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    # the test database's URL stays; nothing here writes to it
    return subprocess.run(  # noqa: S603
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env={**base, **PRODUCTION, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _production_settings(**env: str) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ("
        "'DEBUG', 'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_PROXY_SSL_HEADER', "
        "'SESSION_COOKIE_AGE', 'SESSION_SAVE_EVERY_REQUEST', 'SESSION_EXPIRE_AT_BROWSER_CLOSE', "
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE')}))"
    )
    result = _run("-c", code, DJANGO_SETTINGS_MODULE="zhongzhan.settings", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_with_production_variables_reports_nothing():
    result = _run("manage.py", "check", "--deploy", "--fail-level", "DEBUG")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_https_is_on_by_default_without_debug():
    values = _production_settings()
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SECURE_PROXY_SSL_HEADER"] is None  # trusted only when configured


def test_the_proxy_header_and_https_come_from_the_environment():
    values = _production_settings(
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="3600",
    )
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 3600


def test_sessions_end_after_eight_idle_hours_or_optionally_with_the_browser():
    values = _production_settings()
    assert values["SESSION_COOKIE_AGE"] == 8 * 3600
    assert values["SESSION_SAVE_EVERY_REQUEST"] is True
    assert values["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is False
    values = _production_settings(SESSION_IDLE_SECONDS="1800", SESSION_EXPIRE_AT_BROWSER_CLOSE="1")
    assert values["SESSION_COOKIE_AGE"] == 1800
    assert values["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is True


def test_every_request_renews_the_idle_timeout(world, client):
    client.force_login(world.staff_a)
    first = client.get("/").cookies[settings.SESSION_COOKIE_NAME]
    assert int(first["max-age"]) == settings.SESSION_COOKIE_AGE == 8 * 3600
    again = client.get("/notifications/").cookies.get(settings.SESSION_COOKIE_NAME)
    assert again is not None and int(again["max-age"]) == 8 * 3600
