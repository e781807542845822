"""URLs of the security room, namespaced `security:`: /healthz for the load balancer, and the
account's two-factor pages."""

from django.urls import path

from . import two_factor, views

app_name = "security"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("account/two-factor/", two_factor.two_factor, name="two_factor"),
    path("account/two-factor/verify/", two_factor.two_factor_verify, name="two_factor_verify"),
    path("account/two-factor/enrol/", two_factor.two_factor_enrol, name="two_factor_enrol"),
    path(
        "account/two-factor/recovery-codes/",
        two_factor.two_factor_recovery_codes,
        name="two_factor_recovery_codes",
    ),
    path("account/two-factor/remove/", two_factor.two_factor_remove, name="two_factor_remove"),
]
