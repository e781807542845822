"""Browser tests (`make e2e`): the demo data served by runserver with production settings
(DEBUG off) on a temporary SQLite database, driven by Playwright with Debian's chromium
(/usr/bin/chromium; no browser is downloaded). One server and one browser for the whole run
keep it fast.

These tests never skip: without chromium they fail with a message saying what to install.
"""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "zz-demo-2014"  # the demo logins' password (manage.py demo_logins)
WIDTHS = {"desktop": (1366, 900), "phone": (375, 812)}

# Enough enterprises sharing a name that the chooser's list is long and scrolls (the lookup
# returns 20), and an open issue of one of them that a new one with the same title duplicates.
KEYBOARD_PREFIX = "键盘测试企业"
KEYBOARD_DUPLICATE = "键盘测试企业15有限公司"
KEYBOARD_TITLE = "厂区东侧道路路灯损坏"
EXTRA_DATA = f"""
from django.contrib.auth import get_user_model
from ledger import workflow
from ledger.models import Category, Enterprise, Leader, Source
from ledger.validators import credit_code_check_char

leader = Leader.objects.get(user__username="leader")
for n in range(1, 31):
    first17 = f"91410803{{900000000 + n:09d}}"
    Enterprise.objects.get_or_create(
        name=f"{KEYBOARD_PREFIX}{{n:02d}}有限公司",
        defaults={{"credit_code": first17 + credit_code_check_char(first17), "leader": leader}},
    )
workflow.issue_raise(
    actor=get_user_model().objects.get(username="staff"),
    title="{KEYBOARD_TITLE}",
    description="夜间道路无照明。",
    category=Category.objects.order_by("pk").first(),
    source=Source.objects.order_by("pk").first(),
    enterprise=Enterprise.objects.get(name="{KEYBOARD_DUPLICATE}"),
)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(*args, env):
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True
    )


_SERVER: dict = {}

# The shared server runs the production defaults except these two policies, which the demo
# logins of every other journey would meet first: the code after the password for admin and
# supervisor (LEDGER_REQUIRE_2FA) and the forced change of the throwaway accounts' initial
# passwords (PASSWORD_CHANGE_INITIAL). test_journey_two_factor.py starts a server of its own
# with both on.
SHARED_POLICIES = {"LEDGER_REQUIRE_2FA": "off", "PASSWORD_CHANGE_INITIAL": "0"}


@contextlib.contextmanager
def demo_server(tmp: Path, *, extra_env: dict | None = None, extra_data: str = ""):
    """A demo server on its own port and its own temporary database: yields (address, env)."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    # Production settings (DEBUG off: the site's own error pages, whitenoise serving the
    # collected static files with their hashed names, the same middleware, headers and CSRF
    # checks), except what plain HTTP on a test port needs: no HTTPS redirect and no Secure
    # cookies (docs/operations.md), tasks run at once (no worker), mail into a folder.
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "e2e-only-not-a-secret-" + "x" * 40,
        "EVENTS_KEY": "e2e-only-events-key",
        "EVENTS_KEY_ID": "e2e",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "TASKS_BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        "SITE_URL": base,
        "DATABASE_URL": f"sqlite:///{tmp}/e2e.sqlite3",
        "MEDIA_ROOT": str(tmp / "media"),
        # every mail the server sends lands in this folder (the journeys' outbox)
        "MAIL_BACKEND": "file",
        "EMAIL_FILE_PATH": str(tmp / "outbox"),
        **(extra_env or {}),
    }
    env.pop("EXPECT_DB_VENDOR", None)
    _manage("migrate", "--noinput", "-v0", env=env)
    # the demo is loaded as `make run` loads it (seed_demo runs only with DEBUG on)
    _manage("seed_demo", env={**env, "DEBUG": "1"})
    if extra_data:
        _manage("shell", "-c", extra_data, env=env)
    _manage("collectstatic", "--noinput", "-v0", env=env)
    log = (tmp / "server.log").open("wb")
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/accounts/login/", timeout=1)  # noqa: S310
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.2)
        else:
            pytest.fail("the test server did not start", pytrace=False)
        if server.poll() is not None:
            pytest.fail(
                "the test server stopped:\n" + (tmp / "server.log").read_text(), pytrace=False
            )
        yield base, env
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def require_chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium "
            "(apt-get install chromium).",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def base_url(tmp_path_factory):
    """The shared demo server (with the extra data the keyboard journeys need)."""
    require_chromium()
    tmp = tmp_path_factory.mktemp("e2e")
    with demo_server(tmp, extra_env=SHARED_POLICIES, extra_data=EXTRA_DATA) as (base, env):
        _SERVER["outbox"] = tmp / "outbox"
        _SERVER["env"] = env
        yield base


