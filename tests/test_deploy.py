"""Deployment settings: `check --deploy` with production variables reports nothing; HTTPS
(HSTS, redirect, the proxy header) and the idle session timeout come from the environment.
"""

import datetime
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
    "EVENTS_CHECKPOINT_DIR": "/srv/ledger-anchor/checkpoints",
    "DEFAULT_FROM_EMAIL": "ledger@example.gov.cn",
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
        "'SESSION_COOKIE_AGE', 'SESSION_RENEW_SECONDS', 'SESSION_EXPIRE_AT_BROWSER_CLOSE', "
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'MAILERS')}, "
        "default=str))"
    )
    result = _run("-c", code, DJANGO_SETTINGS_MODULE="zhongzhan.settings", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_with_production_variables_reports_nothing():
    result = _run("manage.py", "check", "--deploy", "--fail-level", "DEBUG")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def _deploy_check(**env: str) -> tuple[str, int]:
    result = _run("manage.py", "check", "--deploy", "--fail-level", "ERROR", **env)
    return result.stdout + result.stderr, result.returncode


def test_the_plain_http_staging_switch_turns_off_every_https_protection_together():
    values = _production_settings(LEDGER_PLAIN_HTTP_STAGING="1")
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["CSRF_COOKIE_SECURE"] is False
    # the switch wins over a single setting left on (half on is the 403 it exists to avoid)
    values = _production_settings(LEDGER_PLAIN_HTTP_STAGING="1", CSRF_COOKIE_SECURE="1")
    assert values["CSRF_COOKIE_SECURE"] is False


def test_check_deploy_refuses_the_plain_http_staging_switch():
    output, code = _deploy_check(LEDGER_PLAIN_HTTP_STAGING="1")
    assert code != 0
    assert "deploy.E001" in output and "LEDGER_PLAIN_HTTP_STAGING" in output


def test_the_server_start_logs_the_plain_http_staging_switch():
    code = "import zhongzhan.wsgi"
    result = _run("-c", code, LEDGER_PLAIN_HTTP_STAGING="1")
    assert result.returncode == 0, result.stderr
    assert "LEDGER_PLAIN_HTTP_STAGING is on" in result.stderr
    assert "LEDGER_PLAIN_HTTP_STAGING is on" not in _run("-c", code).stderr


def test_a_worker_freezes_what_it_loaded_before_serving():
    # issue 19: gc.freeze() keeps the long-lived objects (Django, the apps, the views) out of
    # the full collections that paused requests for up to 80 ms
    code = (
        "import gc, sys; import zhongzhan.wsgi;"
        " print(gc.get_freeze_count(), 'ledger.views.ledger' in sys.modules)"
    )
    result = _run("-c", code)
    assert result.returncode == 0, result.stderr
    frozen, views_loaded = result.stdout.split()
    assert int(frozen) > 50_000 and views_loaded == "True", result.stdout


def test_check_deploy_warns_of_an_http_site_url_behind_the_https_redirect():
    output, code = _deploy_check(SITE_URL="http://ledger.example.gov.cn")
    assert code == 0  # a warning
    assert "deploy.W001" in output
    output, _code = _deploy_check(SITE_URL="http://ledger.example.gov.cn", SECURE_SSL_REDIRECT="0")
    assert "deploy.W001" not in output


def test_check_deploy_warns_of_the_placeholder_sender_address():
    output, _code = _deploy_check(DEFAULT_FROM_EMAIL="ledger@zhongzhan.invalid")
    assert "deploy.W002" in output and "ledger@zhongzhan.invalid" in output


def test_smtps_on_465_is_a_setting_and_starttls_with_it_is_refused():
    values = _production_settings(MAIL_BACKEND="smtp", EMAIL_USE_SSL="1", EMAIL_PORT="465")
    options = values["MAILERS"]["default"]["OPTIONS"]
    assert options["use_ssl"] is True and options["use_tls"] is False
    assert options["port"] == 465
    code = "import django; django.setup()"
    result = _run(
        "-c",
        code,
        DJANGO_SETTINGS_MODULE="zhongzhan.settings",
        EMAIL_USE_SSL="1",
        EMAIL_USE_TLS="1",
    )
    assert result.returncode != 0
    assert "EMAIL_USE_TLS and EMAIL_USE_SSL are exclusive" in result.stderr


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
    assert values["SESSION_RENEW_SECONDS"] == 60
    assert values["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is False
    values = _production_settings(SESSION_IDLE_SECONDS="1800", SESSION_EXPIRE_AT_BROWSER_CLOSE="1")
    assert values["SESSION_COOKIE_AGE"] == 1800
    assert values["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is True


def _expiry(client):
    from django.contrib.sessions.models import Session

    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_a_request_renews_an_idle_session_at_most_once_a_minute(world, client):
    from django.utils import timezone

    from ledger.security.sessions import RENEWED_AT

    client.force_login(world.staff_a)
    expiry = _expiry(client)
    assert abs((expiry - timezone.now()).total_seconds() - 8 * 3600) < 60
    # within the minute: no write, no cookie (a busy page costs nothing)
    response = client.get("/")
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert _expiry(client) == expiry
    # a minute later the next request moves the expiry to 8 hours from now
    session = client.session
    session[RENEWED_AT] -= 61
    session.save()
    Session = type(session).get_model_class()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() + datetime.timedelta(minutes=5)
    )
    response = client.get("/")
    assert int(response.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) == 8 * 3600
    assert abs((_expiry(client) - timezone.now()).total_seconds() - 8 * 3600) < 60


def test_an_idle_session_has_ended(world, client):
    from django.utils import timezone

    client.force_login(world.staff_a)
    Session = type(client.session).get_model_class()
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_anonymous_requests_create_no_session(client, db):
    from django.contrib.sessions.models import Session

    client.get("/accounts/login/")
    client.get("/healthz")
    assert not Session.objects.exists()


# -- the deploy/ files: the ones the rehearsal runs, consistent with the settings ----------

DEPLOY = settings.BASE_DIR / "deploy"


def _rehearsal():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "rehearsal", settings.BASE_DIR / "scripts" / "rehearsal.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_rehearsal_starts_the_units_command_lines():
    rehearsal = _rehearsal()
    (web,) = rehearsal.unit_commands("zhongzhan-web.service", "ExecStart")
    assert web[0].endswith("/gunicorn") and "zhongzhan.wsgi" in web
    assert web[web.index("--bind") + 1] == "127.0.0.1:8000"
    assert "--timeout" in web and "--workers" in web
    (worker,) = rehearsal.unit_commands("zhongzhan-worker.service", "ExecStart")
    assert worker[1:3] == ["manage.py", "db_worker"] and "--no-reload" in worker
    (ping,) = rehearsal.unit_commands("zhongzhan-worker.service", "ExecStartPre")
    assert ping[1:] == ["manage.py", "healthz_ping"]
    units = (DEPLOY / "zhongzhan-web.service").read_text()
    assert "Restart=on-failure" in units and "EnvironmentFile=/etc/zhongzhan/zhongzhan.env" in units
    assert "Restart=always" in (DEPLOY / "zhongzhan-worker.service").read_text()


def test_the_example_env_file_is_production_and_passes_check_deploy_once_filled_in():
    values = _rehearsal().env_file(DEPLOY / "env.example")
    assert values["DEBUG"] == "0"
    assert values["SECURE_PROXY_SSL_HEADER"] == "HTTP_X_FORWARDED_PROTO"
    assert values["SITE_URL"].startswith("https://")
    assert not values["DEFAULT_FROM_EMAIL"].endswith(".invalid")
    filled = {**values, "SECRET_KEY": secrets.token_urlsafe(64), "EVENTS_KEY": "e" * 64}
    filled.pop("DATABASE_URL")  # the test database's stays: check --deploy writes nothing
    result = _run("manage.py", "check", "--deploy", "--fail-level", "WARNING", **filled)
    assert result.returncode == 0, result.stdout + result.stderr


def test_nginx_lets_through_what_the_app_accepts_and_overwrites_the_trusted_headers():
    import re

    site = (DEPLOY / "nginx-zhongzhan.conf").read_text()
    size = int(re.search(r"client_max_body_size (\d+)m;", site).group(1)) * 1024 * 1024
    assert (
        settings.ATTACHMENT_MAX_REQUEST_BYTES < size <= settings.ATTACHMENT_MAX_REQUEST_BYTES * 1.2
    )
    assert "alias /srv/zhongzhan/staticfiles/;" in site
    assert "ssl_certificate " in site and "return 301 https://" in site
    proxy = (DEPLOY / "nginx-zhongzhan-proxy.conf").read_text()
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in proxy
    assert "proxy_set_header X-Forwarded-For   $remote_addr;" in proxy
