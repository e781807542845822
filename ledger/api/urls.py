"""The API room's URLs: /api/v1/ (the resources, the OpenAPI document and its reference page)
and the screens that manage access (a person's tokens)."""

from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("api/v1/", include("ledger.api.v1_urls")),
    path("", include("ledger.api.page_urls")),
    path("", include("ledger.api.intake_screens")),
]
