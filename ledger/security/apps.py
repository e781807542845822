"""Sign-in protection and operations: login lockout (django-axes), the password-reset
throttle, /healthz and the `backup` command.

Imports the core; the core never imports it.
"""

from django.contrib.auth.signals import user_logged_in
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
