"""URLs of ledger.exchange (included by zhongzhan/urls.py before the core ledger's)."""

from ledger.exchange import export_views, import_views

urlpatterns: list = [
    *export_views.urlpatterns,
    *import_views.urlpatterns,
]
