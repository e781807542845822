"""The password policy (GB/T 22239-2019 8.1.4.1 a, 身份鉴别): kinds of characters, no reuse of
the last PASSWORD_HISTORY_COUNT passwords, and a password set by someone else changed at the
next sign-in.

Django calls each validator's `password_changed(password, user)` after saving a user whose
password was set (AbstractBaseUser.save). That documented hook records the new hash here, for
the admin's forms, the change and reset pages, createsuperuser and scripts alike, so the core
needs no call. Who set the password is read from the request being served (the account policy
middleware keeps it in a context variable): its holder on the change and reset pages; anyone
else, or no request at all (a script), makes it an initial password; so does a password
stored as a hash directly (create_user, createsuperuser, seed_demo), which leaves no row.
"""

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext

from . import account_policy


def _kinds(password: str) -> int:
    """How many of the four kinds occur: capitals, small letters, digits, anything else
    (a sign, a space, a Chinese character)."""
    found = set()
    for char in password:
        if "A" <= char <= "Z":
            found.add("upper")
        elif "a" <= char <= "z":
            found.add("lower")
        elif "0" <= char <= "9":
            found.add("digit")
        else:
            found.add("other")
    return len(found)


class CharacterKindsValidator:
    """At least `min_kinds` of: capitals, small letters, digits, other signs."""

    def __init__(self, min_kinds: int = 3):
        self.min_kinds = min_kinds

    def validate(self, password, user=None):
        if _kinds(password) < self.min_kinds:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        return ngettext(
            "密码须包含大写字母、小写字母、数字、其他符号四类中的至少 %(count)d 类。",
            "密码须包含大写字母、小写字母、数字、其他符号四类中的至少 %(count)d 类。",
            self.min_kinds,
        ) % {"count": self.min_kinds}


def _recent_hashes(user) -> list[str]:
    from .models import PasswordHistory  # import here: settings load this module early

    count = settings.PASSWORD_HISTORY_COUNT
    hashes = list(
        PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[:count]
    )
    if user.password and user.password not in hashes:
        hashes = [user.password, *hashes][:count]  # the current one, if set before the history
    return hashes


def _who_set_it(user):
    """(request, chosen by the holder?) for the password being saved: the holder signed in
    (the change page, or an administrator's own password in the admin), or the reset link
    mailed to the holder (which signs nobody in)."""
    request = account_policy.current_request.get()
    if request is None:
        return None, False
    actor = getattr(request, "user", None)
    if actor is not None and actor.is_authenticated and actor.pk == user.pk:
        return request, True
    match = getattr(request, "resolver_match", None)
    return request, match is not None and match.view_name == "password_reset_confirm"


class PasswordHistoryValidator:
    """Refuses the current password and the ones before it (PASSWORD_HISTORY_COUNT in all);
    records each new password's hash."""

    def validate(self, password, user=None):
        if user is None or user.pk is None or settings.PASSWORD_HISTORY_COUNT <= 0:
            return
        if any(check_password(password, encoded) for encoded in _recent_hashes(user)):
            raise ValidationError(self.get_help_text(), code="password_reused")

    def get_help_text(self):
        return ngettext(
            "新密码不能与最近 %(count)d 次使用过的密码相同。",
            "新密码不能与最近 %(count)d 次使用过的密码相同。",
            settings.PASSWORD_HISTORY_COUNT,
        ) % {"count": settings.PASSWORD_HISTORY_COUNT}

    def password_changed(self, password, user):
        from .models import PasswordHistory  # import here: settings load this module early

        if user.pk is None:
            return
        request, by_holder = _who_set_it(user)
        PasswordHistory.objects.create(
            user=user,
            password=user.password,
            chosen_by_user=by_holder,
        )
        keep = max(settings.PASSWORD_HISTORY_COUNT, 1)
        stale = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[keep:]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()

        # the audit trail records every new password once, from the audit room's hook on the
        # user's save (whoever saves it); here only the session's own step is ticked off
        actor = getattr(request, "user", None)
        if by_holder and actor is not None and actor.is_authenticated:
            account_policy.step_done(request, account_policy.PASSWORD)
