"""Request guards and response headers that hold for every URL of the project, the rooms'
included.

PostgreSQL refuses a NUL character in text, so a NUL that reaches a query is a 500. No
URL of the ledger names anything with a NUL in it: such a path is a 404 before any view
(and so any URL keyword such as a ledger number) sees it. Query and form values are left
to the forms, whose text fields already refuse a NUL with a message.
"""

import functools

from django.conf import settings
from django.http import Http404


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if "\x00" in request.path_info or any(
            "\x00" in str(value) for value in (*view_args, *view_kwargs.values())
        ):
            raise Http404
        return None


# -- Permissions-Policy ------------------------------------------------------------------------
#
# No page of the ledger uses a browser feature beyond forms and links, so every feature a
# browser lets a page turn off is off (settings.PERMISSIONS_POLICY_FEATURES); a view that
# needs one for its own origin says so with @permissions_allow("camera") (the visit form:
# a phone takes the site photos with its camera). A third-party frame gets none of them.


def permissions_allow(*features):
    """Decorate a view whose page uses these browser features (for this origin only)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            response.permissions_allowed = frozenset(features)
            return response

        return wrapped

    return decorate


def permissions_policy(allowed=frozenset()) -> str:
    """The header's value: `feature=()` (off) for each feature, `feature=(self)` if allowed."""
    return ", ".join(
        f"{feature}=(self)" if feature in allowed else f"{feature}=()"
        for feature in settings.PERMISSIONS_POLICY_FEATURES
    )


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.default = permissions_policy()

    def __call__(self, request):
        response = self.get_response(request)
        allowed = getattr(response, "permissions_allowed", None)
        response.headers.setdefault(
            "Permissions-Policy", permissions_policy(allowed) if allowed else self.default
        )
        return response
