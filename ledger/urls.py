"""URLs of the ledger app: each screen family's view module owns its urlpatterns."""

from django.urls import path

from ledger.views import directory, home, intake, issue, leaders, ledger

urlpatterns = [
    path("", home.home, name="home"),
    *ledger.urlpatterns,
    # before issue.urlpatterns: /issues/new/ must not be read as a ledger number
    *intake.urlpatterns,
    *issue.urlpatterns,
    *leaders.urlpatterns,
    *directory.urlpatterns,
]
