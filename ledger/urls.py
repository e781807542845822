"""URLs of the ledger app: each screen family's view module owns its urlpatterns; an issue's
number is an <issue_number:…> (ledger/converters.py), so their order does not matter."""

from django.urls import path

from ledger.views import batch, directory, home, intake, issue, leaders, ledger, printing

urlpatterns = [
    path("", home.home, name="home"),
    *ledger.urlpatterns,
    *printing.urlpatterns,
    *batch.urlpatterns,
    *intake.urlpatterns,
    *issue.urlpatterns,
    *leaders.urlpatterns,
    *directory.urlpatterns,
]
