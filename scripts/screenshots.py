"""Take the screenshots in docs/screenshots/ from a fresh demo database.

Usage: DEBUG=1 .venv/bin/python scripts/screenshots.py
Needs Debian's chromium (/usr/bin/chromium) and the playwright package (requirements-dev);
no browser is downloaded. The server runs on a temporary SQLite database.
"""

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PORT = int(os.environ.get("SCREENSHOT_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
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


def manage(*args, env):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)  # noqa: S603


def wait_for_server():
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{BASE}/accounts/login/", timeout=1)  # noqa: S310
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


CONSOLE_ERRORS: list[str] = []


def watch_console(page):
    page.on(
        "console",
        lambda msg: msg.type == "error" and CONSOLE_ERRORS.append(f"{page.url}: {msg.text}"),
    )


def login(page, username):
    page.goto(f"{BASE}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("zz-demo-2014")
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("networkidle")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="zz-shots-")
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp}/shots.sqlite3",
        "MEDIA_ROOT": f"{tmp}/media",
    }
    manage("migrate", "--noinput", "-v0", env=env)
    manage("seed_demo", env=env)
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{PORT}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_server()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            if "core" in ONLY or not ONLY:
                shoot_core(browser)
            for module in room_modules():
                module.shoot(browser, base=BASE, out=OUT, login=login, watch=watch_console)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"screenshots written to {OUT}")
    if CONSOLE_ERRORS:
        # a refused inline script or style (strict CSP) shows up here first
        raise SystemExit("browser console errors:\n" + "\n".join(CONSOLE_ERRORS))


# SCREENSHOT_ONLY=notify,oversight shoots only those groups ("core" is the screens below)
ONLY = {name.strip() for name in os.environ.get("SCREENSHOT_ONLY", "").split(",") if name.strip()}


def room_modules():
    """scripts/shots/<room>.py, each with shoot(browser, *, base, out, login, watch)."""
    import importlib.util

    for path in sorted((ROOT / "scripts" / "shots").glob("*.py")):
        if path.stem.startswith("_") or (ONLY and path.stem not in ONLY):
            continue
        spec = importlib.util.spec_from_file_location(f"shots_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module


def shoot_core(browser):
    for width, height, tag in [(1366, 900, "desktop"), (375, 812, "phone")]:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            device_scale_factor=1,
            locale="zh-CN",
        )
        page = context.new_page()
        watch_console(page)
        login(page, "staff")
        page.goto(f"{BASE}/issues/")
        # on a phone the ledger is a long list of cards: keep the first screenful
        page.screenshot(path=OUT / f"ledger-{tag}.png", full_page=tag == "desktop")
        page.goto(f"{BASE}/issues/new/")
        page.screenshot(path=OUT / f"log-form-{tag}.png", full_page=True)
        page.goto(f"{BASE}/")
        page.screenshot(path=OUT / f"home-{tag}.png", full_page=True)
        context.clear_cookies()
        # an issue under way, seen by its lead department: timeline, deadline, actions
        login(page, "staff_fgw")
        page.goto(f"{BASE}/issues/?status=in_progress&sort=health")
        page.locator("a[href^='/issues/ZZ-']").first.click()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=OUT / f"issue-{tag}.png", full_page=True)
        context.close()
    # the ledger in English, as a supervisor
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    watch_console(page)
    login(page, "supervisor")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state("networkidle")
    page.goto(f"{BASE}/issues/")
    page.screenshot(path=OUT / "ledger-desktop-en.png", full_page=True)
    context.close()


if __name__ == "__main__":
    main()
