"""Sign-in protection and operations: login lockout (django-axes), the password-reset
throttle, /healthz and the `backup` command.

Imports the core; the core never imports it.
"""

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "ledger.security"
    label = "security"
    verbose_name = _("登录与安全")

    def ready(self):
        from .sessions import session_mark_renewed  # import here: models are not ready before

        user_logged_in.connect(session_mark_renewed, dispatch_uid="security_session_renewed")
