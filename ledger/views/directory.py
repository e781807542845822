"""Views: directory screens."""

urlpatterns = []
