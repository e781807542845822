"""The link's token: a random nonce (stored) signed with SECRET_KEY (not stored).

URL = /feedback/<nonce>.<signature>/. Signing means a copy of the database does not give
working links, and a guessed or altered token fails the signature check (a constant-time
comparison in django.core.signing) before any query. SECRET_KEY_FALLBACKS keeps links
working across a key rotation; dropping the old key withdraws every link made with it.
"""

import secrets

from django.core import signing
from django.urls import reverse

from ledger.site_url import absolute_url

SALT = "ledger.service.feedback.link"
SEP = "."  # not in the URL-safe base64 alphabet of nonce and signature


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT, sep=SEP, algorithm="sha256")


def nonce_new() -> str:
    return secrets.token_urlsafe(16)  # 128 random bits


def token_for(nonce: str) -> str:
    return _signer().sign(nonce)


def nonce_from(token: str) -> str | None:
    """The nonce a genuine token carries; None for anything altered or made up."""
    if not token or len(token) > 120:
        return None
    try:
        return _signer().unsign(token)
    except signing.BadSignature:
        return None


def link_path(link) -> str:
    return reverse("feedback:public", args=[token_for(link.nonce)])


def link_url(link, request=None) -> str:
    """The link as handed to the enterprise: on SITE_URL, else the address served
    (ledger/site_url.py)."""
    return absolute_url(link_path(link), request)
