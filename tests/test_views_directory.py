"""The enterprise directory and the key-project ledger (DESIGN.md §5), and the
序时进度 pace rule of key projects (DOMAIN.md "Key projects")."""

import datetime
import re
import uuid
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ledger import workflow
from ledger.models import Department, Enterprise, KeyProject
from tests import factories as f

ENTERPRISES = reverse("enterprise_list")
PROJECTS = reverse("project_list")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # the world fixture creates nine users; PBKDF2 would dominate the run time
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def login(client, user):
    client.force_login(user)
    return client


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def no_inline_script_or_style(html: str) -> bool:
    return re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None and ' style="' not in html


def enterprise_url(enterprise):
    return reverse("enterprise_detail", kwargs={"pk": enterprise.pk})


def project_url(project):
    return reverse("project_detail", kwargs={"pk": project.pk})


# -- the enterprise directory ----------------------------------------------------------


def test_enterprise_list_shows_leader_contact_and_open_issue_count(client, world):
    f.ContactFactory(
        enterprise=world.enterprise, name="王经理", mobile="13912345678", is_primary=True
    )
    world.raise_issue(enterprise=world.enterprise)
    world.raise_issue(enterprise=world.enterprise, title="用电增容")
    world.resolved_issue(enterprise=world.enterprise, title="已办结的问题")

    html = html_of(login(client, world.supervisor).get(ENTERPRISES))

    row = html[html.index(world.enterprise.name) :]
    row = row[: row.index("</tr>")]
    assert world.leader.name in row
    assert "王经理" in row and "13912345678" in row
    assert re.search(r">\s*2\s*</span>", row), row  # two open issues; the resolved one is not
    assert no_inline_script_or_style(html)


def test_open_issue_count_counts_only_issues_the_user_may_see(client, world):
    world.raise_issue(enterprise=world.enterprise)  # raised by department A
    login(client, world.staff_c)
    [row] = client.get(ENTERPRISES).context["page"].object_list
    assert row.open_issue_count == 0
    login(client, world.staff_a)
    [row] = client.get(ENTERPRISES).context["page"].object_list
    assert row.open_issue_count == 1


@pytest.mark.parametrize("field", ["name", "credit_code", "industry"])
def test_enterprise_search_by_name_credit_code_or_industry(client, world, field):
    wanted = f.EnterpriseFactory(name="龙星化工股份有限公司", industry="化学原料制造")
    query = {"name": "龙星", "credit_code": wanted.credit_code.lower(), "industry": "化学原料"}
    response = login(client, world.staff_a).get(ENTERPRISES, {"q": query[field]})
    assert list(response.context["page"].object_list) == [wanted]


def test_enterprise_filters_by_scale_subdistrict_and_leader(client, world):
    office = f.DepartmentFactory(name="府城办事处", kind=Department.Kind.SUBDISTRICT)
    above = f.EnterpriseFactory(scale=Enterprise.Scale.ABOVE, subdistrict=office)
    f.EnterpriseFactory(scale=Enterprise.Scale.MICRO, leader=world.other_leader)
    login(client, world.staff_a)

    def listed(**params):
        return list(client.get(ENTERPRISES, params).context["page"].object_list)

    assert listed(scale="above") == [above]
    assert listed(subdistrict=office.pk) == [above]
    assert listed(leader=world.leader.pk) == [world.enterprise]
    assert len(listed()) == 3


@pytest.mark.parametrize(
    "params",
    [
        {"scale": "huge"},
        {"leader": "abc"},
        {"subdistrict": "9" * 30},
        {"page": "abc"},
        {"page": "999"},
        {"q": "%"},
        {"q": "\x00"},
        {"q": "x" * 3000},
    ],
)
def test_enterprise_list_never_fails_on_odd_input(client, world, params):
    assert login(client, world.staff_a).get(ENTERPRISES, params).status_code == 200


def test_enterprise_list_is_paginated(client, world, settings):
    settings.LEDGER = {**settings.LEDGER, "PAGE_SIZE": 2}
    for _ in range(4):
        f.EnterpriseFactory()
    login(client, world.staff_a)
    page = client.get(ENTERPRISES).context["page"]
    assert page.paginator.count == 5 and len(page.object_list) == 2
    assert len(client.get(ENTERPRISES, {"page": 3}).context["page"].object_list) == 1


