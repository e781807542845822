"""The request being served, for the audit hooks that Django calls without it (a model saved,
a lockout record deleted, an admin log entry written): so their records name who acted and
from where, not only what changed."""

import contextvars

_request = contextvars.ContextVar("audit_request", default=None)


class AuditRequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def current_request():
    """The request this thread is serving, or None (a command, a task, a test without one)."""
    return _request.get()


def current_actor(request):
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None and user.is_authenticated else None
