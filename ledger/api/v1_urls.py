"""/api/v1/: the schema, its reference page, the core's resources and the rooms' own
(`Room.api_routes()`)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from ledger.rooms import api_routes

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("", include("ledger.api.intake_urls")),
    *api_routes(),
]
