"""Views: a district leader's own screen (我的分包): my items, my enterprises and projects."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path, reverse

from ledger import rules
from ledger.filters import OPEN_STATUS_VALUES
from ledger.models import Health
from ledger.selectors import leader_items_ordered, leader_subject_cards
from ledger.views.ledger import LedgerPaginator

# open issues listed under each enterprise or project; the rest are one link away
SUBJECT_PREVIEW = 5
# cards of each kind (enterprises, projects): a leader may 分包 hundreds; the most pressing
# are shown, the directories filtered by the leader list them all
SUBJECT_CARDS = 12


def _with_counts(subjects, param: str):
    """Attach the ledger links each enterprise/project card shows (its counts and preview
    come counted in SQL from selectors.leader_subject_cards)."""
    open_query = "&".join(f"status={s}" for s in OPEN_STATUS_VALUES)
    ledger = reverse("issue_list")  # once, not three times a card
    for subject in subjects:
        subject.open_query = f"{param}={subject.pk}&{open_query}"
        subject.overdue_query = f"{param}={subject.pk}&health={Health.RED.value}"
        subject.open_url = f"{ledger}?{subject.open_query}"
        subject.overdue_url = f"{ledger}?{subject.overdue_query}"
    return subjects


@login_required
def leader_me(request):
    if not rules.is_leader(request.user):
        return render(request, "ledger/leader_me.html", {"not_leader": True}, status=403)
    items = leader_items_ordered(request.user)
    # the ledger's paginator: a capped count and the page's ids first, so a leader with
    # a hundred thousand issues costs what one with ten does
    page = LedgerPaginator(items, settings.LEDGER["PAGE_SIZE"]).get_page(request.GET.get("page"))
    enterprises, projects = leader_subject_cards(
        request.user, preview=SUBJECT_PREVIEW, cards=SUBJECT_CARDS
    )
    return render(
        request,
        "ledger/leader_me.html",
        {
            "leader": request.user.leader_profile,
            "page_obj": page,
            "issues": page.object_list,
            "page_query": "",
            "enterprises": _with_counts(enterprises, "enterprise"),
            "projects": _with_counts(projects, "project"),
        },
    )


urlpatterns = [
    path("leaders/me/", leader_me, name="leader_me"),
]
