"""The screens of the API room (outside /api/v1/)."""

urlpatterns: list = []
