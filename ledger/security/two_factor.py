"""Two-factor sign-in (GB/T 22239-2019 8.1.4.1 d: two kinds of authentication, one of them
cryptographic): a TOTP authenticator app (django-otp's otp_totp) and ten one-time recovery
codes (otp_static).

Three pages: the code asked after the password (`two_factor_verify`), enrolment with a QR code
and the secret in text (`two_factor_enrol`), and the account's own page to make new recovery
codes or switch two-factor off (`two_factor`). Wrong codes count per account in the core
throttle: LEDGER_OTP_FAILURE_LIMIT within LEDGER_OTP_FAILURE_WINDOW_MINUTES sign the session
out with the 429 page, and a right code is refused until the window has passed.
"""

import base64
import datetime

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import DEVICE_ID_SESSION_KEY, match_token
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from ledger import auditing
from ledger.models import ThrottleHit
from ledger.throttle import throttle_hit

from . import account_policy

THROTTLE_SCOPE = "otp"
DEVICE_NAME = "authenticator"
PENDING_KEY = "_zz_otp_pending_key"
RECOVERY_NAME = "recovery"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("验证码"),
        max_length=32,
        help_text=gettext_lazy("身份验证器上的 6 位数字，或一个恢复码。"),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split()).lower()


def _window() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.LEDGER_OTP_FAILURE_WINDOW_MINUTES)


def _throttle_key(user) -> str:
    return f"user:{user.pk}"


def _is_locked(user) -> bool:
    since = timezone.now() - _window()
    failures = ThrottleHit.objects.filter(
        scope=THROTTLE_SCOPE, key=_throttle_key(user), at__gte=since
    ).count()
    return failures >= settings.LEDGER_OTP_FAILURE_LIMIT


def _count_failure(request, user, *, where: str) -> bool:
    """Record one wrong code; True when the account is now locked out of codes."""
    auditing.record(
        auditing.Kind.OTP_FAILED,
        actor=user,
        request=request,
        target=f"user {user.get_username()}",
        outcome=auditing.Outcome.FAILURE,
        detail={"where": where},
    )
    throttle_hit(
        THROTTLE_SCOPE,
        {_throttle_key(user): settings.LEDGER_OTP_FAILURE_LIMIT},
        window=_window(),
    )
    return _is_locked(user)


def _locked_out(request, user):
    auditing.record(
        auditing.Kind.LOCKED_OUT,
        actor=user,
        request=request,
        target=f"user {user.get_username()}",
        outcome=auditing.Outcome.FAILURE,
        detail={"factor": "otp"},
    )
    logout(request)
    context = {"window_minutes": settings.LEDGER_OTP_FAILURE_WINDOW_MINUTES}
    return render(request, "security/two_factor_locked.html", context, status=429)


