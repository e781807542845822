"""The production rehearsal (`make rehearsal`, run by .ci/run): the deploy/ files with real parts.

A fresh PostgreSQL database; the settings of deploy/env.example (DEBUG=0) with only the
addresses, secrets and ports replaced; `check --deploy` clean; migrate; collectstatic; the
first administrator; gunicorn and the worker started with the command lines of
deploy/zhongzhan-web.service and deploy/zhongzhan-worker.service (read from the units); a local
SMTP server (aiosmtpd); then, over HTTP as nginx would pass it (X-Forwarded-Proto: https):

 1. /healthz ok once the worker has run its start-up ping;
 2. sign-in; an assignment by the oversight office whose e-mails reach exactly the recipients
    the app recorded, each once, and whose link opens for the lead department's staff;
 3. the worker stopped: a password-reset e-mail waits (nothing sent), /healthz "degraded";
    the worker restarted: the e-mail arrives once and its link opens, /healthz ok again;
 4. `backup`, restore into a second database (pg_restore, then migrate), `events_verify
    --files` on it, the same row counts in both;
 5. the database refusing connections: /healthz 503.

Everything it started is stopped and its databases dropped, on success and on failure. Exit
status 0 only if every step passed. REHEARSAL_BREAK=mail|count|healthz breaks one thing on
purpose (a mail relay that is not there; a row lost in the restore; a stale limit of an hour),
to see the rehearsal fail for it.
"""

import datetime
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from contextlib import suppress
from pathlib import Path

import psycopg
from aiosmtpd.controller import Controller
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
PYTHON = Path(sys.executable)
PG_ADMIN = os.environ.get("REHEARSAL_PG", "postgres://postgres@127.0.0.1:5432/postgres")
BREAK = os.environ.get("REHEARSAL_BREAK", "")
STALE_SECONDS = 3
PASSWORD = "Rehearsal-排练-2026!"
# the supervisor's authenticator key (production requires two-factor sign-in of the oversight
# office, LEDGER_REQUIRE_2FA=privileged): the rehearsal enrols it and answers with its codes
TOTP_KEY = secrets.token_hex(20)
STARTED = time.monotonic()


class RehearsalFailed(Exception):
    pass


def say(text: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f}s] {text}", flush=True)


def check(condition: bool, what: str) -> None:
    if not condition:
        raise RehearsalFailed(what)
    say(f"ok  {what}")


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RehearsalFailed(f"{name} is not on the PATH (apt-get install postgresql-client)")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the deploy/ files ---------------------------------------------------------------------


def env_file(path: Path) -> dict[str, str]:
    """KEY=value lines of a systemd EnvironmentFile (comments and blanks skipped)."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _sep, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def unit_commands(name: str, key: str) -> list[list[str]]:
    """The unit's ExecStart (or ExecStartPre) command lines, for this checkout and venv."""
    commands = []
    for line in (DEPLOY / name).read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{key}="):
            argv = shlex.split(line.partition("=")[2])
            argv = [arg.replace("/srv/zhongzhan/.venv/bin/", f"{PYTHON.parent}/") for arg in argv]
            commands.append(argv)
    if not commands:
        raise RehearsalFailed(f"deploy/{name} has no {key}=")
    return commands


# -- the local mail relay --------------------------------------------------------------------


class Inbox:
    def __init__(self):
        self.messages: list[dict] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        import email
        import email.policy

        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        with self.lock:
            self.messages.append(
                {
                    "to": sorted(envelope.rcpt_tos),
                    "subject": str(message["subject"]),
                    "body": body.get_content() if body else "",
                }
            )
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[dict]:
        with self.lock:
            return [m for m in self.messages if address in m["to"]]

    def since(self, mark: int) -> list[dict]:
        with self.lock:
            return self.messages[mark:]

    def wait(self, address: str, count: int, seconds: float) -> list[dict]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and len(self.to(address)) < count:
            time.sleep(0.2)
        return self.to(address)


# -- HTTP as nginx passes it ------------------------------------------------------------------


