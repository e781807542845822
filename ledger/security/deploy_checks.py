"""`check --deploy` checks of the deployment settings Django's own checks do not cover:
the plain-HTTP staging switch, a SITE_URL that the HTTPS redirect would bounce, and the
placeholder sender address real mail relays refuse."""

from django.conf import settings
from django.core import checks

PLACEHOLDER_FROM_DOMAIN = "@zhongzhan.invalid"


def plain_http_staging_check(app_configs=None, **kwargs):
    if not getattr(settings, "LEDGER_PLAIN_HTTP_STAGING", False):
        return []
    return [
        checks.Error(
            "LEDGER_PLAIN_HTTP_STAGING is on: no HTTPS redirect, no HSTS, cookies without "
            "Secure. It is for a staging run on plain HTTP only.",
            hint="Unset LEDGER_PLAIN_HTTP_STAGING once TLS is in place (docs/operations.md).",
            id="deploy.E001",
        )
    ]


def site_url_scheme_check(app_configs=None, **kwargs):
    if not (settings.SITE_URL.startswith("http://") and settings.SECURE_SSL_REDIRECT):
        return []
    return [
        checks.Warning(
            "SITE_URL starts with http:// while SECURE_SSL_REDIRECT is on: every link in "
            "e-mails and QR codes goes through a redirect to https://.",
            hint="Write SITE_URL with https://, e.g. https://ledger.example.gov.cn",
            id="deploy.W001",
        )
    ]


def from_email_check(app_configs=None, **kwargs):
    if not settings.DEFAULT_FROM_EMAIL.strip().lower().endswith(PLACEHOLDER_FROM_DOMAIN):
        return []
    return [
        checks.Warning(
            f"DEFAULT_FROM_EMAIL is the placeholder {settings.DEFAULT_FROM_EMAIL!r}: real mail "
            "relays refuse a sender in the .invalid domain, so no e-mail would arrive.",
            hint="Set DEFAULT_FROM_EMAIL to an address your mail relay accepts from this server.",
            id="deploy.W002",
        )
    ]


def deploy_checks_register() -> None:
    for check in (plain_http_staging_check, site_url_scheme_check, from_email_check):
        checks.register(check, checks.Tags.security, deploy=True)
