"""Home (工作台): what waits for the signed-in user."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from ledger.selectors import home_counts, ledger_queryset


@login_required
def home(request):
    issues = ledger_queryset(request.user).order_by("deadline", "-raised_at")
    page_size = settings.LEDGER["PAGE_SIZE"]
    return render(
        request,
        "ledger/home.html",
        {
            "counts": home_counts(request.user),
            "issues": issues.open()[:page_size],
        },
    )
