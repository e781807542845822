"""The screens of the API room (outside /api/v1/): a person's own tokens."""

from django.urls import path

from . import views_access

urlpatterns = [
    path("account/tokens/", views_access.token_list, name="token_list"),
    path("account/tokens/<int:pk>/revoke/", views_access.token_revoke, name="token_revoke"),
]
