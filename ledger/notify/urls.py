"""URLs of ledger.notify (included by zhongzhan/urls.py before the core ledger's)."""

urlpatterns: list = []
