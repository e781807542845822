"""Reads of a leader's own page: the enterprises and key projects they 分包 as cards, and
the issues they are responsible for.

A fixed number of queries whatever the number of subjects: a leader may 分包 thousands.
"""

from django.db.models import F, QuerySet, Window
from django.db.models.functions import Rank, RowNumber
from django.utils import timezone

from ledger import summaries
from ledger.models import Enterprise, Issue, KeyProject
from ledger.models.issues import HEALTH_ORDER, NOT_FINAL_VALUES, health_rank_on
from ledger.selectors.issues import leader_id_of, ledger_rows, visible_led_by, visible_to
from ledger.states import Status

SUBJECT_PREVIEW = 5
# a preview row's fields: what the card shows (ledger/_ledger_subject_card.html), its order
# (year, seq) and its health (Issue.health_on: status, deadline, raised_at)
PREVIEW_FIELDS = (
    "number",
    "title",
    "deadline",
    "is_long_term",
    "status",
    "raised_at",
    "year",
    "seq",
)


class SubjectCards(list):
    """The cards shown (most pressing first when cut) and `total`: how many the leader 分包."""

    total = 0


SUBJECT_CARDS = 24


def leader_subject_cards(
    user, preview: int = SUBJECT_PREVIEW, cards: int = SUBJECT_CARDS
) -> tuple[list, list]:
    """The enterprises and key projects `user` 分包, each with `open_count`, `overdue_count`
    (counted in SQL, grouped by subject) and `preview`: its `preview` most pressing open
    issues `user` sees (a window function keeps the first few of each subject). At most `cards`
    of each kind, those with the most overdue and open issues; `.total` says how many there
    are. A fixed number of queries, whatever the number of subjects or issues, and only the
    cards' subjects are read (a leader may 分包 thousands at a province's scale)."""
    leader_id = leader_id_of(user)
    if leader_id is None:
        return [], []
    today = timezone.localdate()
    result = []
    for field, subjects_qs, name_order in (
        ("enterprise", Enterprise.objects.filter(leader_id=leader_id), ["name"]),
        ("project", KeyProject.objects.filter(leader_id=leader_id), ["level", "name"]),
    ):
        subjects_qs = subjects_qs.order_by(*name_order, "pk")
        # which subjects get a card, with their counts: kept in the shared cache under the
        # summaries' generation (every event and every directory change moves it on)
        total, ranked = summaries.cached(
            f"cards:{leader_id}:{field}:{cards}:{today}",
            lambda field=field, subjects_qs=subjects_qs: _cards_ranked(
                field, subjects_qs, today, cards
            ),
        )
        loaded = subjects_qs.in_bulk([pk for pk, _open, _overdue in ranked])
        subjects = SubjectCards(loaded[pk] for pk, _o, _d in ranked if pk in loaded)
        counted = {pk: (n_open, n_overdue) for pk, n_open, n_overdue in ranked}
        subjects.total = total
        result.append(subjects)
        by_pk = {subject.pk: subject for subject in subjects}
        for subject in subjects:
            subject.open_count, subject.overdue_count = counted[subject.pk]
            subject.preview = []
        if not subjects:
            continue
        # the previews too are kept in the shared cache under the summaries' generation
        # (every event moves it on: a preview's title, status and deadline change only
        # through events), for this user, these subjects and this day
        shown = summaries.cached(
            f"previews:{user.pk}:{field}:{preview}:{today}:"
            + ",".join(str(pk) for pk in sorted(by_pk)),
            lambda field=field, by_pk=by_pk: _previews(user, field, list(by_pk), preview, today),
        )
        for issue in shown:
            by_pk[getattr(issue, f"{field}_id")].preview.append(issue)
    enterprises, projects = result
    return enterprises, projects


