"""Views: issue screens."""

urlpatterns = []
