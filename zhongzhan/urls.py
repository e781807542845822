"""Top-level URL map: accounts, admin, language switch, favicon, the ledger and its rooms.

A room's URLs are included only when the room is installed, so removing one from
INSTALLED_APPS leaves a working site (tests/test_without_rooms.py). The order does not
matter: an issue's number is a path converter of its own (ledger/converters.py)."""

from django.apps import apps
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

# each room's URL module; /healthz (for the load balancer and monitoring: no login, no
# details) is the security room's
ROOM_URLS = (
    "ledger.security.urls",
    "ledger.exchange.urls",
    "ledger.notify.urls",
    "ledger.oversight.urls",
    "ledger.service.urls",
    "ledger.service.feedback.urls",
    "ledger.audit.urls",
    "ledger.api.urls",
)

urlpatterns = [
    # the security room's password-reset form (its e-mail goes through the worker) before
    # Django's own of the same name
    *(
        [path("accounts/", include("ledger.security.account_urls"))]
        if apps.is_installed("ledger.security")
        else []
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # browsers ask for /favicon.ico whatever the page links; the static URL is resolved
    # on the first request, as the hashed name needs the manifest collectstatic writes
    path(
        "favicon.ico",
        RedirectView.as_view(url=lazy(static, str)("img/favicon.svg"), permanent=True),
    ),
    *(
        path("", include(module))
        for module in ROOM_URLS
        if apps.is_installed(module.removesuffix(".urls"))
    ),
    path("", include("ledger.urls")),
]