class Browser:
    """One person's browser behind the proxy: cookies kept by hand (they are Secure, and the
    hop from nginx to gunicorn is plain HTTP), X-Forwarded-Proto: https on every request."""

    def __init__(self, port: int, proxy_header: bool = True):
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}
        self.proxy_header = proxy_header

    def request(self, method: str, path: str, form: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.proxy_header:
            headers["X-Forwarded-Proto"] = "https"
            headers["X-Forwarded-For"] = "192.0.2.10"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            form = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **form}
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + path
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                cookie = value.split(";", 1)[0]
                key, _sep, val = cookie.partition("=")
                self.cookies[key.strip()] = val.strip()
        connection.close()
        return response.status, dict(response.getheaders()), text

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, form: dict):
        return self.request("POST", path, form)

    def sign_in(self, username: str) -> None:
        status, _headers, _text = self.get("/accounts/login/")
        check(status == 200 and "csrftoken" in self.cookies, f"{username}: the login page")
        status, headers, text = self.post(
            "/accounts/login/", {"username": username, "password": PASSWORD}
        )
        check(
            status == 302 and "sessionid" in self.cookies,
            f"{username} signs in over HTTP behind the proxy header ({status})",
        )
        # a session with steps left is sent to the first step's page from any page it asks for
        status, headers, _text = self.get("/")
        if "/account/two-factor/verify/" in headers.get("Location", ""):
            # the second step: a code from the authenticator (django-otp's TOTP, RFC 6238)
            from django_otp.oath import TOTP  # import here: only the privileged sign-in needs it

            self.get("/account/two-factor/verify/")
            code = str(TOTP(bytes.fromhex(TOTP_KEY)).token()).zfill(6)
            status, _headers, _text = self.post("/account/two-factor/verify/", {"code": code})
            check(status == 302, f"{username} gives the authenticator's code ({status})")
            status, headers, _text = self.get("/")
        check(status == 200, f"{username}: the home page opens, no step left ({status})")


def healthz(port: int) -> tuple[int, dict]:
    status, _headers, text = Browser(port, proxy_header=False).get("/healthz")
    try:
        return status, json.loads(text)
    except ValueError:
        return status, {"unparsed": text[:200]}


def wait_healthz(port: int, wanted, seconds: float) -> tuple[int, dict]:
    deadline = time.monotonic() + seconds
    answer = (0, {})
    while time.monotonic() < deadline:
        with suppress(OSError):
            answer = healthz(port)
            if wanted(*answer):
                return answer
        time.sleep(0.3)
    return answer


# -- the rehearsal -----------------------------------------------------------------------------