def _mid_sign_in(request) -> dict:
    """For a page shown while signing in is not finished: the layout's navbar as for a visitor
    (no menus, no bell; the page has its own 退出 button), since nothing there opens yet."""
    return {"user": AnonymousUser(), "mid_sign_in": True}


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _make_recovery_codes(user) -> list[str]:
    """Replace the account's recovery codes with LEDGER_RECOVERY_CODE_COUNT new ones."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.LEDGER_RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def _secret_text(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, as authenticator apps take it typed in."""
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@sensitive_post_parameters("code")
@login_required
def two_factor_verify(request):
    """The second step of signing in: a code from the authenticator, or a recovery code."""
    user = request.user
    todo = request.session.get(account_policy.TODO, [])
    if account_policy.VERIFY not in todo:
        return redirect(_next_url(request) or "home")
    if _is_locked(user):
        return _locked_out(request, user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            device = match_token(user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            account_policy.step_done(request, account_policy.VERIFY)
            if isinstance(device, StaticDevice):
                left = device.token_set.count()
                auditing.record(
                    auditing.Kind.RECOVERY_CODE_USED,
                    actor=user,
                    request=request,
                    target=f"user {user.get_username()}",
                    detail={"codes_left": left},
                )
                messages.warning(
                    request,
                    _("您用了一个恢复码，还剩 %(left)d 个。可在“两步验证”页生成新的恢复码。")
                    % {"left": left},
                )
            return redirect(_next_url(request) or "home")
        if _count_failure(request, user, where="sign_in"):
            return _locked_out(request, user)
        form.add_error("code", _("验证码不正确或已过期，请重新输入。"))
    context = {"form": form, "next": _next_url(request), **_mid_sign_in(request)}
    return render(request, "security/two_factor_verify.html", context)


def _pending_device(request) -> TOTPDevice:
    """The authenticator being set up, not saved: its key waits in the session (a GET writes
    no row), the same one on every visit until it is confirmed."""
    key = request.session.get(PENDING_KEY)
    if not isinstance(key, str) or len(key) != 40:
        key = request.session[PENDING_KEY] = random_hex(20)
    return TOTPDevice(user=request.user, name=DEVICE_NAME, key=key, confirmed=False)


def _code_matches(device: TOTPDevice, code: str) -> bool:
    """The app's current code, one 30-second step of drift either way; the step is kept as
    the device's last, so the same code is not taken again at the next sign-in."""
    if not (code.isdigit() and len(code) == device.digits):
        return False
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if not totp.verify(int(code), device.tolerance):
        return False
    device.last_t = totp.t()
    return True


@never_cache
@sensitive_post_parameters("code")
@login_required
def two_factor_enrol(request):
    """Set up an authenticator: scan the QR code (or type the secret), confirm with a code."""
    user = request.user
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect("security:two_factor")
    device = _pending_device(request)
    form = CodeForm(request.POST or None)
    form.fields["code"].help_text = _("身份验证器上显示的 6 位数字。")
    if request.method == "POST" and form.is_valid():
        if _code_matches(device, form.cleaned_data["code"]):
            with transaction.atomic():
                TOTPDevice.objects.filter(user=user).delete()
                device.confirmed = True
                device.save()
                codes = _make_recovery_codes(user)
            del request.session[PENDING_KEY]
            otp_login(request, device)
            account_policy.step_done(request, account_policy.ENROL)
            account_policy.step_done(request, account_policy.VERIFY)
            target = f"user {user.get_username()}"
            auditing.record(auditing.Kind.OTP_ENROLLED, actor=user, request=request, target=target)
            auditing.record(
                auditing.Kind.RECOVERY_CODES_MADE,
                actor=user,
                request=request,
                target=target,
                detail={"count": len(codes)},
            )
            return render(
                request,
                "security/two_factor_codes.html",
                {"codes": codes, "next": _next_url(request), "enrolled": True},
            )
        form.add_error("code", _("验证码不正确，请核对手机时间后输入身份验证器上当前的数字。"))
    qr = segno.make(device.config_url, error="m")
    context = {
        "form": form,
        "qr_data_uri": qr.svg_data_uri(scale=4, dark="#000", light="#fff"),
        "secret": _secret_text(device),
        "required": account_policy.two_factor_required(user),
        "next": _next_url(request),
    }
    if account_policy.ENROL in request.session.get(account_policy.TODO, []):
        context.update(_mid_sign_in(request))
    return render(request, "security/two_factor_enrol.html", context)


@never_cache
@login_required
def two_factor(request):
    """The account's two-factor page: whether it is on, recovery codes left, what to do."""
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    recovery = StaticDevice.objects.filter(user=user, name=RECOVERY_NAME).first()
    context = {
        "device": device,
        "codes_left": recovery.token_set.count() if recovery else 0,
        "required": account_policy.two_factor_required(user),
        "form": CodeForm(),
    }
    return render(request, "security/two_factor.html", context)


@never_cache
@require_POST
@login_required
def two_factor_recovery_codes(request):
    """New recovery codes (the old ones stop working), shown once."""
    user = request.user
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect("security:two_factor")
    codes = _make_recovery_codes(user)
    auditing.record(
        auditing.Kind.RECOVERY_CODES_MADE,
        actor=user,
        request=request,
        target=f"user {user.get_username()}",
        detail={"count": len(codes)},
    )
    return render(request, "security/two_factor_codes.html", {"codes": codes})


@never_cache
@sensitive_post_parameters("code")
@require_POST
@login_required
def two_factor_remove(request):
    """Switch two-factor off, confirmed by a current code. Where it is required, the account
    is sent to enrol again before anything else."""
    user = request.user
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect("security:two_factor")  # nothing to switch off
    if _is_locked(user):
        return _locked_out(request, user)
    form = CodeForm(request.POST)
    device = None
    if form.is_valid():
        with transaction.atomic():
            device = match_token(user, form.cleaned_data["code"])
    if device is None:
        if form.is_valid() and _count_failure(request, user, where="remove"):
            return _locked_out(request, user)
        messages.error(request, _("验证码不正确，两步验证未停用。"))
        return redirect("security:two_factor")
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    auditing.record(
        auditing.Kind.OTP_REMOVED, actor=user, request=request, target=f"user {user.get_username()}"
    )
    if account_policy.two_factor_required(user):
        account_policy.step_needed(request, account_policy.ENROL)
        messages.warning(request, _("两步验证已停用。您的角色必须启用两步验证，请重新设置。"))
        return redirect("security:two_factor_enrol")
    messages.success(request, _("两步验证已停用。"))
    return redirect("security:two_factor")
