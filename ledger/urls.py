"""URLs of the ledger app: each screen family's view module owns its urlpatterns."""

from django.urls import path

from ledger.views import batch, directory, home, intake, issue, leaders, ledger, printing

urlpatterns = [
    path("", home.home, name="home"),
    *ledger.urlpatterns,
    # before issue.urlpatterns: /issues/print/ and /issues/batch/ are not ledger numbers
    *printing.urlpatterns,
    *batch.urlpatterns,
    # before issue.urlpatterns: /issues/new/ must not be read as a ledger number
    *intake.urlpatterns,
    *issue.urlpatterns,
    *leaders.urlpatterns,
    *directory.urlpatterns,
]
