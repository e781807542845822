"""The security room's accounts/ pages, included before Django's auth URLs: the password-reset
form whose e-mail goes through the task worker (ledger/security/password_reset.py)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from .password_reset import QueuedPasswordResetForm

urlpatterns = [
    path(
        "password_reset/",
        auth_views.PasswordResetView.as_view(form_class=QueuedPasswordResetForm),
        name="password_reset",
    ),
]
