"""Views: the issue page and its actions. (Placeholder until the screens land.)"""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import path

from ledger.models import Issue
from ledger.selectors import issue_for_user


@login_required
def issue_detail(request, number):
    try:
        issue = issue_for_user(request.user, number)
    except Issue.DoesNotExist:
        raise Http404 from None
    return render(request, "ledger/issue_detail.html", {"issue": issue})


urlpatterns = [
    path("issues/<str:number>/", issue_detail, name="issue_detail"),
]
