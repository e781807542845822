"""The API room's admin: clients and their secrets (admin_access), webhook deliveries
(admin_webhooks)."""

from . import admin_access, admin_webhooks  # noqa: F401  (each registers its models)
