"""Settings for the Zhongzhan problem ledger, read from the environment in one place.

Every threshold the offices may want to change is a setting with a documented
default (see docs/operations.md); nothing is buried in code.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if not value.strip():
        return default
    try:
        return int(value)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from error


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

# No default outside DEBUG. Left empty, Django refuses anything that signs (sessions,
# CSRF, password resets), and the WSGI/ASGI entry points refuse to start at all
# (require_secret_key); commands that need no secret, such as makemigrations, still run.
SECRET_KEY = os.environ.get("SECRET_KEY", "") or (
    "django-insecure-development-only-zhongzhan-ledger" if DEBUG else ""
)


def plain_http_staging_warn() -> None:
    """Called by the server entry points once logging is set up: say loudly that this
    process serves without HTTPS protections (LEDGER_PLAIN_HTTP_STAGING)."""
    if LEDGER_PLAIN_HTTP_STAGING:
        import logging

        logging.getLogger("zhongzhan").warning(
            "LEDGER_PLAIN_HTTP_STAGING is on: no HTTPS redirect, no HSTS, session and CSRF "
            "cookies without Secure. For a staging run on plain HTTP only; never in production."
        )


def require_secret_key() -> None:
    """Called by the server entry points: never serve without a real secret key."""
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (DEBUG is off, so there is "
            "no development default)."
        )


ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rules.apps.AutodiscoverRulesConfig",
    "simple_history",
    "django_filters",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "django_htmx",
    # django-tasks-db under a Chinese name in the admin (same app, same label)
    "ledger.task_results.TaskResultsConfig",
    "ledger",
    # capabilities in their own rooms: each imports the core, the core never imports them
    "ledger.notify",
    "ledger.oversight",
    "ledger.exchange",
    "ledger.integrity",
    "ledger.security",
    "ledger.service",
    "ledger.service.feedback",
    "ledger.scale",
    "ledger.audit",  # after the rooms: its post_migrate sets up the roles from their permissions
    "axes",  # after the apps whose login views it watches
]

MIDDLEWARE = [
    # first, so every answer (static files, redirects, refusals) carries Permissions-Policy:
    # browser features off unless a view needs one
    "ledger.middleware.PermissionsPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # DEBUG without SITE_URL: the address this request came in at, for links built in tasks
    "ledger.site_url.ServedAddressMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # the idle session timeout: renews a signed-in session's expiry (at most once a minute)
    "ledger.security.sessions.SessionIdleRenewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # the password-reset form's per-address and per-e-mail limits (after CSRF: forged
    # requests are refused before they are counted)
    "ledger.security.throttle.PasswordResetThrottleMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # a NUL in the path is a 404 before any view sends it to the database
    "ledger.middleware.RefuseNulMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # the audit room's hooks that Django calls without the request read it from here
    "ledger.audit.middleware.AuditRequestMiddleware",
    # last: turns a lockout during authenticate() into the lockout page
    "axes.middleware.AxesMiddleware",
]

# the benchmark's per-request SQL time and query count (Server-Timing header; bench/pages.py)
LEDGER_SERVER_TIMING = env_bool("LEDGER_SERVER_TIMING", False)
if LEDGER_SERVER_TIMING:
    MIDDLEWARE.insert(0, "ledger.scale.timing.ServerTimingMiddleware")

ROOT_URLCONF = "zhongzhan.urls"
WSGI_APPLICATION = "zhongzhan.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite in the repository root by default; PostgreSQL (psycopg 3) with
# DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhongzhan
DATABASE_URL = os.environ.get("DATABASE_URL", "") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 0))
}
# behind PgBouncer in transaction pooling, named cursors (QuerySet.iterator on PostgreSQL)
# cannot outlive a transaction: DATABASE_DISABLE_SERVER_SIDE_CURSORS=1 (docs/scaling.md)
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool(
    "DATABASE_DISABLE_SERVER_SIDE_CURSORS", False
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a concurrent writer instead of failing at once, and take the write
    # lock at BEGIN so the ledger-number counter and row locks behave as on PostgreSQL.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}

# The shared cache (per-user figures, ledger.summaries): Django's own RedisCache when
# CACHE_URL or REDIS_URL is set (redis://127.0.0.1:6379/0), shared by every worker and host;
# local memory otherwise, so `make run` on SQLite needs no server. The database stays the
# source of truth: every committed event moves the cached figures' generation on.
CACHE_URL = os.environ.get("CACHE_URL", "") or os.environ.get("REDIS_URL", "")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "zhongzhan"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# per-user figures are cached only in a cache every process shares (Redis), or under DEBUG
# (one runserver process): several gunicorn workers with their own memory would each keep a
# figure another worker's event has changed
SUMMARIES_CACHE = bool(CACHE_URL) or DEBUG

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "ledger.User"

# AUTH_PASSWORD_VALIDATORS: the password policy, in the block at the end of this file

AUTHENTICATION_BACKENDS = [
    # first: refuses every sign-in of a locked-out user name + address (django-axes's
    # AxesStandaloneBackend; also refuses a call without the request, which has no address)
    "ledger.security.backends.LockoutBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
# the login page says "您已安全退出" after signing out (templates/registration/login.html)
LOGOUT_REDIRECT_URL = "/accounts/login/?signed_out=1"

# Language and time: Chinese by default, English available.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# one date format in every language (2026-11-30): zhongzhan/formats/<locale>/formats.py
FORMAT_MODULE_PATH = ["zhongzhan.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# Static files are served by whitenoise; Bootstrap and htmx come from pip packages.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded attachments are never served directly: a view checks permission first.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/attachments-not-served-directly/"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# E-mail through Django's MAILERS: the console in development, SMTP otherwise
# (MAIL_BACKEND=file writes each message to EMAIL_FILE_PATH instead).
MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "console" if DEBUG else "smtp")
MAILERS = {
    "default": (
        {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
        if MAIL_BACKEND == "console"
        # one .log file per connection in EMAIL_FILE_PATH: the browser journeys' outbox
        else {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": os.environ.get("EMAIL_FILE_PATH", BASE_DIR / "outbox")},
        }
        if MAIL_BACKEND == "file"
        else {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ.get("EMAIL_HOST", "localhost"),
                "port": env_int("EMAIL_PORT", 25),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                # STARTTLS on 587 (EMAIL_USE_TLS) or SMTPS on 465 (EMAIL_USE_SSL), not both
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                "use_ssl": env_bool("EMAIL_USE_SSL", False),
                "timeout": env_int("EMAIL_TIMEOUT", 30),
            },
        }
    )
}
if env_bool("EMAIL_USE_TLS", False) and env_bool("EMAIL_USE_SSL", False):
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL are exclusive: set one of them")
# the sender of every e-mail. The default is a placeholder that real relays refuse
# (deploy.W002 in `check --deploy`): set an address the relay accepts for this server.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "ledger@zhongzhan.invalid")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# who is mailed when something the worker runs on its own fails (the daily reminder run):
# comma-separated addresses; empty, only the log (level ERROR) says so
ADMINS = env_list("ADMINS", [])

# Background work: the database-backed worker in production (`manage.py db_worker`);
# in development tasks run at once so `make run` needs no second process.
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "TASKS_BACKEND",
            "django.tasks.backends.immediate.ImmediateBackend"
            if DEBUG
            else "django_tasks_db.DatabaseBackend",
        )
    }
}

# Content-Security-Policy: everything from our own origin, no inline script.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

# A plain-HTTP staging run (docs/operations.md, "Trying it before TLS"): one switch turns off
# the HTTPS redirect, HSTS and the Secure flag of the session and CSRF cookies together
# (the redirect alone off leaves a login 403 "CSRF cookie not set" over http://).
# `check --deploy` refuses it (deploy.E001) and every server start logs a warning.
LEDGER_PLAIN_HTTP_STAGING = env_bool("LEDGER_PLAIN_HTTP_STAGING", False)
_https = not DEBUG and not LEDGER_PLAIN_HTTP_STAGING

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _https)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", _https)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# HTTPS (docs/operations.md): on by default when DEBUG is off. Behind a reverse proxy that
# ends TLS, set SECURE_PROXY_SSL_HEADER to the header it sets, e.g. "HTTP_X_FORWARDED_PROTO"
# (value "https"; another value after a comma), and make sure the proxy overwrites it.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _https)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer's probe may speak plain HTTP
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if _https else 0)
if LEDGER_PLAIN_HTTP_STAGING:
    # the switch wins over the single settings: half of them on is the state it exists to avoid
    SECURE_SSL_REDIRECT = SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
    SECURE_HSTS_SECONDS = 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
_proxy_ssl_header = env_list("SECURE_PROXY_SSL_HEADER", [])
SECURE_PROXY_SSL_HEADER = (
    (_proxy_ssl_header[0], _proxy_ssl_header[1] if len(_proxy_ssl_header) > 1 else "https")
    if _proxy_ssl_header
    else None
)

# Sessions end after SESSION_IDLE_SECONDS without a request, and optionally when the
# browser closes. A signed-in request renews the session (ledger.security.sessions) at most
# once per SESSION_RENEW_SECONDS, rather than writing it on every request.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 8 * 3600)
SESSION_RENEW_SECONDS = env_int("SESSION_RENEW_SECONDS", 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", False)

# Passwords: Argon2 for new and re-hashed passwords; older hashes still verify and are
# upgraded at the next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# The client's address (lockout, throttles): REMOTE_ADDR unless CLIENT_IP_HEADER names the
# header the reverse proxy sets, e.g. HTTP_X_FORWARDED_FOR or HTTP_X_REAL_IP; for lists the
# address CLIENT_IP_PROXY_COUNT entries from the right (one per trusted proxy) is used.
# Never set it without a proxy that overwrites the header: clients could forge it.
CLIENT_IP_HEADER = os.environ.get("CLIENT_IP_HEADER", "")
CLIENT_IP_PROXY_COUNT = env_int("CLIENT_IP_PROXY_COUNT", 1)

# Login lockout (django-axes, ledger.security): LOGIN_FAILURE_LIMIT wrong passwords for one
# user name from one address lock that pair out for LOGIN_COOLOFF_MINUTES (an attempt while
# locked restarts the wait); administrators see and lift lockouts in the admin
# (登录与安全 → 登录失败与锁定) or with `manage.py axes_reset_username USERNAME`.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "ledger.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "ledger.security.views.lockout_response"
AXES_ENABLE_ADMIN = False  # ledger.security registers the same tables in Chinese
AXES_VERBOSE = False

# Password-reset requests: at most PER_ADDRESS per client address and PER_EMAIL per e-mail
# address entered within WINDOW_MINUTES; more get a 429 page.
PASSWORD_RESET_THROTTLE = {
    "PER_ADDRESS": env_int("PASSWORD_RESET_PER_ADDRESS", 10),
    "PER_EMAIL": env_int("PASSWORD_RESET_PER_EMAIL", 3),
    "WINDOW_MINUTES": env_int("PASSWORD_RESET_WINDOW_MINUTES", 60),
}

# /healthz calls the worker "stale" when a task has waited longer than this to run.
HEALTHZ_WORKER_STALE_SECONDS = env_int("HEALTHZ_WORKER_STALE_SECONDS", 600)

# The security audit log (ledger.audit) keeps its records this many days; audit_purge deletes
# older ones. GB/T 22239-2019 and the Cybersecurity Law ask for six months: below 180 the
# system check audit.E001 refuses to start, unless DEBUG is on.
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 180)

# seed_demo runs only when the process started with DEBUG on (pytest-django switches
# settings.DEBUG off during tests, so the start-up value is kept here), or with
# --i-know-this-is-not-production.
SEED_DEMO_ALLOWED = DEBUG

# Upload limits for attachments.
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)
ATTACHMENT_ALLOWED_EXTENSIONS = env_list(
    "ATTACHMENT_ALLOWED_EXTENSIONS",
    ["pdf", "jpg", "jpeg", "png", "gif", "doc", "docx", "xls", "xlsx", "txt", "zip"],
)
# all the files of one request together, files per request, files kept per issue
ATTACHMENT_MAX_REQUEST_BYTES = env_int("ATTACHMENT_MAX_REQUEST_BYTES", 50 * 1024 * 1024)
ATTACHMENT_MAX_FILES_PER_REQUEST = env_int("ATTACHMENT_MAX_FILES_PER_REQUEST", 10)
ATTACHMENT_MAX_FILES_PER_ISSUE = env_int("ATTACHMENT_MAX_FILES_PER_ISSUE", 100)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Event history integrity (ledger.integrity, docs/architecture.md): events, heads and
# checkpoints are signed with HMAC-SHA-256 under EVENTS_KEY, separate from SECRET_KEY so that
# rotating one never breaks the other. EVENTS_KEY_ID (default "1") is stored with every event;
# retired keys stay in EVENTS_OLD_KEYS ("id:secret,id:secret") so older events still verify.
# A development key only when DEBUG is on; without one, writing an event is refused.
EVENTS_KEY = os.environ.get("EVENTS_KEY", "") or (
    "development-only-zhongzhan-events-key" if DEBUG else ""
)
EVENTS_KEY_ID = os.environ.get("EVENTS_KEY_ID", "") or (
    "1" if os.environ.get("EVENTS_KEY") else "dev"
)
EVENTS_KEYS = {}
for _pair in env_list("EVENTS_OLD_KEYS", []):
    _old_id, _sep, _old_secret = _pair.partition(":")
    if not (_sep and _old_id.strip() and _old_secret):
        raise ImproperlyConfigured("EVENTS_OLD_KEYS must read id:secret,id:secret")
    EVENTS_KEYS[_old_id.strip()] = _old_secret
if EVENTS_KEY:
    EVENTS_KEYS[EVENTS_KEY_ID] = EVENTS_KEY  # the current key signs; all of them verify
if any(len(key_id) > 20 or key_id == "" for key_id in EVENTS_KEYS):
    raise ImproperlyConfigured("an events key id has 1 to 20 characters")

# Ledger thresholds (DOMAIN.md): each is a setting with this default.
LEDGER = {
    # prefix of the human ledger number ZZ-<year>-<seq>
    "NUMBER_PREFIX": os.environ.get("LEDGER_NUMBER_PREFIX", "ZZ"),
    # yellow light: due within this many days
    "YELLOW_DAYS": env_int("LEDGER_YELLOW_DAYS", 3),
    # raised but not assigned within this many working days is flagged
    "ASSIGN_WITHIN_WORKING_DAYS": env_int("LEDGER_ASSIGN_WITHIN_WORKING_DAYS", 2),
    # acceptance expected within this many working days of assignment
    "ACCEPT_WITHIN_WORKING_DAYS": env_int("LEDGER_ACCEPT_WITHIN_WORKING_DAYS", 1),
    # a case still late this many working days after an urge becomes 督办
    "ESCALATE_AFTER_WORKING_DAYS": env_int("LEDGER_ESCALATE_AFTER_WORKING_DAYS", 5),
    # key-project pace: yellow when this many points behind 序时进度, red beyond RED
    "PACE_YELLOW_POINTS": env_int("LEDGER_PACE_YELLOW_POINTS", 10),
    "PACE_RED_POINTS": env_int("LEDGER_PACE_RED_POINTS", 30),
    # a project with nothing done this many months into the year is red
    "PACE_NOT_STARTED_MONTHS": env_int("LEDGER_PACE_NOT_STARTED_MONTHS", 3),
    # holidays and make-up working days are the Holiday table (admin, `holidays_sync`);
    # each process re-reads it after this many seconds (a save clears the saver's copy)
    "CALENDAR_CACHE_SECONDS": env_int("LEDGER_CALENDAR_CACHE_SECONDS", 60),
    # ledger page size
    "PAGE_SIZE": env_int("LEDGER_PAGE_SIZE", 25),
    # no deadline (交办, 改派, 延期, 重办) may lie more than this many years after today
    "DEADLINE_HORIZON_YEARS": env_int("LEDGER_DEADLINE_HORIZON_YEARS", 5),
    # the printed ledger (/issues/print/) lists at most this many rows; beyond, the Excel export
    "PRINT_MAX_ROWS": env_int("LEDGER_PRINT_MAX_ROWS", 2000),
    # issues a district leader logs (领导包联) are raised for this department (its name or
    # short name); empty: the first active oversight office (督查机构)
    "LEADER_RAISING_DEPARTMENT": os.environ.get("LEDGER_LEADER_RAISING_DEPARTMENT", ""),
    # 包联走访 (ledger.service, docs/service.md): each enterprise and key project a leader
    # 分包 is visited at least once in every calendar period of this many months (3: each
    # quarter; one of 1, 2, 3, 4, 6, 12); photos kept per visit
    "VISIT_EVERY_MONTHS": env_int("LEDGER_VISIT_EVERY_MONTHS", 3),
    "VISIT_MAX_PHOTOS": env_int("LEDGER_VISIT_MAX_PHOTOS", 9),
    # the enterprise's own link (ledger.service.feedback, docs/feedback.md): valid while the
    # issue is not 销号, then this many days; ratings posted per link and per client address
    # within the window (minutes) beyond these limits get a 429
    "FEEDBACK_LINK_DAYS": env_int("LEDGER_FEEDBACK_LINK_DAYS", 30),
    "FEEDBACK_POSTS_PER_LINK": env_int("LEDGER_FEEDBACK_POSTS_PER_LINK", 10),
    "FEEDBACK_POSTS_PER_ADDRESS": env_int("LEDGER_FEEDBACK_POSTS_PER_ADDRESS", 30),
    "FEEDBACK_WINDOW_MINUTES": env_int("LEDGER_FEEDBACK_WINDOW_MINUTES", 60),
    # 长期坚持 items report progress once in every calendar period of this many months
    # (1: monthly; one of 1, 2, 3, 4, 6, 12) and are chased when a period passes without
    "LONG_TERM_CYCLE_MONTHS": env_int("LEDGER_LONG_TERM_CYCLE_MONTHS", 1),
}
if LEDGER["LONG_TERM_CYCLE_MONTHS"] not in (1, 2, 3, 4, 6, 12):
    raise ImproperlyConfigured(
        "LEDGER_LONG_TERM_CYCLE_MONTHS must divide the year (1, 2, 3, 4, 6 or 12), got "
        f"{LEDGER['LONG_TERM_CYCLE_MONTHS']}"
    )

# Excel exchange (ledger.exchange): export and import limits.
EXCHANGE = {
    # an export of more rows than this runs as a background job with a progress page
    "EXPORT_BACKGROUND_ROWS": env_int("EXCHANGE_EXPORT_BACKGROUND_ROWS", 20000),
    # import: a larger upload is refused before it is read
    "IMPORT_MAX_BYTES": env_int("EXCHANGE_IMPORT_MAX_BYTES", 10 * 1024 * 1024),
    # import: a sheet with more data rows than this is refused
    "IMPORT_MAX_ROWS": env_int("EXCHANGE_IMPORT_MAX_ROWS", 20000),
    # import: the preview shows this many rows as they will be stored
    "IMPORT_PREVIEW_ROWS": env_int("EXCHANGE_IMPORT_PREVIEW_ROWS", 20),
    # import: category and source used when the sheet has none for a row
    "IMPORT_DEFAULT_CATEGORY": os.environ.get("EXCHANGE_IMPORT_DEFAULT_CATEGORY", "其他"),
    "IMPORT_DEFAULT_SOURCE": os.environ.get("EXCHANGE_IMPORT_DEFAULT_SOURCE", "其他"),
}

# Assessment (目标考核) score: docs/assessment.md. The score is 100 × the weighted mean of the
# rates that have a base (退回率 and 重办率 as 1 − rate), less the deductions, never below 0.
ASSESSMENT = {
    "WEIGHT_DONE": env_int("ASSESSMENT_WEIGHT_DONE", 25),  # 办结率
    "WEIGHT_ON_TIME": env_int("ASSESSMENT_WEIGHT_ON_TIME", 25),  # 按时办结率
    "WEIGHT_ACCEPTED": env_int("ASSESSMENT_WEIGHT_ACCEPTED", 10),  # 及时签收率
    "WEIGHT_RETURNED": env_int("ASSESSMENT_WEIGHT_RETURNED", 5),  # 退回率 (lower is better)
    "WEIGHT_REOPENED": env_int("ASSESSMENT_WEIGHT_REOPENED", 10),  # 重办率 (lower is better)
    "WEIGHT_CALLBACK": env_int("ASSESSMENT_WEIGHT_CALLBACK", 10),  # 回访率
    "WEIGHT_SATISFIED": env_int("ASSESSMENT_WEIGHT_SATISFIED", 15),  # 满意率
    # points off per issue due in the period and still open past its deadline
    "DEDUCT_OVERDUE": env_int("ASSESSMENT_DEDUCT_OVERDUE", 2),
    # points off per 督办 (escalated) issue due in the period
    "DEDUCT_ESCALATED": env_int("ASSESSMENT_DEDUCT_ESCALATED", 3),
    # units on each of the 红榜 and 黑榜
    "BOARD_SIZE": env_int("ASSESSMENT_BOARD_SIZE", 5),
}

# Notifications (ledger.notify): e-mail delivery and the daily reminder run.
NOTIFY = {
    # the MAILERS alias notification e-mail goes through
    "MAILER": os.environ.get("NOTIFY_MAILER", "default"),
    # a failing mailer is tried this many times in all, waiting RETRY_SECONDS, then twice
    # as long after each further failure
    "EMAIL_MAX_ATTEMPTS": env_int("NOTIFY_EMAIL_MAX_ATTEMPTS", 5),
    "EMAIL_RETRY_SECONDS": env_int("NOTIFY_EMAIL_RETRY_SECONDS", 60),
    # local hour at which the self-scheduling reminder task runs (when no cron/systemd timer)
    "REMINDER_HOUR": env_int("NOTIFY_REMINDER_HOUR", 8),
    # a scheduled run that fails is tried again after this many minutes (and the admins told)
    "REMINDER_RETRY_MINUTES": env_int("NOTIFY_REMINDER_RETRY_MINUTES", 30),
}
# the address people open the ledger at, for links handed outside (e-mails, the enterprise's
# link and QR code). Production sets it (notify.W001 in `check --deploy` otherwise). Unset in
# DEBUG, links use the host and port the server was actually reached at (ledger/site_url.py):
# `make run PORT=8801 HOST=0.0.0.0` opened at http://192.168.1.5:8801/ hands out that address.
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Django's default config gives the "django" logger its own console handler (DEBUG
        # only) and mail_admins; with the root's handler every "Not Found: /x" was printed
        # twice. Naming the logger here drops those handlers: it propagates to the root once.
        # (ADMINS is not set, so mail_admins sent nothing; django.server keeps its own.)
        "django": {"level": "INFO"},
    },
}

# --- integrity: external checkpoints
# events_checkpoint writes each checkpoint also as a signed file chained to the one before,
# into this folder, and events_verify holds the database to the newest file (docs/operations.md,
# "Integrity"). Point it at storage the database's administrators cannot rewrite (another
# host's share, WORM storage); back it up apart from the database backups. Under DEBUG it
# defaults to var/checkpoints beside the code (the tests use a folder of their own); unset
# without DEBUG, no file is written and `check --deploy` reports integrity.W002.
EVENTS_CHECKPOINT_DIR = os.environ.get("EVENTS_CHECKPOINT_DIR", "") or (
    str(BASE_DIR / "var" / "checkpoints") if DEBUG else ""
)
# events_checkpoint --mail sends the file's SHA-256 here (comma-separated); unset: to the
# oversight office's active accounts that have an e-mail address
EVENTS_CHECKPOINT_MAIL_TO = env_list("EVENTS_CHECKPOINT_MAIL_TO", [])
# no checkpoint at all while the history is older than this is a finding of events_verify
EVENTS_CHECKPOINT_MAX_AGE_HOURS = env_int("EVENTS_CHECKPOINT_MAX_AGE_HOURS", 24)

# --- security: two-factor and password policy
# (ledger.security; docs/security.md, 两步验证与口令策略)
# Two-factor sign-in (django-otp: TOTP apps plus one-time recovery codes). LEDGER_REQUIRE_2FA:
# "off" (nobody must, anyone may enrol), "privileged" (administrators, superusers, staff-flag
# accounts and the oversight office's supervisors must), "everyone". Default "privileged" in
# production; "off" under DEBUG (make run, the test suite) so the demo signs in with a password
# alone — set LEDGER_REQUIRE_2FA=privileged to try it (the demo then enrols on first sign-in).
# before the security room, whose admin replaces django-otp's English device pages
_security_at = INSTALLED_APPS.index("ledger.security")
INSTALLED_APPS[_security_at:_security_at] = [
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]
LEDGER_REQUIRE_2FA = os.environ.get("LEDGER_REQUIRE_2FA", "") or ("off" if DEBUG else "privileged")
if LEDGER_REQUIRE_2FA not in {"off", "privileged", "everyone"}:
    raise ImproperlyConfigured("LEDGER_REQUIRE_2FA must be off, privileged or everyone")
OTP_TOTP_ISSUER = "中站问题台账"
# the admin never shows an enrolled authenticator's secret nor its QR code
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# wrong codes (authenticator or recovery) per account within the window: beyond, the session is
# signed out and the 429 page shown until the window has passed
LEDGER_OTP_FAILURE_LIMIT = env_int("LEDGER_OTP_FAILURE_LIMIT", 5)
LEDGER_OTP_FAILURE_WINDOW_MINUTES = env_int("LEDGER_OTP_FAILURE_WINDOW_MINUTES", 15)
LEDGER_RECOVERY_CODE_COUNT = 10

# Password policy (GB/T 22239-2019 8.1.4.1 a): at least PASSWORD_MIN_LENGTH characters from
# at least three of the four kinds (capitals, small letters, digits, other signs), not like the
# user's name, not a common password, not one of the user's last PASSWORD_HISTORY_COUNT.
PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 8)
PASSWORD_HISTORY_COUNT = env_int("PASSWORD_HISTORY_COUNT", 5)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "ledger.security.passwords.CharacterKindsValidator", "OPTIONS": {"min_kinds": 3}},
    # also the hook that records every new password (hashed) and whether it must be changed
    {"NAME": "ledger.security.passwords.PasswordHistoryValidator"},
]
# A password its holder did not choose — set by an administrator in the admin, by
# createsuperuser or a script, or from before this policy — must be replaced at the next
# sign-in. On in production; off under DEBUG, so make run's demo accounts are not sent to the
# password page.
PASSWORD_CHANGE_INITIAL = env_bool("PASSWORD_CHANGE_INITIAL", not DEBUG)
# a password older than this many days must be changed at the next sign-in; 0: never expires
PASSWORD_MAX_AGE_DAYS = env_int("PASSWORD_MAX_AGE_DAYS", 0)
# after the messages: sends a signed-in session to the code, enrolment or password page first
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
    "ledger.security.account_policy.AccountPolicyMiddleware",
)

# --- security: spraying and headers
# Password spraying (docs/operations.md): besides axes' lock of one user name + address,
# every sign-in from an address is refused (the lockout page, 429) while it has
# LOGIN_ADDRESS_FAILURE_LIMIT failed sign-ins, over any user names, within the last
# LOGIN_ADDRESS_WINDOW_MINUTES (ledger.security.throttle). A whole office behind one NAT
# address shares the count: 30 in 15 minutes is far above what its people mistype.
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 30)
LOGIN_ADDRESS_WINDOW_MINUTES = env_int("LOGIN_ADDRESS_WINDOW_MINUTES", 15)
# the accounts the system acts under (automatic 催办/督办; the enterprises' ratings): they
# have unusable passwords, and the first authentication backend refuses them by name too
SYSTEM_ACCOUNTS = frozenset({"zz_system", "zz_enterprise"})

# Permissions-Policy (ledger.middleware): every feature below is off on every page; a view
# allows one for this origin only with @permissions_allow (the visit form: camera).
PERMISSIONS_POLICY_FEATURES = [
    "accelerometer",
    "autoplay",
    "bluetooth",
    "browsing-topics",
    "camera",
    "display-capture",
    "encrypted-media",
    "fullscreen",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
]

# --- scaling: read replica
# DATABASE_REPLICA_URL: a streaming replica of DATABASE_URL. The figures' views (dashboard,
# assessment, weekly/monthly reports, exports) then read from it; every write, and every
# other page, uses "default" (ledger/replica.py, docs/scaling.md). Unset, nothing is routed
# (the alias stays, pointing at the primary, and no connection to it is ever opened). In
# tests the alias is a TEST MIRROR of "default": tests/test_replica.py turns REPLICA_READS on
# and proves the routing against the one test database.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
REPLICA_READS = bool(DATABASE_REPLICA_URL)
DATABASES["replica"] = {
    **dj_database_url.parse(
        DATABASE_REPLICA_URL or DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 0)
    ),
    "DISABLE_SERVER_SIDE_CURSORS": DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"],
    "TEST": {"MIRROR": "default"},
}
if "OPTIONS" in DATABASES["default"]:
    DATABASES["replica"]["OPTIONS"] = DATABASES["default"]["OPTIONS"]
DATABASE_ROUTERS = ["ledger.replica.ReplicaRouter"]

# --- the JSON API (ledger/api/, docs/api.md)
# /api/v1/ with Django REST framework: people by personal token (or their session, same origin),
# systems (the 12345 platform …) as registered API clients. Errors are problem+json (RFC 9457)
# in the caller's language; the OpenAPI document is at /api/v1/schema/, its reference page at
# /api/v1/docs/ with assets from drf-spectacular-sidecar (no CDN).
_audit_at = INSTALLED_APPS.index("ledger.audit")
INSTALLED_APPS[_audit_at:_audit_at] = [
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "ledger.api",
]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "ledger.api.authentication.TokenAuthentication",
        "ledger.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["ledger.api.permissions.SignedIn"],
    "DEFAULT_THROTTLE_CLASSES": ["ledger.api.throttles.CallerRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "ledger.api.errors.problem_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "中站问题台账 API",
    "DESCRIPTION": "The Zhongzhan problem ledger's JSON API (docs/api.md).",
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ledger.api.schema.problem_responses",
    ],
}
# requests per minute: one person's token, and a client's default (each client has its own)
API_TOKEN_RATE_PER_MINUTE = env_int("API_TOKEN_RATE_PER_MINUTE", 120)
API_CLIENT_RATE_PER_MINUTE = env_int("API_CLIENT_RATE_PER_MINUTE", 600)
# a personal token's longest life, and how long an API client's old secret keeps working
# after it was rotated
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365)
API_SECRET_OVERLAP_HOURS = env_int("API_SECRET_OVERLAP_HOURS", 72)
# every call by a registered system on the security audit trail (who, what, how many rows)
MIDDLEWARE.append("ledger.api.middleware.ApiAuditMiddleware")

# --- API work orders in and webhooks out (ledger/api/intake*.py, webhooks*.py, docs/api.md)
# a webhook delivery is tried this many times, waiting RETRY_SECONDS after the first failure
# and twice as long after each further one, then left dead (admin → 推送记录 re-sends it);
# each attempt waits at most TIMEOUT_SECONDS for the receiver
API_WEBHOOK_ATTEMPTS = env_int("API_WEBHOOK_ATTEMPTS", 8)
API_WEBHOOK_RETRY_SECONDS = env_int("API_WEBHOOK_RETRY_SECONDS", 60)
API_WEBHOOK_TIMEOUT_SECONDS = env_int("API_WEBHOOK_TIMEOUT_SECONDS", 10)
