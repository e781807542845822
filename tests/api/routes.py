"""The URL patterns under /api/v1/, by name: the API's matrix (tests/api/test_authorization.py)
covers exactly these, and the screens' matrix leaves them to it."""

from django.urls import URLPattern, URLResolver, get_resolver

PREFIX = "api/v1/"


def api_v1_routes() -> set[str]:
    found = set()

    def walk(resolver, prefix="", namespace=""):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern) and (prefix + str(entry.pattern)).startswith(PREFIX):
                found.add(f"{namespace}{entry.name}" if entry.name else prefix + str(entry.pattern))

    walk(get_resolver())
    return found
