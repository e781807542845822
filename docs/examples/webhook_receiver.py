"""A minimal receiver of the ledger's webhooks (docs/api.md, "Connecting a 12345 platform").

Run it on the 12345 platform's side:

    WEBHOOK_SECRET=whsec_… python webhook_receiver.py 8080

and register http://<this host>:8080/ as the subscription's 接收地址. It checks every
delivery's signature and age, answers 204 to a good one (the ledger then stops retrying)
and 401 to anything else. Standard library only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

# a delivery signed longer ago than this is refused (a replayed old message)
TOLERANCE_SECONDS = 300


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    signature_header: str,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """Whether `body` was signed by the ledger with `secret` at `timestamp`, recently.

    The ledger sends X-Zhongzhan-Timestamp (seconds since the epoch) and
    X-Zhongzhan-Signature: sha256=<hex HMAC-SHA-256 of b"<timestamp>." + body>.
    """
    scheme, _sep, given = (signature_header or "").partition("=")
    if scheme != "sha256" or not given or not timestamp.isdigit():
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, given)


class Handler(BaseHTTPRequestHandler):
    secret = os.environ.get("WEBHOOK_SECRET", "")
    seen: set[str] = set()  # delivery ids already handled: a re-send repeats the id

    def do_POST(self):  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if not verify(
            self.secret,
            self.headers.get("X-Zhongzhan-Timestamp", ""),
            body,
            self.headers.get("X-Zhongzhan-Signature", ""),
        ):
            self.send_response(401)
            self.end_headers()
            return
        delivery = self.headers.get("X-Zhongzhan-Delivery", "")
        if delivery not in self.seen:
            self.seen.add(delivery)
            event = json.loads(body)
            # here the platform updates its own work order event["external_id"]
            print(event["event"], event.get("external_id"), event.get("issue", {}).get("number"))
        self.send_response(204)
        self.end_headers()


if __name__ == "__main__":
    if not Handler.secret:
        sys.exit("set WEBHOOK_SECRET to the secret shown when the subscription was added")
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    HTTPServer(("0.0.0.0", port), Handler).serve_forever()  # noqa: S104 - a demo receiver