def _enterprise_list_queries(client, world, n):
    for i in range(n):
        enterprise = f.EnterpriseFactory(leader=world.leader if i % 2 else world.other_leader)
        f.ContactFactory(enterprise=enterprise, is_primary=True)
        f.ContactFactory(enterprise=enterprise)
        world.raise_issue(enterprise=enterprise, title=f"问题{i}")
    login(client, world.staff_a)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(ENTERPRISES).status_code == 200
    return len(queries)


def test_enterprise_list_query_count_does_not_grow_with_rows(client, world):
    few = _enterprise_list_queries(client, world, 5)
    many = _enterprise_list_queries(client, world, 25)  # 30 in all
    assert few == many


def test_enterprise_detail_shows_fields_contacts_leader_and_projects(client, world):
    enterprise = world.enterprise
    enterprise.address = "中站区工业路 1 号"
    enterprise.save()
    f.ContactFactory(enterprise=enterprise, name="副手", position="副总", email="b@example.invalid")
    f.ContactFactory(
        enterprise=enterprise,
        name="厂长",
        position="总经理",
        mobile="13800000000",
        office_phone="0391-1234567",
        email="boss@example.invalid",
        is_primary=True,
    )
    project = f.KeyProjectFactory(name="三木工业园", owner=enterprise)

    html = html_of(login(client, world.staff_b).get(enterprise_url(enterprise)))

    for text in (
        enterprise.credit_code,
        "中站区工业路 1 号",
        world.leader.name,
        "13800000000",
        "0391-1234567",
        "mailto:boss@example.invalid",
        "三木工业园",
        project_url(project),
    ):
        assert text in html
    assert html.index("厂长") < html.index("副手")  # primary contact first
    assert f"?enterprise={enterprise.pk}" in html  # staff may log an issue for it


def test_enterprise_detail_lists_only_issues_the_user_may_see(client, world):
    mine = world.raise_issue(enterprise=world.enterprise, actor=world.staff_c, title="环保验收")
    theirs = world.raise_issue(enterprise=world.enterprise, title="用地指标")

    html = html_of(login(client, world.staff_c).get(enterprise_url(world.enterprise)))
    assert mine.number in html
    assert theirs.number not in html
    assert "无权" not in html  # no hint that hidden issues exist

    html = html_of(login(client, world.leader.user).get(enterprise_url(world.enterprise)))
    assert mine.number in html and theirs.number in html


def test_leader_sees_the_log_button_only_for_what_they_take_charge_of(client, world):
    login(client, world.leader.user)
    html = html_of(client.get(enterprise_url(world.enterprise)))
    assert f"?enterprise={world.enterprise.pk}" in html
    other = f.EnterpriseFactory(leader=world.other_leader)
    assert f"?enterprise={other.pk}" not in html_of(client.get(enterprise_url(other)))
    html = html_of(client.get(reverse("project_detail", args=[world.project.pk])))
    assert f"?project={world.project.pk}" in html


@pytest.mark.parametrize("url", [ENTERPRISES, PROJECTS])
def test_every_directory_cell_says_what_it_is_for_the_phone_cards(client, world, url):
    """Issue 9, item 7: below 576 px each row is a card whose lines are labelled."""
    world.project.owner = world.enterprise
    world.project.save()
    html = html_of(login(client, world.staff_a).get(url))
    assert "css/directory.css" in html and "directory-cards" in html
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    cells = re.findall(r"<td([^>]*)>", body)
    assert cells
    for attrs in cells:
        # the name is the card's title; every other line carries its label
        assert "directory-name" in attrs or 'data-label="' in attrs
    head = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', html)
    labels = re.findall(r'data-label="([^"]+)"', body)
    assert set(labels) == set(head[1:])


def test_directory_pages_need_sign_in_and_unknown_ids_are_404(client, world):
    for url in (
        ENTERPRISES,
        PROJECTS,
        enterprise_url(world.enterprise),
        project_url(world.project),
    ):
        response = client.get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"]
    login(client, world.staff_a)
    assert client.get(reverse("enterprise_detail", kwargs={"pk": 999999})).status_code == 404
    assert client.get(reverse("project_detail", kwargs={"pk": 999999})).status_code == 404


# -- the key-project ledger -----------------------------------------------------------------

THIS_YEAR = timezone.localdate().year


def project(**fields):
    fields.setdefault("total_investment", Decimal("100000"))
    fields.setdefault("annual_plan", Decimal("1000"))
    return f.KeyProjectFactory(**fields)