@pytest.fixture(scope="session")
def chromium_browser():
    """The one Playwright browser of the run: Playwright's sync API runs one event loop per
    thread, so a module that needs a server of its own shares this browser, not a second one."""
    require_chromium()
    from playwright.sync_api import sync_playwright  # import here: only the browser tests

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def browser(base_url, chromium_browser):
    """The browser, with the shared demo server started."""
    return chromium_browser


BLOCKING = {"serious", "critical"}


def axe_violations(page, where, context=None) -> list[str]:
    """Serious and critical axe-core violations on the page (or the part `context` selects)."""
    from axe_playwright_python.sync_playwright import Axe

    found = []
    for rule in Axe().run(page, context=context).response["violations"]:
        if rule.get("impact") not in BLOCKING:
            continue
        for node in rule["nodes"]:
            summary = node.get("failureSummary", "").splitlines()[-1:]
            found.append(f"{where}: {rule['id']} ({rule['impact']}) {node['target']} {summary}")
    return found


class Session:
    """A browser context at one width, with console errors (e.g. CSP refusals) recorded."""

    def __init__(self, browser, base_url, width="desktop", storage_state=None):
        w, h = WIDTHS[width]
        self.base = base_url
        self.context = browser.new_context(
            viewport={"width": w, "height": h},
            device_scale_factor=1,
            locale="zh-CN",
            storage_state=storage_state,
        )
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on(
            "console",
            lambda msg: msg.type == "error" and self.errors.append(f"{self.page.url}: {msg.text}"),
        )
        self.page.on("pageerror", lambda exc: self.errors.append(f"{self.page.url}: {exc}"))

    def goto(self, path):
        response = self.page.goto(self.base + path)
        # htmx loads the bell's unread count after the page: wait for it, and for nothing else
        # (networkidle would cost half a second a page)
        if self.page.locator("[data-testid=bell]").count():
            self.page.locator("[data-testid=bell-count]").wait_for(state="attached")
        return response

    def login(self, username):
        self.context.clear_cookies()
        self.goto("/accounts/login/")
        self.page.locator("#id_username").fill(username)
        self.page.locator("#id_password").fill(PASSWORD)
        with self.page.expect_navigation():
            self.page.locator("#id_password").press("Enter")
        assert "/accounts/login/" not in self.page.url, f"{username} could not sign in"

    def close(self):
        self.context.close()


@pytest.fixture(scope="session")
def signed_in(browser, base_url):
    """Each demo user's cookies, signed in once per run: storage_state for new contexts."""
    states = {}

    def state(username):
        if username not in states:
            session = Session(browser, base_url)
            session.login(username)
            states[username] = session.context.storage_state()
            session.close()
        return states[username]

    return state


@pytest.fixture
def session_factory(browser, base_url, signed_in):
    """make(width, user=None): a fresh browser context, signed in as `user` if given."""
    opened = []

    def make(width="desktop", user=None):
        session = Session(browser, base_url, width, signed_in(user) if user else None)
        opened.append(session)
        return session

    yield make
    for session in opened:
        session.close()


class Outbox:
    """The mail the demo server sent (MAIL_BACKEND=file): each message parsed, oldest first."""

    def __init__(self, folder: Path):
        self.folder = folder

    def messages(self):
        import email
        import email.policy

        found = []
        for path in sorted(self.folder.glob("*.log"), key=lambda p: p.stat().st_mtime_ns):
            # the file backend separates messages in one file by a line of 79 dashes
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if chunk.strip():
                    found.append(email.message_from_bytes(chunk, policy=email.policy.default))
        return found

    def to(self, address):
        """Messages addressed to `address`, oldest first."""
        return [m for m in self.messages() if address in str(m.get("To", ""))]

    @staticmethod
    def body(message) -> str:
        part = message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part else ""


@pytest.fixture(scope="session")
def outbox(base_url):
    """The demo server's sent mail (the folder MAIL_BACKEND=file writes to)."""
    return Outbox(_SERVER["outbox"])


@pytest.fixture(scope="session")
def manage(base_url):
    """manage(*args) -> stdout: a management command against the demo server's database
    (e.g. `manage("shell", "-c", script)` to set up what a journey needs, or to read a
    figure the screen should show)."""

    def run(*args) -> str:
        done = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=_SERVER["env"],
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout

    return run
