"""URLs of the service room, namespaced `service:` (tests/service/test_authorization.py
covers every one of them)."""

from django.urls import path

from . import views

app_name = "service"

urlpatterns = [
    path("visits/", views.visit_list, name="visit_list"),
    path("visits/new/", views.visit_create, name="visit_create"),
    path("visits/coverage/", views.coverage, name="coverage"),
    path("visits/coverage/export.xlsx", views.coverage_export, name="coverage_export"),
    path("visits/<int:pk>/", views.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/edit/", views.visit_edit, name="visit_edit"),
    path("visits/<int:pk>/photos/<int:photo_id>/", views.visit_photo, name="visit_photo"),
    path("procedures/late/", views.procedures_late, name="procedures_late"),
    path("procedures/<int:pk>/edit/", views.procedure_edit, name="procedure_edit"),
    path("procedures/<int:pk>/raise/", views.procedure_raise, name="procedure_raise"),
    path("projects/<int:pk>/procedures/plan/", views.procedure_plan, name="procedure_plan"),
]