def test_project_list_shows_money_shares_pace_and_totals(client, world):
    world.project.delete()
    # a past plan year: 序时进度 is 100%, whatever today is
    project(
        name="和祥小区",
        year=THIS_YEAR - 1,
        total_investment=Decimal("120000"),
        annual_plan=Decimal("20000"),
        completed_this_year=Decimal("12345.6"),
    )
    project(
        name="聚成物流",
        year=THIS_YEAR - 1,
        total_investment=Decimal("20000"),
        annual_plan=Decimal("5000"),
        completed_this_year=Decimal("5000"),
    )

    html = html_of(login(client, world.staff_a).get(PROJECTS))

    assert "120,000.00" in html and "20,000.00" in html and "12,345.60" in html
    assert "61.7%" in html  # 12345.6 / 20000
    assert "100.0%" in html
    assert 'data-pace="red"' in html and "严重滞后" in html  # 38.3 points behind
    assert 'data-pace="green"' in html and "序时推进" in html
    totals = html[html.index('data-testid="totals"') :]
    assert "140,000.00" in totals and "25,000.00" in totals and "17,345.60" in totals
    assert "69.4%" in totals  # 17345.6 / 25000
    assert no_inline_script_or_style(html)


def test_project_list_filters_by_level_sector_stage_leader_and_pace(client, world):
    world.project.delete()
    behind = project(
        name="红砂岭生态园二期",
        year=THIS_YEAR - 1,
        completed_this_year=Decimal("800"),  # 20 points behind: yellow
        level=KeyProject.Level.PROVINCE,
        sector=KeyProject.Sector.SERVICES,
        stage=KeyProject.Stage.CONSTRUCTION,
        leader=world.leader,
    )
    on_pace = project(
        name="八路三网",
        year=THIS_YEAR + 1,  # plan year not started: on pace
        level=KeyProject.Level.DISTRICT,
        sector=KeyProject.Sector.INFRASTRUCTURE,
        leader=world.other_leader,
    )
    login(client, world.staff_a)

    def listed(**params):
        return [row.project for row in client.get(PROJECTS, params).context["rows"]]

    assert listed(level="province") == [behind]
    assert listed(sector="infrastructure") == [on_pace]
    assert listed(stage="construction") == [behind]
    assert listed(leader=world.other_leader.pk) == [on_pace]
    assert listed(pace="yellow") == [behind]
    assert listed(pace="green") == [on_pace]
    assert listed(pace="red") == []
    assert listed(q="生态园") == [behind]
    totals = client.get(PROJECTS, {"pace": "yellow"}).context["totals"]
    assert totals["count"] == 1 and totals["plan"] == "1,000.00"


@pytest.mark.parametrize(
    "params", [{"level": "galaxy"}, {"pace": "blue"}, {"leader": "x"}, {"page": "-1"}, {"q": "_"}]
)
def test_project_list_never_fails_on_odd_input(client, world, params):
    assert login(client, world.staff_a).get(PROJECTS, params).status_code == 200


def test_project_detail_shows_progress_and_only_visible_issues(client, world):
    owner = f.EnterpriseFactory(name="风神轮胎股份有限公司")
    item = project(
        name="氯化法钛白粉",
        owner=owner,
        leader=world.leader,
        lead_department=world.dept_b,
        year=THIS_YEAR - 1,
        completed_this_year=Decimal("456.7"),
    )
    mine = world.raise_issue(project=item, actor=world.staff_c, title="环评批复")
    theirs = world.raise_issue(project=item, title="用地报批")

    html = html_of(login(client, world.staff_c).get(project_url(item)))

    assert "氯化法钛白粉" in html and "风神轮胎股份有限公司" in html and world.dept_b.name in html
    assert "1,000.00" in html and "456.70" in html and "45.7%" in html
    assert '<progress id="investment-progress"' in html and 'value="45.7"' in html
    assert "严重滞后" in html
    assert mine.number in html and theirs.number not in html
    assert no_inline_script_or_style(html)


@pytest.mark.parametrize("url_name", ["enterprise_list", "project_list"])
def test_directories_render_in_english(client, world, url_name):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = html_of(login(client, world.staff_a).get(reverse(url_name)))
    assert 'lang="en"' in html


def test_detail_pages_render_in_english(client, world):
    world.raise_issue(enterprise=world.enterprise, project=world.project)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    login(client, world.supervisor)
    assert client.get(enterprise_url(world.enterprise)).status_code == 200
    assert client.get(project_url(world.project)).status_code == 200


def test_every_role_may_read_the_directories(client, world):
    for user in (world.staff_a, world.leader.user, world.supervisor, world.admin):
        login(client, user)
        assert client.get(ENTERPRISES).status_code == 200
        assert client.get(PROJECTS).status_code == 200


