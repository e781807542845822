"""Visit coverage on hand-built data: visited / assigned per leader and period, the last
visit, a leader with no visits, due and overdue subjects, the Excel export, the slots."""

import datetime
import io
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from ledger.service import selectors
from ledger.service.models import Visit
from tests import factories as f

Q4 = (datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))


def _visit(sw, subject, day, *, leader_attended=True, actor=None):
    """A visit on a fixed day (the service refuses future days; these are built directly)."""
    return Visit.objects.create(
        enterprise=subject if subject._meta.model_name == "enterprise" else None,
        project=subject if subject._meta.model_name == "keyproject" else None,
        leader=subject.leader,
        visited_on=day,
        leader_attended=leader_attended,
        summary="走访",
        no_problems=True,
        created_by=actor or subject.leader.user,
    )


def _assigned_on(subject, day):
    """Date the subject's directory history (when it became its leader's) back to `day`."""
    at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))
    subject.history.all().update(history_date=at)


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (datetime.date(2026, 11, 30), 3, (datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))),
        (datetime.date(2026, 1, 1), 3, (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))),
        (datetime.date(2026, 2, 10), 1, (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))),
        (datetime.date(2026, 8, 5), 6, (datetime.date(2026, 7, 1), datetime.date(2026, 12, 31))),
        (datetime.date(2026, 8, 5), 12, (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))),
    ],
)
def test_visit_periods_are_calendar_periods(day, months, expected):
    assert selectors.visit_period(day, months) == expected


def test_coverage_on_hand_built_data(sw):
    second = f.EnterpriseFactory(name="第二家企业", leader=sw.leader, subdistrict=sw.sub)
    f.EnterpriseFactory(name="已注销企业", leader=sw.leader, is_active=False)  # not assigned
    idle = f.LeaderFactory(user__username="sv_idle", user__name="无分包")
    # leader: enterprise twice in Q4, project once in Q3 (outside), second enterprise only by
    # staff on their behalf (not counted); the last counted visit is the later Q4 one
    _visit(sw, sw.enterprise, datetime.date(2026, 10, 8))
    _visit(sw, sw.enterprise, datetime.date(2026, 11, 20))
    _visit(sw, sw.project, datetime.date(2026, 9, 30))
    _visit(sw, second, datetime.date(2026, 11, 2), leader_attended=False, actor=sw.staff_sub)
    # a visit after the period does not move its last visit
    _visit(sw, sw.project, datetime.date(2027, 1, 3))
    with CaptureQueriesContext(connection) as queries:
        rows = {row.leader.pk: row for row in selectors.coverage(*Q4)}
    assert len(queries) == 1
    mine = rows[sw.leader.pk]
    assert (mine.assigned, mine.visited, mine.visits) == (3, 1, 2)
    assert mine.last_visit == datetime.date(2026, 11, 20)
    assert mine.percent == "33.3%"
    # the leader with an enterprise and no visits at all
    other = rows[sw.other_leader.pk]
    assert (other.assigned, other.visited, other.visits, other.last_visit) == (1, 0, 0, None)
    assert other.rate == 0 and other.percent == "0.0%"
    # a leader who 分包 nothing has no rate
    assert rows[idle.pk].assigned == 0 and rows[idle.pk].percent == "—"
    # the year: the project's Q3 visit counts too
    year = {row.leader.pk: row for row in selectors.coverage(datetime.date(2026, 1, 1), Q4[1])}
    assert (year[sw.leader.pk].visited, year[sw.leader.pk].visits) == (2, 3)


def test_a_visit_to_a_subject_reassigned_since_does_not_count(sw):
    _visit(sw, sw.enterprise, datetime.date(2026, 10, 8))
    sw.enterprise.leader = sw.other_leader
    sw.enterprise.save()
    rows = {row.leader.pk: row for row in selectors.coverage(*Q4)}
    assert (rows[sw.leader.pk].assigned, rows[sw.leader.pk].visited) == (1, 0)
    assert (rows[sw.other_leader.pk].assigned, rows[sw.other_leader.pk].visited) == (2, 0)


def test_coverage_takes_one_query_however_many_leaders_and_visits(sw):
    def count():
        with CaptureQueriesContext(connection) as queries:
            selectors.coverage(*Q4)
        return len(queries)

    few = count()
    for i in range(15):
        leader = f.LeaderFactory(user__username=f"sv_many{i}")
        enterprise = f.EnterpriseFactory(leader=leader)
        _visit(sw, enterprise, datetime.date(2026, 11, 1 + i))
    assert count() == few == 1


