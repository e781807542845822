"""Helpers of the work-order and webhook tests (tests/api/test_intake*.py, test_webhooks*.py):
an API client with its account and secret, a work order, and a real HTTP receiver."""

from __future__ import annotations

import importlib.util
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.conf import settings

from ledger.api.models import ApiClient, ClientSecret, WebhookSubscription
from ledger.api.secrets import CLIENT, secret_make
from tests import factories as f

CREDIT_CODE = "91410803MA44XK1J0F"  # a valid GB 32100-2015 code


def api_client_make(
    world,
    *,
    name="12345 热线平台",
    scopes=("intake",),
    strict_names=False,
    categories=(),
    source=True,
):
    """(ApiClient, its plain secret): the client acts as a staff account of world.dept_a."""
    account = f.StaffFactory(username=f"api-{name}", name=name, department=world.dept_a)
    account.set_unusable_password()
    account.save()
    client = ApiClient.objects.create(
        name=name,
        account=account,
        department=world.dept_a,
        source=f.SourceFactory(name="12345 热线") if source else None,
        scopes=list(scopes),
        strict_names=strict_names,
        created_by=world.admin,
    )
    client.categories.set(categories)
    secret = secret_make(CLIENT)
    ClientSecret.objects.create(client=client, prefix=secret.prefix, digest=secret.digest)
    return client, secret.plain


def bearer(plain: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


def work_order(**overrides) -> dict:
    order = {
        "external_system": "12345热线",
        "external_id": "GD20261206000123",
        "title": "厂区门前道路积水",
        "description": "市民反映企业门前道路雨后积水，影响通行。",
        "reporter_name": "张先生",
        "reporter_phone": "13800000000",
        "enterprise_name": "",
        "credit_code": "",
        "category": "用地规划",
        "received_at": "2026-12-06T09:30:00+08:00",
        "deadline": "2026-12-16",
    }
    order.update(overrides)
    return order


def subscribe(client, url, *, events=None, secret="whsec_test-secret"):
    return WebhookSubscription.objects.create(
        client=client,
        url=url,
        secret=secret,
        **({"events": list(events)} if events is not None else {}),
    )


class Receiver:
    """A real HTTP server in a thread that records each POST and answers with the next
    status of `statuses` (the last one repeats)."""

    def __init__(self, statuses=(204,)):
        self.statuses = list(statuses)
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                index = min(len(receiver.received), len(receiver.statuses)) - 1
                self.send_response(receiver.statuses[index])
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hook"

    def json(self, index: int) -> dict:
        return json.loads(self.received[index]["body"])

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def example_module(name: str):
    """A module of docs/examples/ (not a package), loaded by its path."""
    path = Path(settings.BASE_DIR) / "docs" / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"docs_examples_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
