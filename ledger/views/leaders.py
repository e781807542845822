"""Views: leaders screens."""

urlpatterns = []
