"""URLs of the feedback room; every path starts with /feedback/."""

from django.urls import path

from . import views

urlpatterns = [
    path("feedback/dissatisfied/", views.dissatisfied_list, name="feedback_dissatisfied"),
    path("feedback/issues/<str:number>/link/", views.link_create, name="feedback_link_create"),
    path(
        "feedback/issues/<str:number>/link/<int:pk>/revoke/",
        views.link_revoke,
        name="feedback_link_revoke",
    ),
    path(
        "feedback/issues/<str:number>/link/<int:pk>/email/",
        views.link_email,
        name="feedback_link_email",
    ),
    path("feedback/<str:token>/", views.feedback_public, name="feedback_public"),
]
