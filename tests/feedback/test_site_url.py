"""Links handed outside (the enterprise's link and QR code, e-mails) open where they are read.

SITE_URL when set; under `make run` without it (DEBUG), the host and port the server was
actually reached at, also in e-mails written by tasks; in production a missing SITE_URL is a
deploy-check warning, never a guess.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.urls import reverse

from ledger import workflow
from ledger.notify.apps import site_url_check
from tests import factories as f

from .conftest import public_url

ROOT = Path(django_settings.BASE_DIR)
PHONE_HOST = "192.168.1.5:8801"  # `make run PORT=8801 HOST=0.0.0.0`, opened from a phone
LOCMEM = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


def _site_url_under_make_run() -> str:
    """SITE_URL as `make run` leaves it: DEBUG=1 and no SITE_URL in the environment."""
    env = {k: v for k, v in os.environ.items() if k != "SITE_URL"}
    env.update({"DEBUG": "1", "DJANGO_SETTINGS_MODULE": "zhongzhan.settings"})
    done = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-c",
            "import json, django; django.setup(); from django.conf import settings; "
            "print(json.dumps(settings.SITE_URL))",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def make_run_site_url():
    return _site_url_under_make_run()


@pytest.fixture
def served_on_a_phone(settings, make_run_site_url):
    """The settings of `make run PORT=8801 HOST=0.0.0.0` (any host allowed, DEBUG)."""
    settings.DEBUG = True
    settings.SITE_URL = make_run_site_url
    settings.ALLOWED_HOSTS = ["*"]
    settings.MAILERS = LOCMEM
    mail.outbox.clear()
    return settings


def test_the_panel_link_and_qr_use_the_host_and_port_served(client, world, link, served_on_a_phone):
    client.force_login(world.staff_b)
    html = client.get(link.issue.get_absolute_url(), HTTP_HOST=PHONE_HOST).content.decode()
    assert f"http://{PHONE_HOST}{public_url(link)}" in html
    assert "127.0.0.1:8000" not in html


def test_the_link_emailed_to_the_enterprise_uses_the_host_and_port_served(
    client, world, link, served_on_a_phone, committed
):
    client.force_login(world.staff_b)
    url = reverse("feedback:link_email", args=[link.issue.number, link.pk])
    committed(client.post, url, HTTP_HOST=PHONE_HOST)
    assert len(mail.outbox) == 1
    assert f"http://{PHONE_HOST}{public_url(link)}" in mail.outbox[0].body
    assert "127.0.0.1:8000" not in mail.outbox[0].body


def test_notification_emails_link_to_the_host_and_port_served(
    client, world, served_on_a_phone, committed
):
    issue = world.raise_issue()
    workflow.transition(
        issue,
        actor=world.supervisor,
        action="assign",
        leader=world.leader,
        lead_department=world.dept_b,
        deadline=f.days_from_today(10),
    )
    issue.refresh_from_db()
    mail.outbox.clear()
    client.force_login(world.staff_b)
    url = reverse("issue_action", args=[issue.number, "accept"])
    response = committed(client.post, url, {"version": issue.version}, HTTP_HOST=PHONE_HOST)
    assert response.status_code == 302
    assert mail.outbox, "accepting tells the office and the raiser by e-mail"
    for message in mail.outbox:
        assert f"http://{PHONE_HOST}/issues/{issue.number}/" in message.body
        assert "127.0.0.1:8000" not in message.body


def test_site_url_wins_over_the_host_served(client, world, link, settings, committed):
    settings.DEBUG = True
    settings.SITE_URL = "https://ledger.example.gov.cn"
    settings.ALLOWED_HOSTS = ["*"]
    settings.MAILERS = LOCMEM
    mail.outbox.clear()
    client.force_login(world.staff_b)
    html = client.get(link.issue.get_absolute_url(), HTTP_HOST=PHONE_HOST).content.decode()
    assert f"https://ledger.example.gov.cn{public_url(link)}" in html
    url = reverse("feedback:link_email", args=[link.issue.number, link.pk])
    committed(client.post, url, HTTP_HOST=PHONE_HOST)
    assert f"https://ledger.example.gov.cn{public_url(link)}" in mail.outbox[0].body


def test_production_without_site_url_guesses_nothing_and_the_deploy_check_warns(
    client, world, link, settings, committed
):
    settings.DEBUG = False
    settings.SITE_URL = ""
    settings.ALLOWED_HOSTS = ["ledger.example.gov.cn"]
    settings.MAILERS = LOCMEM
    mail.outbox.clear()
    assert [warning.id for warning in site_url_check()] == ["notify.W001"]
    client.force_login(world.staff_b)
    url = reverse("feedback:link_email", args=[link.issue.number, link.pk])
    committed(client.post, url, HTTP_HOST="ledger.example.gov.cn")
    # the e-mail carries the path only: no host taken from a request in production
    assert f"\n{public_url(link)}\n" in mail.outbox[0].body


def test_make_run_lets_the_served_address_in():
    """HOST=0.0.0.0: a phone reaches the server by this machine's LAN address, so runserver
    answers to any host name; with a given address, to that one."""

    def runserver_line(*args):
        done = subprocess.run(  # noqa: S603
            # --no-print-directory: under `make test` this make is nested and would end its
            # output with "make[1]: Leaving directory …"
            ["make", "--no-print-directory", "-n", "run", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            env={k: v for k, v in os.environ.items() if k != "ALLOWED_HOSTS"},
        )
        return done.stdout.strip().splitlines()[-1]

    assert runserver_line("PORT=8801", "HOST=0.0.0.0").startswith("ALLOWED_HOSTS='*' ")
    line = runserver_line("PORT=8801", "HOST=192.168.1.5")
    assert line.startswith("ALLOWED_HOSTS='192.168.1.5,")
    assert line.endswith("runserver 192.168.1.5:8801")
