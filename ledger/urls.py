"""URLs of the ledger app: each screen family's view module owns its urlpatterns."""

from django.urls import path

from ledger.views import directory, home, issue, leaders, ledger

urlpatterns = [
    path("", home.home, name="home"),
    *ledger.urlpatterns,
    *issue.urlpatterns,
    *leaders.urlpatterns,
    *directory.urlpatterns,
]
