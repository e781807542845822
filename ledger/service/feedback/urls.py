"""URLs of the feedback room, namespaced `feedback:`; every path starts with /feedback/."""

from django.urls import path

from ledger import converters  # noqa: F401 (registers <issue_number:…>)

from . import views

app_name = "feedback"

urlpatterns = [
    path("feedback/dissatisfied/", views.dissatisfied_list, name="dissatisfied"),
    path("feedback/issues/<issue_number:number>/link/", views.link_create, name="link_create"),
    path(
        "feedback/issues/<issue_number:number>/link/<int:pk>/revoke/",
        views.link_revoke,
        name="link_revoke",
    ),
    path(
        "feedback/issues/<issue_number:number>/link/<int:pk>/email/",
        views.link_email,
        name="link_email",
    ),
    path("feedback/<str:token>/", views.feedback_public, name="public"),
]