def test_enterprise_directory_hides_nothing_but_issues(client, world):
    # a staff member of an unrelated department still sees the enterprise and its contacts
    f.ContactFactory(enterprise=world.enterprise, name="联系人甲", is_primary=True)
    html = html_of(login(client, world.staff_c).get(enterprise_url(world.enterprise)))
    assert "联系人甲" in html


# -- the pace rule (KeyProject.pace) with a fixed `today` -------------------------------


JUNE = datetime.date(2026, 6, 15)  # 序时进度 50.0


@pytest.mark.parametrize(
    ("done", "today", "share", "expected", "pace"),
    [
        ("500", JUNE, "50.0", "50.0", "green"),  # 时间过半、任务过半
        ("401", JUNE, "40.1", "50.0", "green"),  # 9.9 behind
        ("400", JUNE, "40.0", "50.0", "yellow"),  # exactly 10 behind
        ("200", JUNE, "20.0", "50.0", "yellow"),  # exactly 30 behind
        ("199", JUNE, "19.9", "50.0", "red"),  # 30.1 behind
        ("0", JUNE, "0.0", "50.0", "red"),  # nothing done in June
        ("0", datetime.date(2026, 2, 10), "0.0", "16.7", "yellow"),  # early: not yet red
        ("0", datetime.date(2026, 1, 10), "0.0", "8.3", "green"),
        ("0", datetime.date(2026, 4, 1), "0.0", "33.3", "red"),  # not started after 3 months
        ("1200", JUNE, "120.0", "50.0", "green"),  # ahead of plan
        ("999", datetime.date(2027, 1, 5), "99.9", "100", "green"),  # year over
        ("800", datetime.date(2027, 1, 5), "80.0", "100", "yellow"),
        ("0", datetime.date(2025, 12, 1), "0.0", "0", "green"),  # plan year not begun
    ],
)
def test_project_pace(db, done, today, share, expected, pace):
    item = KeyProject(
        name="测试",
        year=2026,
        total_investment=Decimal("5000"),
        annual_plan=Decimal("1000"),
        completed_this_year=Decimal(done),
    )
    assert item.completion_share == Decimal(share)
    assert item.expected_share(today) == Decimal(expected)
    assert item.pace(today) == pace


def test_project_without_annual_plan_is_not_flagged(db):
    item = KeyProject(year=2026, total_investment=1, annual_plan=Decimal("0"))
    assert item.completion_share is None
    assert item.pace(JUNE) == KeyProject.Pace.ON_PACE


def test_pace_thresholds_are_settings(db, settings):
    settings.LEDGER = {**settings.LEDGER, "PACE_YELLOW_POINTS": 5}
    item = KeyProject(year=2026, annual_plan=Decimal("1000"), completed_this_year=Decimal("440"))
    assert item.pace(JUNE) == KeyProject.Pace.BEHIND  # 6 points behind


def test_withdrawn_issue_is_not_an_open_issue_in_the_directory(client, world):
    issue = world.raise_issue(enterprise=world.enterprise)
    workflow.transition(issue, actor=world.supervisor, action="withdraw", note="重复")
    login(client, world.supervisor)
    [row] = client.get(ENTERPRISES).context["page"].object_list
    assert row.open_issue_count == 0


# -- several contacts at once; a single contact is the primary one ---------------------------


def _contact_rows(rows, initial=0):
    data = {
        "contacts-TOTAL_FORMS": str(len(rows)),
        "contacts-INITIAL_FORMS": str(initial),
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
    }
    for n, row in enumerate(rows):
        for name in ("id", "name", "position", "mobile", "office_phone", "email"):
            data[f"contacts-{n}-{name}"] = row.get(name, "")
        if row.get("is_primary"):
            data[f"contacts-{n}-is_primary"] = "on"
        if row.get("DELETE"):
            data[f"contacts-{n}-DELETE"] = "on"
    return data


def _new_enterprise(rows, **fields):
    data = {
        "creation_token": uuid.uuid4().hex,  # each call a fresh page
        "name": "多联系人材料有限公司",
        "credit_code": f.valid_credit_code(7301),
        "industry": "新材料",
        "scale": "below",
        "address": "",
        "subdistrict": "",
        "leader": "",
        "is_active": "on",
        **_contact_rows(rows),
    }
    data.update(fields)
    return data


