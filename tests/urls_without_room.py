"""zhongzhan/urls.py without the rooms that are not installed (tests/settings_without_room.py).
tests/test_without_rooms.py checks that, with every room installed, it is the same map."""

from django.apps import apps
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

# the rooms' URL modules (app label, module), in zhongzhan/urls.py's order
ROOM_URLS = [
    ("security", "ledger.security.urls"),
    ("exchange", "ledger.exchange.urls"),
    ("notify", "ledger.notify.urls"),
    ("oversight", "ledger.oversight.urls"),
    ("service", "ledger.service.urls"),
    ("feedback", "ledger.service.feedback.urls"),
]

urlpatterns = [
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path(
        "favicon.ico",
        RedirectView.as_view(url=lazy(static, str)("img/favicon.svg"), permanent=True),
    ),
    *(
        path("", include(module))
        for label, module in ROOM_URLS
        if apps.is_installed(module.removesuffix(".urls"))
    ),
    path("", include("ledger.urls")),
]
