"""A person's own API tokens (/account/tokens/): list, create (the plain token shown once, on
the answer to the POST itself: never in a URL, never stored), revoke.

Only people get the page: not the system's own accounts, nor an API client's service account.
Where signing in asks this user for a second factor, a token is made only from a session that
gave one: a token is a way in without the second factor, so it must not be had without it.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from ledger import auditing
from ledger.rules import two_factor_required  # the core's rule, as the sign-in asks it
from ledger.services.creation import CreationReplayed, creation_claim, creation_done

from .forms_access import TokenForm
from .models import PersonalToken
from .secrets import PERSONAL, secret_make

CREATION_KIND = "api_token"


def is_person(user) -> bool:
    """A person's account: not one the system acts under, not an API client's."""
    return (
        user.is_authenticated
        and user.get_username().lower() not in settings.SYSTEM_ACCOUNTS
        and not hasattr(user, "api_client")
    )


def session_verified(request) -> bool:
    """Whether this session gave a second factor (django-otp's login keeps the device's id in
    the session) from a device of this user."""
    persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
    if not persistent_id:
        return False
    device = Device.from_persistent_id(persistent_id)
    return device is not None and device.user_id == request.user.pk


def second_factor_missing(request) -> bool:
    """A second factor is asked of this user at sign-in (required, or switched on by them)
    and this session did not give one."""
    user = request.user
    asked = (
        two_factor_required(user) or TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    )
    return asked and not session_verified(request)


def token_state(token: PersonalToken, now: datetime.datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at <= now:
        return "expired"
    return "active"


def _person_required(request):
    if not is_person(request.user):
        raise PermissionDenied


def _page(request, form, *, new_token: str = "", status: int = 200):
    now = timezone.now()
    tokens = [
        (token, token_state(token, now))
        for token in PersonalToken.objects.filter(user=request.user).order_by("-created_at")
    ]
    context = {
        "form": form,
        "tokens": tokens,
        "new_token": new_token,
        "needs_second_factor": second_factor_missing(request),
        "max_days": settings.API_TOKEN_MAX_DAYS,
    }
    return render(request, "api/tokens.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    """The caller's tokens and the form to make one; a POST that makes one answers with the
    same page showing the plain token once."""
    _person_required(request)
    if request.method != "POST":
        return _page(request, TokenForm())
    form = TokenForm(request.POST)
    if second_factor_missing(request):
        form.is_valid()  # the fields as typed stay on the page
        form.add_error(None, _("创建令牌前，请先在本次登录中完成两步验证。"))
        return _page(request, form, status=403)
    if not form.is_valid():
        return _page(request, form)
    user = request.user
    now = timezone.now()
    days = form.cleaned_data["days"]
    new = secret_make(PERSONAL)
    try:
        with transaction.atomic():
            claim = creation_claim(
                token=form.cleaned_data["creation_token"], user=user, kind=CREATION_KIND
            )
            token = PersonalToken.objects.create(
                user=user,
                name=form.cleaned_data["name"],
                prefix=new.prefix,
                digest=new.digest,
                created_at=now,
                expires_at=now + datetime.timedelta(days=days),
            )
            creation_done(claim, token)
    except CreationReplayed:
        messages.warning(
            request,
            _(
                "该页面已经提交过，令牌已经创建（见下表），未重复创建。令牌只显示一次；"
                "如未保存，请吊销后重新创建。"
            ),
        )
        return redirect("api:token_list")
    auditing.record(
        auditing.Kind.API_TOKEN_CREATED,
        actor=user,
        request=request,
        target=f"user {user.get_username()}",
        detail={"token": token.prefix, "name": token.name, "days": days},
    )
    return _page(request, TokenForm(), new_token=new.plain)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_revoke(request, pk: int):
    """Confirm, then revoke one of the caller's own tokens (another person's: 404)."""
    _person_required(request)
    token = get_object_or_404(PersonalToken, pk=pk, user=request.user)
    if request.method != "POST":
        return render(
            request,
            "api/token_revoke.html",
            {"token": token, "state": token_state(token, timezone.now())},
        )
    revoked = PersonalToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        auditing.record(
            auditing.Kind.API_TOKEN_REVOKED,
            actor=request.user,
            request=request,
            target=f"user {request.user.get_username()}",
            detail={"token": token.prefix, "name": token.name},
        )
        messages.success(request, _("令牌“%(name)s”已吊销。") % {"name": token.name})
    else:
        messages.info(request, _("令牌“%(name)s”此前已吊销。") % {"name": token.name})
    return redirect("api:token_list")
