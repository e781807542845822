"""URLs of ledger.exchange (included by zhongzhan/urls.py before the core ledger's)."""

urlpatterns: list = []
