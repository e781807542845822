"""Views: logging an issue and correcting it before assignment."""

urlpatterns = []
