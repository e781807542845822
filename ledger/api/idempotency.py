"""The `Idempotency-Key` header of every POST: the same request sent twice with the same key
gets the first answer again and changes nothing; the same key with a different request is
refused (422).

A view wraps its work: `return idempotent(request, lambda: self._raise(request))`, or the
lower-level `idempotent_call(caller=…, key=…, digest=…, run=…)` where the request is not a
DRF one. The key is claimed in the transaction that does the work (a unique row per caller
and key), so of two identical requests at the same moment the second waits for the first
and then replays its answer. Only successful answers (2xx) are kept: a refused request
keeps nothing and may be corrected and sent again with the same key. Keys are kept
KEEP_FOR, then forgotten (`idempotency_purge`).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEEP_FOR = datetime.timedelta(hours=24)
MAX_KEY_LENGTH = 255
# response headers worth replaying with the stored body
KEPT_HEADERS = ("Location", "ETag")


class KeyInvalid(exceptions.ValidationError):
    pass


class KeyReused(exceptions.APIException):
    """The key was used before for a different request (IETF draft: 422)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("该幂等键已用于另一个不同的请求。")
    default_code = "idempotency_key_reused"


class KeyInFlight(exceptions.APIException):
    """The first request with this key has not finished yet (IETF draft: 409)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("使用该幂等键的请求仍在处理中，请稍后重试。")
    default_code = "idempotency_key_in_flight"


@dataclass(frozen=True)
class Outcome:
    """An answer to a request: fresh, or replayed from the first request with its key."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    replayed: bool = False


def idempotency_key(request) -> str | None:
    """The request's key, or None when it sends none. A key is 1 to 255 printable ASCII
    characters (a UUID is the usual choice); anything else is a 400."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not all(" " <= ch <= "~" for ch in key):
        raise KeyInvalid({HEADER: [_("幂等键须为 1 至 255 个可打印的 ASCII 字符。")]})
    return key


def request_digest(request) -> str:
    """SHA-256 of what makes two requests the same: the method, the path and the content
    (a JSON body by its canonical form; a multipart form by its fields and each file's name
    and content digest, since the boundary differs on every send)."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    data = request.data
    files = getattr(request, "FILES", None) or {}
    if hasattr(data, "lists"):  # a form (QueryDict): every value of every field
        content = {name: values for name, values in data.lists() if name not in files}
    else:
        content = data
    digest.update(json.dumps(content, sort_keys=True, default=str, ensure_ascii=False).encode())
    for name in sorted(files):
        for upload in files.getlist(name):
            content_digest = hashlib.sha256()
            for chunk in upload.chunks():
                content_digest.update(chunk)
            upload.seek(0)
            digest.update(f"\n{name}:{upload.name}:{content_digest.hexdigest()}".encode())
    return digest.hexdigest()


def idempotent_call(*, caller, key: str, digest: str, run: Callable[[], Outcome]) -> Outcome:
    """Run `run` once for (caller, key): the first call runs it in a transaction with the
    key's claim and keeps a 2xx outcome; a later call with the same digest gets that outcome
    back (replayed=True) without running anything; a different digest raises KeyReused.
    Exceptions from `run` propagate and roll the claim back with the work. The caller's keys
    older than KEEP_FOR are forgotten first, so the table holds at most a day of each
    caller's keys without a scheduled purge."""
    IdempotencyRecord.objects.filter(
        caller=caller, created_at__lt=timezone.now() - KEEP_FOR
    ).delete()
    with transaction.atomic():
        record = _claim(caller=caller, key=key, digest=digest)
        if not isinstance(record, IdempotencyRecord):
            return record
        outcome = run()
        if 200 <= outcome.status < 300:
            record.status = outcome.status
            record.body = outcome.body
            record.headers = {k: v for k, v in outcome.headers.items() if k in KEPT_HEADERS}
            record.save(update_fields=["status", "body", "headers"])
        else:
            record.delete()
        return outcome


def idempotent(request, run: Callable[[], Response]) -> Response:
    """A DRF view's POST through `idempotent_call` when the request carries the header (and
    plainly otherwise). `run` returns the view's Response; a replay is marked with the header
    `Idempotent-Replayed: true`."""
    key = idempotency_key(request)
    if key is None:
        return run()
    fresh: list[Response] = []

    def outcome() -> Outcome:
        response = run()
        fresh.append(response)
        headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
        return Outcome(response.status_code, _plain(response.data), headers)

    result = idempotent_call(
        caller=request.user, key=key, digest=request_digest(request), run=outcome
    )
    if not result.replayed:
        return fresh[0]
    response = Response(result.body, status=result.status, headers=dict(result.headers))
    response[REPLAYED_HEADER] = "true"
    return response


def idempotency_purge(*, now: datetime.datetime | None = None) -> int:
    """Forget the keys older than KEEP_FOR; returns how many."""
    cutoff = (now or timezone.now()) - KEEP_FOR
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _claim(*, caller, key: str, digest: str) -> IdempotencyRecord | Outcome:
    """The new record claiming the key, or the stored outcome of its first request."""
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(caller=caller, key=key, request_hash=digest)
        except IntegrityError:
            pass
        found = IdempotencyRecord.objects.filter(caller=caller, key=key).first()
        if found is None:
            continue  # the other request rolled back: claim it again
        if found.created_at < timezone.now() - KEEP_FOR:
            found.delete()  # an expired key is free again
            continue
        if found.request_hash != digest:
            raise KeyReused()
        if found.status is None:
            raise KeyInFlight()
        return Outcome(found.status, found.body, dict(found.headers), replayed=True)
    raise KeyInFlight()


def _plain(data: Any) -> Any:
    """The response data as plain JSON values (serializers' dicts, Decimals, dates)."""
    return json.loads(json.dumps(data, default=str))
