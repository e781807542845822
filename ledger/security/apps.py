"""Sign-in protection and operations: login lockout (django-axes), two-factor sign-in
(django-otp), the password policy, the password-reset throttle, /healthz and the `backup`
command.

Imports the core; the core never imports it.
"""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.utils.translation import gettext_lazy as _

from ledger.rooms import Room

from .sessions import session_mark_renewed


class SecurityConfig(Room):
    name = "ledger.security"
    label = "security"
    verbose_name = _("登录与安全")

    def ready(self):
        user_logged_in.connect(session_mark_renewed, dispatch_uid="security_session_renewed")
        from .deploy_checks import deploy_checks_register  # import here: reads settings

        deploy_checks_register()
        # the steps a new session must take first: code, enrolment, password (account_policy)
        from .account_policy import on_sign_in  # import here: the account models load after apps

        user_logged_in.connect(on_sign_in, dispatch_uid="security_account_todo")
        from .throttle import sign_in_failure_count  # import here: it reads models

        user_login_failed.connect(sign_in_failure_count, dispatch_uid="security_sign_in_failure")
