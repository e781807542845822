"""Making and checking the API's bearer secrets.

A secret reads `zzp_<prefix>_<secret>` (a person's token) or `zzc_<prefix>_<secret>` (an API
client's secret): the prefix is public and finds the row, the rest is 256 random bits stored
only as its SHA-256 digest and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

PERSONAL = "zzp"
CLIENT = "zzc"


@dataclass(frozen=True)
class NewSecret:
    plain: str  # shown once, never stored
    prefix: str
    digest: str


def digest_of(secret_part: str) -> str:
    return hashlib.sha256(secret_part.encode()).hexdigest()


def secret_make(kind: str) -> NewSecret:
    prefix = secrets.token_hex(6)
    secret_part = secrets.token_urlsafe(32)
    return NewSecret(f"{kind}_{prefix}_{secret_part}", prefix, digest_of(secret_part))


def secret_parse(plain: str) -> tuple[str, str, str] | None:
    """(kind, prefix, secret part) of a presented secret, or None if it is not one of ours."""
    kind, sep, rest = plain.partition("_")
    prefix, sep2, secret_part = rest.partition("_")
    if not (sep and sep2) or kind not in (PERSONAL, CLIENT):
        return None
    if len(prefix) != 12 or not secret_part or len(secret_part) > 100:
        return None
    return kind, prefix, secret_part


def secret_matches(secret_part: str, digest: str) -> bool:
    return hmac.compare_digest(digest_of(secret_part), digest)
