"""The work-order route under /api/v1/ (included by v1_urls.py)."""

from django.urls import path

from .intake_views import IntakeView

urlpatterns = [
    path("intake/", IntakeView.as_view(), name="intake"),
]