def test_due_and_overdue_subjects(sw, days):
    today = datetime.date(2026, 11, 30)
    second = f.EnterpriseFactory(name="第二家企业", leader=sw.leader)
    _visit(sw, sw.enterprise, datetime.date(2026, 11, 3))  # this quarter: visited
    _visit(sw, sw.project, datetime.date(2026, 8, 3))  # last quarter only: due
    _visit(sw, second, datetime.date(2026, 5, 3))  # before last quarter: overdue
    for subject in (sw.enterprise, sw.project, second, sw.other_enterprise):
        _assigned_on(subject, datetime.date(2026, 1, 5))
    rows = {row.subject.name: row for row in selectors.subjects_due(sw.leader, today)}
    assert rows[sw.enterprise.name].state == selectors.VISITED
    assert rows[sw.project.name].state == selectors.DUE
    assert rows[second.name].state == selectors.OVERDUE
    assert rows[second.name].last_visit == datetime.date(2026, 5, 3)
    # never visited at all: overdue
    assert [row.state for row in selectors.subjects_due(sw.other_leader, today)] == [
        selectors.OVERDUE
    ]


@pytest.mark.parametrize("shown", [1, 3, 20])
def test_the_summary_shows_the_first_of_subjects_due_in_its_order_and_counts_the_rest(
    sw, days, shown
):
    today = datetime.date(2026, 11, 30)
    visits = [
        datetime.date(2026, 11, 3),  # visited this quarter
        datetime.date(2026, 8, 3),  # due
        datetime.date(2026, 9, 20),  # due, visited later
        datetime.date(2026, 5, 3),  # overdue
        None,  # never: overdue first
    ]
    for i, day in enumerate(visits):
        enterprise = f.EnterpriseFactory(name=f"企业{i}", leader=sw.leader)
        project = f.KeyProjectFactory(name=f"项目{i}", leader=sw.leader)
        for subject in (enterprise, project):
            if day:
                _visit(sw, subject, day)
    f.EnterpriseFactory(name="已停用企业", leader=sw.leader, is_active=False)
    rows = selectors.subjects_due(sw.leader, today)
    pending = sorted(
        (row for row in rows if row.state != selectors.VISITED),
        key=lambda row: (row.state != selectors.OVERDUE, row.last_visit or datetime.date.min),
    )
    first, more, visited = selectors.subjects_due_summary(sw.leader, today, shown)
    assert [(r.subject.pk, r.kind, r.state, r.last_visit) for r in first] == [
        (r.subject.pk, r.kind, r.state, r.last_visit) for r in pending[:shown]
    ]
    assert more == max(len(pending) - shown, 0)
    assert visited == sum(row.state == selectors.VISITED for row in rows) > 0


@pytest.mark.parametrize("seed", range(6))
def test_the_summary_equals_subjects_due_on_random_directories(sw, seed):
    """The summary reads only the leader's visits, this cycle's history and the first
    names; subjects_due reads every subject. On random mixes of visits (some by another
    leader, some not in person, some after the day), subjects handed over, added this cycle
    or long ago, and inactive enterprises, both must give the same rows, states, order and
    counts."""
    import random

    rng = random.Random(seed)
    today = datetime.date(2026, 11, 30)  # this period began 2026-10-01, the last 2026-07-01
    days = [
        None, None, datetime.date(2026, 11, 3), datetime.date(2026, 10, 1),
        datetime.date(2026, 9, 30), datetime.date(2026, 8, 3), datetime.date(2026, 7, 1),
        datetime.date(2026, 6, 30), datetime.date(2025, 12, 1), datetime.date(2026, 12, 5),
    ]  # fmt: skip
    assigned = [datetime.date(2026, 11, 20), datetime.date(2026, 1, 5), datetime.date(2024, 3, 1)]
    names = "甲乙丙丁戊己庚辛壬癸"
    for i in range(rng.randint(8, 24)):
        make = f.EnterpriseFactory if rng.random() < 0.7 else f.KeyProjectFactory
        fields = {"name": f"{rng.choice(names)}{rng.choice(names)}主体{i}", "leader": sw.leader}
        if make is f.EnterpriseFactory:
            fields["is_active"] = rng.random() > 0.1
        subject = make(**fields)
        _assigned_on(subject, rng.choice(assigned))
        if rng.random() < 0.15:  # handed to the leader this cycle from another
            subject.leader = sw.other_leader
            subject.save()
            _assigned_on(subject, datetime.date(2026, 2, 1))
            subject.leader = sw.leader
            subject.save()
            subject.history.filter(leader_id=sw.leader.pk).update(
                history_date=timezone.make_aware(datetime.datetime(2026, 10, 9, 9))
            )
        for _ in range(rng.choice([0, 0, 1, 2])):
            day = rng.choice(days)
            if day is not None:
                visit = _visit(sw, subject, day, leader_attended=rng.random() > 0.15)
                if rng.random() < 0.1:  # a visit another leader made
                    Visit.objects.filter(pk=visit.pk).update(leader=sw.other_leader)
    rows = selectors.subjects_due(sw.leader, today)
    expected = sorted(
        (row for row in rows if row.state != selectors.VISITED),
        key=lambda row: (row.state != selectors.OVERDUE, row.last_visit or datetime.date.min),
    )
    for shown in (1, 4, 20):
        first, more, visited = selectors.subjects_due_summary(sw.leader, today, shown)
        assert [(r.subject.pk, r.kind, r.state, r.last_visit) for r in first] == [
            (r.subject.pk, r.kind, r.state, r.last_visit) for r in expected[:shown]
        ], shown
        assert more == max(len(expected) - shown, 0)
        assert visited == sum(row.state == selectors.VISITED for row in rows)


