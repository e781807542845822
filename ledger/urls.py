"""URLs of the ledger app, one block per screen family."""

from django.urls import path

from ledger.views import home

urlpatterns = [
    path("", home.home, name="home"),
]
