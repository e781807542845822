"""The signed event format, written once: the canonical bytes of an issue event and of the
records that anchor the chains (heads, issue states), their HMAC under EVENTS_KEYS, and the
event columns. Models, integrity and the bench generator all sign and check through here.

A core module with no import from the rest of ledger: models/issues.py imports it.
"""

import datetime
import hashlib
import hmac
import json
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone

# the stored columns of ledger_issueevent besides its id, in the order the bench generator
# writes them with COPY and events_verify reads them (a test compares it with the model)
EVENT_COLUMNS = (
    "issue_id",
    "seq",
    "actor_id",
    "actor_department_id",
    "action",
    "from_status",
    "to_status",
    "note",
    "changes",
    "created_at",
    "digest",
    "key_id",
)


class UnknownEventKey(Exception):
    """An event names a key id that settings.EVENTS_KEYS does not hold."""


# canonical() is json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
# with its encoder built once: json.dumps builds a JSONEncoder, and JSONEncoder.encode() a C
# encoder, on every call — most of the cost of a small payload, and the bench generator signs
# millions. The C encoder is the one JSONEncoder.iterencode() makes with these options; where
# Python has none, JSONEncoder.encode() gives the same bytes.
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
_C_ENCODE = (
    json.encoder.c_make_encoder(
        None,  # no circular-reference markers: payloads are trees
        _ENCODER.default,
        json.encoder.encode_basestring,
        None,
        _ENCODER.key_separator,
        _ENCODER.item_separator,
        True,  # sort_keys
        False,  # skipkeys
        True,  # allow_nan
    )
    if json.encoder.c_make_encoder is not None
    else None
)


def canonical(value) -> bytes:
    """The one serialisation every signature and hash covers: compact JSON, sorted keys, UTF-8.
    Changing it breaks every stored digest (tests/test_events.py pins it)."""
    if _C_ENCODE is None:
        return _ENCODER.encode(value).encode()
    return "".join(_C_ENCODE(value, 0)).encode()


def utc_text(moment: datetime.datetime) -> str:
    """An aware time as the UTC ISO text the payloads hold (microseconds, +00:00)."""
    return moment.astimezone(datetime.UTC).isoformat(timespec="microseconds")


_AS_THEY_ARE = frozenset({str, int, bool, type(None)})


def plain(value):
    """A stored field's value as JSON can hold it: times in UTC text, dates ISO, others as
    they are (ints, strings, booleans, None) or their str() (decimals, UUIDs …)."""
    if type(value) in _AS_THEY_ARE:  # the common case first: the bench hashes millions
        return value
    if isinstance(value, datetime.datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return utc_text(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


# -- keys ---------------------------------------------------------------------------------------


def key_for(key_id: str) -> str:
    """The secret of `key_id` (the current EVENTS_KEY or an old one that still verifies)."""
    key = settings.EVENTS_KEYS.get(key_id)
    if not key:
        raise UnknownEventKey(key_id)
    return key


def mac(key: str | bytes, value) -> str:
    """HMAC-SHA-256 of `value`'s canonical bytes under a secret given as a plain value (the
    bench generator's workers carry the key; everyone else goes through sign())."""
    if isinstance(key, str):
        key = key.encode()
    return hmac.new(key, canonical(value), hashlib.sha256).hexdigest()


def sign(key_id: str, value) -> str:
    """HMAC-SHA-256 of `value` (canonical JSON) under the events key `key_id`."""
    return mac(key_for(key_id), value)


def signature_ok(key_id: str, value, signature: str) -> bool:
    try:
        return hmac.compare_digest(sign(key_id, value), signature)
    except UnknownEventKey:
        return False


# -- events -------------------------------------------------------------------------------------


def event_payload(
    *,
    issue: int,
    seq: int,
    actor: int,
    action: str,
    from_status: str,
    to_status: str,
    note: str,
    changes: dict,
    at: str,
    prev: str,
    key_id: str,
    number: str | None = None,
    department: int | None = None,
    files: Iterable = (),
) -> dict:
    """What an event's digest covers, from plain values (`at` is utc_text()).

    Keyed events cover every stored field (issue and its number, seq, actor and their
    department, action, statuses, note, changes, time, key id), the files the event brought
    ([name, sha256, size] each) and the previous event's digest. Events written before keys
    existed (key_id "") cover the first ten only.
    """
    payload = {
        "issue": issue,
        "seq": seq,
        "actor": actor,
        "action": action,
        "from": from_status,
        "to": to_status,
        "note": note,
        "changes": changes,
        "at": at,
        "prev": prev,
    }
    if key_id:
        payload["number"] = number
        payload["department"] = department
        payload["key"] = key_id
        payload["files"] = [[name, sha256, size] for name, sha256, size in files]
    return payload


def event_digest(payload: dict, key: str | bytes | None) -> str:
    """The event's link in its issue's chain: HMAC-SHA-256 of the canonical payload under
    `key`, or its unkeyed SHA-256 for the events from before keys (key None)."""
    if key is None:
        return hashlib.sha256(canonical(payload)).hexdigest()
    return mac(key, payload)


# -- heads and issue states ---------------------------------------------------------------------


def head_payload(issue_id, number, seq, digest, state, key_id) -> list:
    """What a chain head's signature covers."""
    return [issue_id, number, seq, digest, state, key_id]


def state_digest(values: Iterable) -> str:
    """SHA-256 of an issue's stored fields (values in models.issues.STATE_FIELDS order)."""
    return hashlib.sha256(canonical([plain(value) for value in values])).hexdigest()
