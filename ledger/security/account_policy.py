"""What a signed-in session must do before anything else (GB/T 22239-2019 8.1.4.1 a and d):
give the second factor's code, enrol one when it is required, replace an initial or expired
password — in that order.

The steps are worked out once, when the session signs in (user_logged_in), and kept in the
session; each request then costs a look into the session and no query. A session from before
this code (no list yet) gets its list on its next request. The admin asks again on every page
when two-factor is required of its user: without a code given in this session, no admin page.
"""

import contextvars
import datetime
import functools
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext
from django_otp import DEVICE_ID_SESSION_KEY

from ledger.rules import two_factor_required  # the core's rule; also named here for callers

# the request being served (for passwords.PasswordHistoryValidator: who set a password)
current_request: contextvars.ContextVar = contextvars.ContextVar("zz_request", default=None)

TODO = "_zz_account_todo"
VERIFY, ENROL, PASSWORD = "verify", "enrol", "password"

# the pages each step allows (view names); the first is where the step is done
STEP_PAGES = {
    VERIFY: ("security:two_factor_verify",),
    ENROL: ("security:two_factor_enrol",),
    PASSWORD: ("password_change", "password_change_done"),
}
# open whatever the steps: signing out, the language switch, the load balancer's probe
ALWAYS_OPEN = {"logout", "set_language", "security:healthz"}


def must_change_message() -> str:
    return gettext("您的密码由他人设置或已到期，请先修改密码再继续使用系统。")


def has_two_factor(user) -> bool:
    # import here: the middleware module loads before the app registry is ready
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def password_due(user) -> bool:
    """The current password is an initial one (its holder did not choose it: set by someone
    else, or stored as a hash directly) while PASSWORD_CHANGE_INITIAL is on, or it is older
    than PASSWORD_MAX_AGE_DAYS."""
    from .models import PasswordHistory  # import here: as above, models after the registry

    if not user.has_usable_password():
        return False
    newest = PasswordHistory.objects.filter(user=user).first()
    current = newest if newest is not None and newest.password == user.password else None
    if settings.PASSWORD_CHANGE_INITIAL and not (current is not None and current.chosen_by_user):
        return True
    max_age = settings.PASSWORD_MAX_AGE_DAYS
    if max_age > 0:
        set_at = current.set_at if current is not None else user.date_joined
        return timezone.now() - set_at > datetime.timedelta(days=max_age)
    return False


def account_todo(user) -> list[str]:
    todo = []
    if has_two_factor(user):
        todo.append(VERIFY)
    elif two_factor_required(user):
        todo.append(ENROL)
    if password_due(user):
        todo.append(PASSWORD)
    return todo


def on_sign_in(sender, request, user, **kwargs):
    """user_logged_in receiver: the steps this session must take."""
    if request is not None and hasattr(request, "session"):
        request.session[TODO] = account_todo(user)


def step_done(request, step: str) -> None:
    session = getattr(request, "session", None)
    if session is not None and step in session.get(TODO, []):
        session[TODO] = [s for s in session[TODO] if s != step]


def step_needed(request, step: str) -> None:
    session = request.session
    todo = [s for s in session.get(TODO, []) if s != step]
    session[TODO] = [step, *todo] if step in (VERIFY, ENROL) else [*todo, step]


@functools.cache
def _admin_prefix() -> str:
    return reverse("admin:index")


def _machine_door(match) -> bool:
    """A view that answers programs (Django REST framework's), not a person's browser.
    Told by its class's ancestry, without importing rest_framework.views: that import reads
    the REST_FRAMEWORK setting, which names the API room's classes, and would load the API
    room's models on a site without that room."""
    view_class = getattr(match.func, "cls", None)
    return isinstance(view_class, type) and any(
        (klass.__module__, klass.__qualname__) == ("rest_framework.views", "APIView")
        for klass in view_class.__mro__
    )


def _steps_refused(request, todo: list[str]):
    """What a program gets instead of a step's page: a bearer credential speaks for itself
    (the session's steps are not its own; the API reads it before the session), a program
    riding on the session gets a 403 it can read (RFC 9457) and no redirect to HTML."""
    if request.headers.get("Authorization", "").startswith("Bearer "):
        return None
    body = {
        "type": "about:blank",
        "title": gettext("无权访问"),
        "status": 403,
        "detail": gettext("请先在网页上完成账号安全步骤（修改密码或两步验证），再使用接口。"),
        "steps": list(todo),
    }
    return HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status=403,
        content_type="application/problem+json",
    )


class AccountPolicyMiddleware:
    """After the session, the user and the messages: sends a session with steps left to the
    first step's page, whatever it asked for (back to it afterwards, by `next`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request.set(request)
        try:
            return self._redirect(request) or self.get_response(request)
        finally:
            current_request.reset(token)

    def _redirect(self, request):
        session = getattr(request, "session", None)
        if session is None or SESSION_KEY not in session:
            return None  # nobody signed in: no query
        todo = session.get(TODO)
        if todo is None:
            if not request.user.is_authenticated:
                return None
            todo = session[TODO] = account_todo(request.user)
        if (
            not todo
            and request.path_info.startswith(_admin_prefix())
            and DEVICE_ID_SESSION_KEY not in session
            and request.user.is_authenticated
            and two_factor_required(request.user)
        ):
            # the policy changed while this session was open: the admin asks now
            todo = session[TODO] = account_todo(request.user)
        if not todo:
            return None
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return None
        view_name = match.view_name
        step = todo[0]
        if view_name in ALWAYS_OPEN or view_name in STEP_PAGES[step]:
            return None
        if _machine_door(match):
            return _steps_refused(request, todo)
        if request.headers.get("HX-Request"):
            # a page part (the bell's count): nothing for it until the steps are done
            return HttpResponse(status=204)
        if step == PASSWORD:
            messages.warning(request, must_change_message())
        target = reverse(STEP_PAGES[step][0])
        next_url = request.get_full_path() if request.method == "GET" else ""
        return HttpResponseRedirect(
            f"{target}?{urlencode({'next': next_url})}" if next_url else target
        )
