"""Views: ledger screens."""

urlpatterns = []