def _previews(user, field, subject_pks, preview, today) -> list:
    """The `preview` most pressing open issues `user` sees of each of the subjects
    `subject_pks` (by `field`), in the cards' order: only the fields a card shows, health
    set."""
    # the open issues as the subjects' partial indexes (issue_open_enterprise/_project:
    # subject, status, deadline WHERE not final) state them, less 已办结: PostgreSQL reads the
    # shown subjects' rows from that index alone. Written `status IN open`, it was ANDed with
    # a bitmap of every open issue from the status index (113,000 at a million: 20–50 ms)
    open_issues = visible_to(
        user,
        Issue.objects.filter(status__in=NOT_FINAL_VALUES).exclude(status=Status.RESOLVED),
    ).order_by()
    mine = open_issues.filter(**{f"{field}_id__in": subject_pks})
    # the window ranks narrow rows (id, subject, the sort keys); the few kept are
    # then read whole — sorting whole rows spilled to disk at 14,000 open issues. The
    # health rank is one CASE (health_rank_on), not the health CASE once per rank
    first = (
        mine.annotate(
            place=Window(
                RowNumber(),
                partition_by=F(field),
                order_by=[
                    health_rank_on(today),
                    F("deadline").asc(nulls_last=True),
                    "-year",
                    "-seq",
                ],
            )
        )
        .filter(place__lte=preview)
        .values("pk")
    )
    # only what a card shows (and its health needs): not the description, nor the
    # search bigrams psycopg would parse into a list for every row
    shown = list(Issue.objects.filter(pk__in=first).only(*PREVIEW_FIELDS, f"{field}_id").order_by())
    for issue in shown:
        # what with_health(today) would annotate, from the row (Issue.health_on)
        issue.health_code = issue.health_on(today).value
    # the same order as the window's, on the few rows kept
    shown.sort(
        key=lambda issue: (
            HEALTH_ORDER.index(issue.health_code),
            issue.deadline is None,
            issue.deadline or today,
            -issue.year,
            -issue.seq,
        )
    )
    return shown


def _cards_ranked(field, subjects_qs, today, cards) -> tuple[int, list]:
    """(how many subjects the leader 分包, [(pk, open, overdue)] of those that get a card,
    in the cards' order). Every subject when there are no more than `cards`, in name order;
    else the first `cards` by (overdue, open), ties by name."""
    total = subjects_qs.count()
    # the issues of the subjects a leader 分包 are all theirs to see (visible_to), so the
    # counts need not repeat its conditions: the summary rows of those subjects
    # (ledger.summaries), a few per subject, not their issues
    counts = summaries.subject_counts(field, subjects_qs.values("pk"), today)
    if total <= cards:
        counted = {row["unit"]: row for row in counts.order_by()}
        pks = list(subjects_qs.values_list("pk", flat=True))
    else:
        # the cards of those with the most overdue and open issues, then the rest by name;
        # the directories list them all (the view links them). Ranked in SQL (RANK keeps
        # the ties at the last place), so only those few rows come back, however many
        # subjects the leader 分包; the names, in the database's own collation, only order
        # those candidates
        every = list(
            counts.annotate(
                place=Window(Rank(), order_by=[F("overdue").desc(), F("open").desc()])
            ).filter(place__lte=cards)
        )
        by_unit = {row["unit"]: row for row in every}
        in_name_order = subjects_qs.filter(pk__in=list(by_unit)).values_list("pk", flat=True)
        place = {pk: n for n, pk in enumerate(in_name_order)}
        every.sort(key=lambda row: (-row["overdue"], -row["open"], place[row["unit"]]))
        counted = {row["unit"]: row for row in every[:cards]}
        pks = list(counted)
        if len(pks) < cards:
            pks += list(
                subjects_qs.exclude(pk__in=pks).values_list("pk", flat=True)[: cards - len(pks)]
            )
    rows = []
    for pk in pks:
        row = counted.get(pk)
        rows.append((pk, row["open"] if row else 0, row["overdue"] if row else 0))
    return total, rows


def leader_items_ordered(user) -> QuerySet:
    """The issues `user` is the responsible leader of, in an order an index serves: running
    issues by deadline, then those waiting to be assigned, then the rest (health_tier, then
    deadline)."""
    order = ("health_tier", F("deadline").asc(nulls_last=True), "-year", "-seq")
    return ledger_rows(visible_led_by(user)).order_by(*order)
