"""URLs of the security room, namespaced `security:`: /healthz for the load balancer."""

from django.urls import path

from . import views

app_name = "security"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
]
