"""The client's address: the login lockout, the password-reset throttle, the public pages' limits.

Behind a reverse proxy every request comes from the proxy's address, so lockouts per
address would lock everyone out together. The address is then taken from the header
the proxy sets, but only when the CLIENT_IP_HEADER setting names it: a header a client
can send itself must never be trusted by default (it would let an attacker pick a new
address for every guess).
"""

import ipaddress

from django.conf import settings


def _valid(value: str) -> str | None:
    value = value.strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or the trusted proxy header's client address when configured.

    For X-Forwarded-For style lists (each proxy appends the address it saw), the
    client is the entry CLIENT_IP_PROXY_COUNT places from the right: entries further
    left were sent by the client and may be forged.
    """
    header = settings.CLIENT_IP_HEADER
    if header:
        raw = request.META.get(header, "")
        entries = [entry for entry in raw.split(",") if entry.strip()]
        count = max(settings.CLIENT_IP_PROXY_COUNT, 1)
        if len(entries) >= count:
            address = _valid(entries[-count])
            if address:
                return address
    return _valid(request.META.get("REMOTE_ADDR", "")) or None