def test_leader_screen_lists_mine_due_or_overdue_with_a_button(client, sw):
    sw.visit(subject=sw.project, days_ago=0)
    client.force_login(sw.leader.user)
    html = client.get(reverse("leader_me")).content.decode()
    assert 'data-testid="visits-due"' in html
    assert html.count('data-testid="visit-due-row"') == 1  # the enterprise; the project is done
    assert f"{reverse('service:visit_create')}?enterprise={sw.enterprise.pk}" in html
    assert "本期已走访 1 个" in html


def test_leader_screen_lists_the_twenty_most_pressing_and_counts_the_rest(client, sw):
    # the world's enterprise was visited last quarter (due); 24 more were never visited
    # (overdue), so the one only due is among the rest, not listed
    _visit(sw, sw.enterprise, sw.today - datetime.timedelta(days=100))
    for i in range(24):
        old = f.EnterpriseFactory(name=f"待走访企业{i:02d}", leader=sw.leader)
        _assigned_on(old, sw.today - datetime.timedelta(days=200))
    client.force_login(sw.leader.user)
    html = client.get(reverse("leader_me")).content.decode()
    assert html.count('data-testid="visit-due-row"') == 20
    assert html.count('data-state="overdue"') == 20
    assert 'data-testid="visits-due-more"' in html
    assert f"?leader={sw.leader.pk}" in html


def test_coverage_page_and_export_are_the_oversight_offices(client, sw):
    _visit(sw, sw.enterprise, datetime.date(2026, 10, 8))
    url = reverse("service:coverage")
    for user in (sw.leader.user, sw.staff_sub):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.get(reverse("service:coverage_export")).status_code == 403
    client.force_login(sw.supervisor)
    response = client.get(url, {"year": "2026", "quarter": "4"})
    assert response.status_code == 200
    assert response.context["start"] == Q4[0]
    assert 'data-testid="coverage-row"' in response.content.decode()
    bad = client.get(url, {"year": "abc"})
    assert bad.status_code == 200 and "所选期间无效" in bad.content.decode()


def test_the_export_escapes_formula_like_text(client, sw):
    sw.other_leader.title = '=HYPERLINK("http://evil")'
    sw.other_leader.save()
    _visit(sw, sw.enterprise, datetime.date(2026, 10, 8))
    client.force_login(sw.admin)
    response = client.get(reverse("service:coverage_export"), {"year": "2026", "quarter": "4"})
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(content)).active
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=3)}
    other = rows[sw.other_leader.name]
    assert other[1].value == '=HYPERLINK("http://evil")' and other[1].data_type == "s"
    assert other[1].quotePrefix
    assert [c.value for c in other[2:6]] == [1, 0, 0, 0]
    mine = rows[sw.leader.name]
    assert [c.value for c in mine[2:6]] == [2, 1, 0.5, 1]
    assert mine[6].value == datetime.datetime(2026, 10, 8)


def test_the_assessment_shows_the_coverage_table(client, sw):
    _visit(sw, sw.enterprise, datetime.date(2026, 10, 8))
    client.force_login(sw.supervisor)
    response = client.get(reverse("oversight:assessment"), {"year": "2026", "quarter": "4"})
    html = response.content.decode()
    assert 'data-testid="assessment-visit-coverage"' in html
    assert html.count('data-testid="coverage-row"') == 2
    assert "50.0%" in html  # the leader: 1 of 2


# -- a new subject is due at the end of its first cycle (issue 16, 2.13) ------------------------


