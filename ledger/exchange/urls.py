"""URLs of the exchange room, namespaced `exchange:` (each view module owns its urlpatterns)."""

from ledger.exchange import export_views, import_views

app_name = "exchange"

urlpatterns: list = [
    *export_views.urlpatterns,
    *import_views.urlpatterns,
]
