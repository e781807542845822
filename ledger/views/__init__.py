"""Thin views grouped by screen: each parses input, calls a selector, service or the
workflow, and renders."""

# registers <issue_number:…> before any view module builds its urlpatterns
from ledger import converters  # noqa: F401