class Rehearsal:
    def __init__(self):
        tag = f"{os.getpid()}_{secrets.token_hex(3)}"
        self.db = f"zz_rehearsal_{tag}"
        self.db_restored = f"zz_rehearsal_{tag}_restored"
        self.tmp = Path(tempfile.mkdtemp(prefix="zz-rehearsal-"))
        self.processes: dict[str, subprocess.Popen] = {}
        self.smtp: Controller | None = None
        self.inbox = Inbox()
        self.created: list[str] = []

    # plumbing

    def admin_sql(self, sql: str, database: str = "postgres", params=None) -> list[tuple]:
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{database}"
        with psycopg.connect(url, autocommit=True) as connection:
            cursor = connection.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def counts(self, database: str) -> dict[str, int]:
        """Rows of the tables a restore must bring back, task rows included (plain SQL: no
        Django start-up per database)."""
        return {
            table: self.admin_sql(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)), database
            )[0][0]
            for table in COUNTED_TABLES
        }

    def db_url(self, name: str) -> str:
        return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"

    def environment(self) -> dict[str, str]:
        smtp_port = self.smtp.port if BREAK != "mail" else free_port()  # nothing listens there
        values = env_file(DEPLOY / "env.example")
        values.update(
            # rehearsal: the addresses, secrets and ports of this machine
            SECRET_KEY=secrets.token_urlsafe(64),
            EVENTS_KEY=secrets.token_urlsafe(48),
            DATABASE_URL=self.db_url(self.db),
            ALLOWED_HOSTS="127.0.0.1",
            SITE_URL=f"https://127.0.0.1:{self.port}",
            CSRF_TRUSTED_ORIGINS=f"https://127.0.0.1:{self.port}",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp_port),
            EMAIL_USE_SSL="0",
            EMAIL_USE_TLS="0",
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            MEDIA_ROOT=str(self.tmp / "media"),
            EVENTS_CHECKPOINT_DIR=str(self.tmp / "checkpoints"),
            HEALTHZ_WORKER_STALE_SECONDS="3600" if BREAK == "healthz" else str(STALE_SECONDS),
        )
        base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_SETTINGS_MODULE")}
        base["PATH"] = f"{PYTHON.parent}:{base.get('PATH', '')}"
        return {**base, **values}

    def manage(self, *args: str, env: dict | None = None, expect_ok: bool = True) -> str:
        result = subprocess.run(  # noqa: S603
            [str(PYTHON), "manage.py", *args],
            cwd=ROOT,
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if expect_ok and result.returncode != 0:
            raise RehearsalFailed(
                f"manage.py {' '.join(args)} exited {result.returncode}:\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result.stdout + result.stderr

    def start(self, name: str, argv: list[str]) -> None:
        log = (self.tmp / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(  # noqa: S603
            argv,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def worker_start(self) -> None:
        for argv in unit_commands("zhongzhan-worker.service", "ExecStartPre"):
            subprocess.run(argv, cwd=ROOT, env=self.env, check=True, capture_output=True)  # noqa: S603
        (argv,) = unit_commands("zhongzhan-worker.service", "ExecStart")
        self.start("worker", argv)

    def shell(self, code: str) -> dict:
        out = self.manage("shell", "--no-imports", "-c", code)
        return json.loads(out.strip().splitlines()[-1])

    # the steps

    def run(self) -> None:
        self.smtp = Controller(self.inbox, hostname="127.0.0.1", port=free_port())
        self.smtp.start()
        self.port = free_port()
        self.admin_sql(f'CREATE DATABASE "{self.db}"')
        self.created.append(self.db)
        self.env = self.environment()
        say(f"database {self.db}, gunicorn on :{self.port}, SMTP on :{self.smtp.port}")

        out = self.manage("check", "--deploy", "--fail-level", "WARNING")
        check("no issues" in out, "check --deploy with deploy/env.example: no issues")
        self.manage("migrate", "--noinput")
        say("migrated")
        self.manage("collectstatic", "--noinput")
        check((ROOT / "staticfiles" / "staticfiles.json").exists(), "collectstatic: manifest")
        env = {
            **self.env,
            "DJANGO_SUPERUSER_USERNAME": "admin",
            "DJANGO_SUPERUSER_EMAIL": "admin@example.gov.cn",
            "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
        }
        self.manage("createsuperuser", "--noinput", env=env)
        people = self.shell(
            SETUP.replace("PASSWORD", repr(PASSWORD)).replace("TOTP_KEY", repr(TOTP_KEY))
        )
        say(f"people and one raised issue: {people['number']}")

        (web,) = unit_commands("zhongzhan-web.service", "ExecStart")
        web = [arg.replace("127.0.0.1:8000", f"127.0.0.1:{self.port}") for arg in web]
        self.start("web", web)
        self.worker_start()
        status, body = wait_healthz(self.port, lambda s, b: b.get("status") == "ok", 60)
        check(status == 200 and body.get("status") == "ok", f"/healthz ok: {body}")

        # HTTPS is enforced, and the proxy header is what tells Django a request was HTTPS
        status, headers, _text = Browser(self.port, proxy_header=False).get("/accounts/login/")
        check(
            status == 301 and headers.get("Location", "").startswith("https://"),
            "without X-Forwarded-Proto the app redirects to https://",
        )
        self.assignment(people)
        self.worker_outage(people)
        self.backup_restore()
        self.database_down()

    def assignment(self, people: dict) -> None:
        supervisor = Browser(self.port)
        supervisor.sign_in("rh_supervisor")
        path = f"/issues/{people['number']}/act/assign/"
        status, _headers, text = supervisor.get(path)
        check(status == 200, "the assignment form opens")
        mark = len(self.inbox.messages)
        version = re.search(r'name="version" value="(\d+)"', text).group(1)
        deadline = (datetime.date.today() + datetime.timedelta(days=10)).isoformat()
        status, headers, text = supervisor.post(
            path,
            {
                "version": version,
                "leader": people["leader"],
                "lead_department": people["dept_b"],
                "deadline": deadline,
                "note": "请尽快办理",
            },
        )
        check(status == 302, f"the oversight office assigns the issue ({status})")
        # whom the app itself recorded an e-mail for (docs/notifications.md's table)
        expected = sorted(
            row[0] for row in self.admin_sql(RECIPIENTS, self.db, params=[people["number"]])
        )
        check(bool(expected), f"the app recorded e-mail for {expected}")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(self.inbox.since(mark)) < len(expected):
            time.sleep(0.2)
        time.sleep(2)  # and nothing more arrives
        received = sorted(address for m in self.inbox.since(mark) for address in m["to"])
        check(
            received == expected,
            f"the assignment mails reached exactly those, each once (received {received})",
        )
        (mail,) = [m for m in self.inbox.since(mark) if "rh_staff_b@example.gov.cn" in m["to"]]
        link = re.search(rf"https://127\.0\.0\.1:{self.port}(/\S+)", mail["body"])
        check(bool(link), "the mail links on SITE_URL")
        staff = Browser(self.port)
        staff.sign_in("rh_staff_b")
        status, _headers, text = staff.get(link.group(1))
        check(status == 200 and people["number"] in text, f"the link opens the issue ({status})")

    def worker_outage(self, people: dict) -> None:
        self.stop("worker")
        say("worker stopped")
        before = len(self.inbox.to("rh_staff_b@example.gov.cn"))
        forgetful = Browser(self.port)
        forgetful.get("/accounts/password_reset/")
        status, headers, _text = forgetful.post(
            "/accounts/password_reset/", {"email": "rh_staff_b@example.gov.cn"}
        )
        check(status == 302, f"a password reset is asked for while the worker is down ({status})")
        status, body = wait_healthz(
            self.port, lambda s, b: b.get("status") == "degraded", STALE_SECONDS + 10
        )
        check(
            status == 200
            and body.get("status") == "degraded"
            and body.get("worker", {}).get("status") == "stale",
            f"/healthz degraded, worker stale, with the worker stopped: {body}",
        )
        check(
            len(self.inbox.to("rh_staff_b@example.gov.cn")) == before,
            "no reset mail while the worker is down",
        )
        self.worker_start()
        say("worker restarted")
        got = self.inbox.wait("rh_staff_b@example.gov.cn", before + 1, 30)
        time.sleep(2)
        got = self.inbox.to("rh_staff_b@example.gov.cn")
        check(len(got) == before + 1, f"the reset mail arrived once after the restart ({len(got)})")
        link = re.search(rf"https://127\.0\.0\.1:{self.port}(/accounts/reset/\S+)", got[-1]["body"])
        check(bool(link), "the reset link is on SITE_URL")
        status, headers, _text = Browser(self.port).get(link.group(1))
        check(
            status == 302 and "set-password" in headers.get("Location", ""),
            "the reset link opens the set-password form",
        )
        status, body = wait_healthz(self.port, lambda s, b: b.get("status") == "ok", 20)
        check(body.get("status") == "ok", f"/healthz ok again: {body}")

    def backup_restore(self) -> None:
        say(self.manage("events_checkpoint").strip().splitlines()[-1])
        check(
            any((self.tmp / "checkpoints").glob("checkpoint-*")),
            "events_checkpoint wrote its signed file outside the database",
        )
        backups = self.tmp / "backups"
        self.manage("backup", "--output", str(backups))
        (folder,) = backups.iterdir()
        check((folder / "db.dump").exists(), f"backup wrote {folder.name}")
        self.admin_sql(f'CREATE DATABASE "{self.db_restored}"')
        self.created.append(self.db_restored)
        subprocess.run(  # noqa: S603
            [
                tool("pg_restore"),
                "--no-owner",
                f"--dbname={self.db_url(self.db_restored)}",
                str(folder / "db.dump"),
            ],
            check=True,
            capture_output=True,
        )
        media = self.tmp / "media-restored"
        media.mkdir()
        subprocess.run(  # noqa: S603
            [tool("tar"), "-xzf", str(folder / "media.tar.gz"), "-C", str(media)], check=True
        )
        env = {**self.env, "DATABASE_URL": self.db_url(self.db_restored), "MEDIA_ROOT": str(media)}
        self.manage("migrate", "--noinput", env=env)
        out = self.manage("events_verify", "--files", env=env)
        check("1 个文件内容相符" in out, "events_verify --files on the restored copy: the file")
        say(out.strip())
        if BREAK == "count":
            self.admin_sql(
                "DELETE FROM notify_notification WHERE id = (SELECT min(id) FROM "
                "notify_notification)",
                database=self.db_restored,
            )
        original = self.counts(self.db)
        restored = self.counts(self.db_restored)
        say(f"counts: {original}")
        differ = {
            k: (original[k], restored.get(k)) for k in original if original[k] != restored.get(k)
        }
        check(not differ, f"the restored database has the same counts (differ: {differ})")

    def database_down(self) -> None:
        self.admin_sql(f'ALTER DATABASE "{self.db}" ALLOW_CONNECTIONS false')
        self.admin_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            params=[self.db],
        )
        status, body = wait_healthz(self.port, lambda s, b: s == 503, 15)
        check(
            status == 503 and body == {"status": "error", "database": "unreachable"},
            f"/healthz 503 with the database refusing connections: {body}",
        )
        self.admin_sql(f'ALTER DATABASE "{self.db}" ALLOW_CONNECTIONS true')

    def cleanup(self) -> None:
        for name in list(self.processes):
            self.stop(name)
        if self.smtp is not None:
            with suppress(Exception):
                self.smtp.stop()
        for name in self.created:
            try:
                self.admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception as error:  # noqa: BLE001
                print(f"could not drop {name}: {error}", file=sys.stderr)
        for name in ("web", "worker"):
            log = self.tmp / f"{name}.log"
            if log.exists() and os.environ.get("REHEARSAL_SHOW_LOGS"):
                print(f"--- {name}.log ---\n{log.read_text(errors='replace')[-4000:]}")
        shutil.rmtree(self.tmp, ignore_errors=True)
        say("stopped everything it started, dropped its databases")


SETUP = """
import json
from django.core.files.uploadedfile import SimpleUploadedFile
from ledger import workflow
from django_otp.plugins.otp_totp.models import TOTPDevice
from ledger.models import Category, Department, Leader, Source, User
from ledger.security.models import PasswordHistory
from ledger.security.two_factor import DEVICE_NAME
oversight = Department.objects.create(name="区政府督查室", short_name="督查室", kind="oversight")
dept_a = Department.objects.create(name="区发改委", short_name="发改委")
dept_b = Department.objects.create(name="区住建局", short_name="住建局")
def person(username, role, department=None):
    user = User(username=username, name=username, role=role, department=department,
                email=f"{username}@example.gov.cn")
    user.set_password(PASSWORD)
    user.save()
    # as if each had already replaced the initial password on the password page
    PasswordHistory.objects.filter(user=user).update(chosen_by_user=True)
    return user
supervisor = person("rh_supervisor", "supervisor", oversight)
TOTPDevice.objects.create(user=supervisor, name=DEVICE_NAME, key=TOTP_KEY, confirmed=True)
staff_a = person("rh_staff_a", "staff", dept_a)
person("rh_staff_b", "staff", dept_b)
leader = Leader.objects.create(user=person("rh_leader", "leader"), title="副区长")
issue = workflow.issue_raise(actor=staff_a, title="厂区道路积水", description="雨后积水。",
    category=Category.objects.get_or_create(name="基础设施")[0],
    source=Source.objects.get_or_create(name="企业走访")[0],
    files=[SimpleUploadedFile("现场情况.txt", "积水约二十厘米。".encode(), "text/plain")])
print(json.dumps({"number": issue.number, "leader": leader.pk, "dept_b": dept_b.pk}))
"""

RECIPIENTS = """
SELECT u.email FROM notify_notification n
JOIN ledger_issue i ON i.id = n.issue_id JOIN ledger_user u ON u.id = n.recipient_id
WHERE i.number = %s AND n.kind = 'assign' AND n.email_state <> 'none'
"""

COUNTED_TABLES = [
    "ledger_issue",
    "ledger_issueevent",
    "ledger_attachment",
    "ledger_user",
    "ledger_department",
    "notify_notification",
    "notify_reminderschedule",
    "django_tasks_database_dbtaskresult",
]


def main() -> int:
    rehearsal = Rehearsal()
    try:
        rehearsal.run()
    except (RehearsalFailed, subprocess.CalledProcessError) as error:
        say(f"FAIL {error}")
        return 1
    finally:
        rehearsal.cleanup()
    say("rehearsal passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
