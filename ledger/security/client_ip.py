"""The name settings.AXES_CLIENT_IP_CALLABLE gives django-axes: the core's client address
(ledger/client_ip.py), which the feedback room's limits use too."""

from ledger.client_ip import client_ip

__all__ = ["client_ip"]
