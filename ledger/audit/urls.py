"""URLs of the audit room, namespaced `audit:`."""

from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("audit/export/", views.audit_export, name="export"),
]
