"""Home (工作台): what waits for the signed-in user, as cards that open the ledger.

The cards are grouped by the set of issues they count (本单位牵头, 本单位配合, 本单位登记 …,
selectors.home_scopes); each row of the urgent list says which of those sets it is in.
"""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from ledger.filters import OPEN_STATUS_VALUES
from ledger.selectors import home_cards, home_scopes, issue_scope_labels, issues_most_urgent

URGENT_LIMIT = 10


def _urgent_scope(user):
    """The set the urgent list is drawn from, in words: every set the cards count in."""
    scopes = {scope: label for scope, label, _params in home_scopes(user)}
    if "lead" in scopes:
        return _("本单位牵头、配合或登记")
    return scopes.get("subjects") or scopes.get("all") or ""


@login_required
def home(request):
    user = request.user
    cards = home_cards(user)
    groups = []
    for scope, label, _params in home_scopes(user):
        in_scope = [card for card in cards if card.scope == scope]
        if in_scope:
            groups.append({"scope": scope, "label": label, "cards": in_scope})
    issues = issues_most_urgent(user, limit=URGENT_LIMIT)
    if len(groups) > 1:  # with one set (全区) there is nothing to tell the rows apart by
        for issue in issues:
            issue.scope_labels = issue_scope_labels(user, issue)
    return render(
        request,
        "ledger/home.html",
        {
            "cards": cards,
            "card_groups": groups,
            "urgent_scope": _urgent_scope(user),
            "issues": issues,
            # the same list in the ledger: every open issue, most pressing first
            "urgent_query": urlencode(
                [("status", s) for s in OPEN_STATUS_VALUES] + [("sort", "health")]
            ),
        },
    )