def test_enterprise_form_offers_several_blank_contact_rows(client, world):
    html = html_of(login(client, world.supervisor).get(reverse("enterprise_create")))
    assert html.count('data-testid="contact-form"') >= 3
    assert 'name="contacts-2-name"' in html


def test_enterprise_is_added_with_several_contacts_in_one_post(client, world):
    rows = [
        {"name": "王经理", "position": "总经理", "mobile": "13912345678", "is_primary": True},
        {"name": "李会计", "position": "财务", "mobile": "13912345679"},
        {"name": "赵主任", "position": "办公室主任", "office_phone": "0391-1234567"},
    ]
    response = login(client, world.supervisor).post(
        reverse("enterprise_create"), _new_enterprise(rows)
    )
    assert response.status_code == 302
    enterprise = Enterprise.objects.get(name="多联系人材料有限公司")
    contacts = set(enterprise.contacts.values_list("name", "is_primary"))
    assert contacts == {("王经理", True), ("李会计", False), ("赵主任", False)}


def test_a_single_contact_added_without_the_box_becomes_primary(client, world):
    rows = [{"name": "王经理", "mobile": "13912345678"}, {}, {}]
    response = login(client, world.supervisor).post(
        reverse("enterprise_create"), _new_enterprise(rows)
    )
    assert response.status_code == 302
    enterprise = Enterprise.objects.get(name="多联系人材料有限公司")
    assert list(enterprise.contacts.values_list("name", "is_primary")) == [("王经理", True)]
    assert enterprise.primary_contact.name == "王经理"


def test_several_contacts_without_a_primary_are_saved_without_one(client, world):
    rows = [{"name": "王经理"}, {"name": "李会计"}]
    login(client, world.supervisor).post(reverse("enterprise_create"), _new_enterprise(rows))
    enterprise = Enterprise.objects.get(name="多联系人材料有限公司")
    assert sorted(enterprise.contacts.values_list("is_primary", flat=True)) == [False, False]


def test_the_contact_left_after_deleting_the_primary_becomes_primary(client, world):
    enterprise = world.enterprise
    boss = f.ContactFactory(enterprise=enterprise, name="厂长", is_primary=True)
    deputy = f.ContactFactory(enterprise=enterprise, name="副手", is_primary=False)
    data = {
        "name": enterprise.name,
        "credit_code": enterprise.credit_code,
        "industry": enterprise.industry,
        "scale": enterprise.scale,
        "address": enterprise.address,
        "subdistrict": enterprise.subdistrict_id or "",
        "leader": enterprise.leader_id or "",
        "is_active": "on",
        **_contact_rows(
            [
                {"id": boss.pk, "name": "厂长", "is_primary": True, "DELETE": True},
                {"id": deputy.pk, "name": "副手"},
            ],
            initial=2,
        ),
    }
    response = login(client, world.supervisor).post(
        reverse("enterprise_edit", kwargs={"pk": enterprise.pk}), data
    )
    assert response.status_code == 302
    assert list(enterprise.contacts.values_list("name", "is_primary")) == [("副手", True)]


@pytest.mark.django_db
def test_the_directory_pages_read_their_ids_first_and_keep_djangos_pages():
    """issue 19: the directories page by ids first, then those rows with their joins; the
    pages are Django's own, row for row and in order (a list is paged as Django does)."""
    from django.core.paginator import Paginator

    from ledger import selectors
    from ledger.models import KeyProject
    from ledger.views.ledger import IdsFirstPaginator

    for n in range(7):
        f.KeyProjectFactory(name=f"项目{n % 3}-{n}", level="district" if n % 2 else "city")
    user = f.SupervisorFactory()
    projects = selectors.project_directory(user, counted=False).order_by("level", "name", "pk")
    for number in (1, 2, 3):
        ours = IdsFirstPaginator(projects, 3, orphans=1).get_page(number)
        django = Paginator(projects, 3, orphans=1).get_page(number)
        assert [p.pk for p in ours.object_list] == [p.pk for p in django.object_list]
        assert (ours.number, ours.has_next()) == (django.number, django.has_next())
        # the rows come with their joins (no query per row for the owner or the leader)
        with CaptureQueriesContext(connection) as queries:
            for project in ours.object_list:
                str(project.owner), str(project.leader), str(project.lead_department)
        assert not queries.captured_queries
    listed = list(KeyProject.objects.order_by("pk"))
    assert [p.pk for p in IdsFirstPaginator(listed, 5).get_page(2).object_list] == [
        p.pk for p in listed[5:]
    ]
