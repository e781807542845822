"""URLs of ledger.security (included by zhongzhan/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
]
