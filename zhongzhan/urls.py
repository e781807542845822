"""Top-level URL map: accounts, admin, language switch, favicon, the ledger and its rooms."""

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

urlpatterns = [
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # browsers ask for /favicon.ico whatever the page links; the static URL is resolved
    # on the first request, as the hashed name needs the manifest collectstatic writes
    path(
        "favicon.ico",
        RedirectView.as_view(url=lazy(static, str)("img/favicon.svg"), permanent=True),
    ),
    # /healthz for the load balancer and monitoring: no login, no details
    path("", include("ledger.security.urls")),
    path("", include("ledger.exchange.urls")),
    path("", include("ledger.notify.urls")),
    path("", include("ledger.oversight.urls")),
    path("", include("ledger.service.urls")),
    path("", include("ledger.service.feedback.urls")),
    path("", include("ledger.urls")),
]
