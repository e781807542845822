"""URLs of ledger.oversight (included by zhongzhan/urls.py before the core ledger's)."""

urlpatterns: list = []