def test_a_subject_new_this_cycle_and_not_yet_visited_is_due_not_overdue(sw):
    today = datetime.date(2026, 11, 30)
    added = f.EnterpriseFactory(name="新入驻企业", leader=sw.leader)
    _assigned_on(added, datetime.date(2026, 11, 20))  # this quarter
    project = f.KeyProjectFactory(name="新开工项目", leader=sw.leader)
    _assigned_on(project, datetime.date(2026, 10, 1))
    earlier = f.EnterpriseFactory(name="上季度入驻企业", leader=sw.leader)
    _assigned_on(earlier, datetime.date(2026, 9, 30))  # its first cycle has ended
    states = {row.subject.name: row.state for row in selectors.subjects_due(sw.leader, today)}
    assert states["新入驻企业"] == selectors.DUE
    assert states["新开工项目"] == selectors.DUE
    assert states["上季度入驻企业"] == selectors.OVERDUE


def test_a_subject_handed_to_the_leader_this_cycle_is_due_not_overdue(sw):
    today = datetime.date(2026, 11, 30)
    moved = f.EnterpriseFactory(name="换人分包企业", leader=sw.other_leader)
    _assigned_on(moved, datetime.date(2026, 1, 5))
    moved.leader = sw.leader
    moved.save()  # a new history row: 分包 by sw.leader from now
    latest = moved.history.order_by("-history_date").first()
    latest.history_date = timezone.make_aware(datetime.datetime(2026, 11, 2, 9))
    latest.save()
    kept = f.EnterpriseFactory(name="一直分包企业", leader=sw.leader)
    _assigned_on(kept, datetime.date(2026, 1, 5))
    kept.address = "新地址"
    kept.save()  # a later edit that keeps the leader does not make it new
    states = {row.subject.name: row.state for row in selectors.subjects_due(sw.leader, today)}
    assert states["换人分包企业"] == selectors.DUE
    assert states["一直分包企业"] == selectors.OVERDUE


def test_the_summary_agrees_for_new_subjects(sw):
    today = datetime.date(2026, 11, 30)
    _assigned_on(sw.enterprise, datetime.date(2026, 1, 5))
    _assigned_on(sw.project, datetime.date(2026, 11, 1))
    first, more, visited = selectors.subjects_due_summary(sw.leader, today, 20)
    states = {row.subject.name: row.state for row in first}
    assert states == {sw.enterprise.name: selectors.OVERDUE, sw.project.name: selectors.DUE}
    assert (more, visited) == (0, 0)


def test_a_newly_added_enterprise_shows_as_due_on_the_leaders_page(client, sw):
    # added today through the directory, never visited: 本期待走访, not 逾期未走访
    client.force_login(sw.supervisor)
    credit = f.valid_credit_code(7501)
    response = client.post(
        reverse("enterprise_create"),
        {
            "name": "刚添加的企业",
            "credit_code": credit,
            "industry": "",
            "scale": "below",
            "address": "",
            "subdistrict": sw.sub.pk,
            "leader": sw.leader.pk,
            "is_active": "on",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
            "creation_token": uuid.uuid4().hex,
        },
    )
    assert response.status_code == 302
    client.force_login(sw.leader.user)
    html = client.get(reverse("leader_me")).content.decode()
    row = re.search(r'<li[^>]*data-state="(\w+)"[^>]*>(?:(?!</li>).)*刚添加的企业', html, re.S)
    assert row and row.group(1) == "due"


@pytest.mark.parametrize(
    "months, day, label",
    [
        (3, datetime.date(2026, 11, 30), "每季度至少走访一次（2026年第4季度）"),
        (1, datetime.date(2026, 11, 30), "每月至少走访一次（2026年11月）"),
        (6, datetime.date(2026, 3, 2), "每半年至少走访一次（2026年上半年）"),
        (12, datetime.date(2026, 3, 2), "每年至少走访一次（2026年）"),
        (2, datetime.date(2026, 4, 2), "每两个月至少走访一次（2026年3—4月）"),
    ],
)
def test_the_cycle_is_named(settings, months, day, label):
    settings.LEDGER = {**settings.LEDGER, "VISIT_EVERY_MONTHS": months}
    assert selectors.cycle_label(day) == label


def test_the_leaders_page_and_the_assessment_name_the_same_cycle(client, sw):
    label = selectors.cycle_label(sw.today)
    start, end = selectors.visit_period(sw.today)
    _visit(sw, sw.enterprise, start)
    client.force_login(sw.leader.user)
    assert label in client.get(reverse("leader_me")).content.decode()
    client.force_login(sw.supervisor)
    # the assessment of the whole year reports the cycle the leader's page counts with
    html = client.get(
        reverse("oversight:assessment"), {"year": str(sw.today.year)}
    ).content.decode()
    section = html[html.index('data-testid="assessment-visit-coverage"') :]
    assert label in section
    assert f"{start:%Y-%m-%d} 至 {end:%Y-%m-%d}" in section
    assert "50.0%" in section  # the leader's enterprise of their two subjects
