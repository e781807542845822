"""Home (工作台): what waits for the signed-in user, as cards that open the ledger."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from ledger.filters import OPEN_STATUS_VALUES
from ledger.selectors import home_cards, issues_most_urgent

URGENT_LIMIT = 10


@login_required
def home(request):
    return render(
        request,
        "ledger/home.html",
        {
            "cards": home_cards(request.user),
            "issues": issues_most_urgent(request.user, limit=URGENT_LIMIT),
            # the same list in the ledger: every open issue, most pressing first
            "urgent_query": urlencode(
                [("status", s) for s in OPEN_STATUS_VALUES] + [("sort", "health")]
            ),
        },
    )
