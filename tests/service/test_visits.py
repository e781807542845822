"""包联走访: a visit and its problems are one step (issues through issue_raise, linked both
ways, nothing half-saved); who may record, see and edit a visit."""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ledger import workflow
from ledger.models import Attachment, Issue, IssueEvent
from ledger.service import selectors, services
from ledger.service.models import Visit, VisitIssue, VisitPhoto
from ledger.workflow import TransitionRefused
from tests import factories as f
from tests.service.conftest import png

NEW = reverse("service:visit_create")


def _form(sw, *, problems=(), no_problems=False, **extra):
    data = {
        "creation_token": uuid.uuid4().hex,  # each call a fresh page
        "visited_on": (sw.today - datetime.timedelta(days=1)).isoformat(),
        "leader_attended": "on",
        "summary": "座谈了解用工情况。",
        "contacts": [sw.contact.pk],
        "companions": [sw.staff_sub.pk],
        "companions_text": "区工信局 李科长",
        "problems-TOTAL_FORMS": "3",
        "problems-INITIAL_FORMS": "0",
        "problems-MIN_NUM_FORMS": "0",
        "problems-MAX_NUM_FORMS": "10",
    }
    if no_problems:
        data["no_problems"] = "on"
    for index, title in enumerate(problems):
        data.update(
            {
                f"problems-{index}-title": title,
                f"problems-{index}-description": f"{title}，请协调。",
                f"problems-{index}-category": sw.category.pk,
                f"problems-{index}-urgency": "urgent",
            }
        )
    data.update(extra)
    return data


# -- one step: the visit and its issues ---------------------------------------------------


def test_a_visit_with_two_problems_raises_two_issues_through_issue_raise(sw, monkeypatch):
    calls = []
    real = workflow.issue_raise

    def spy(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(workflow, "issue_raise", spy)
    visit = sw.visit(problems=[sw.problem("道路积水"), sw.problem("用电增容")])
    assert len(calls) == 2
    issues = Issue.objects.filter(visit_link__visit=visit).order_by("seq")
    assert [i.title for i in issues] == ["道路积水", "用电增容"]
    for issue in issues:
        assert issue.source.name == "领导包联"
        assert issue.enterprise == sw.enterprise and issue.leader == sw.leader
        assert issue.status == "raised"
        assert issue.events.get().action == "raise"
        # linked both ways: the visit lists it, the issue knows its visit
        assert issue.visit_link.visit == visit
    assert visit.issue_links.count() == 2 and not visit.no_problems


def test_the_form_records_the_visit_and_its_issues_and_the_issue_page_links_back(client, sw):
    client.force_login(sw.staff_sub)
    response = client.post(
        f"{NEW}?enterprise={sw.enterprise.pk}", _form(sw, problems=["积水", "断电"])
    )
    visit = Visit.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "service:visit_detail", kwargs={"pk": visit.pk}
    )
    assert list(visit.companions.all()) == [sw.staff_sub]
    assert list(visit.contacts.all()) == [sw.contact]
    issues = list(Issue.objects.filter(visit_link__visit=visit))
    assert len(issues) == 2
    assert {i.raising_department for i in issues} == {sw.sub}
    assert {i.urgency for i in issues} == {"urgent"}
    page = client.get(reverse("service:visit_detail", kwargs={"pk": visit.pk})).content.decode()
    for issue in issues:
        assert issue.number in page
    issue_page = client.get(reverse("issue_detail", kwargs={"number": issues[0].number}))
    html = issue_page.content.decode()
    assert 'data-testid="from-visit"' in html
    assert reverse("service:visit_detail", kwargs={"pk": visit.pk}) in html


def test_a_leader_visit_raises_its_issues_for_the_oversight_office(sw):
    visit = sw.visit(problems=[sw.problem()])
    assert visit.issue_links.get().issue.raising_department == sw.oversight


def test_staff_visiting_on_the_leaders_behalf_raise_as_enterprise_visit(sw):
    visit = sw.visit(actor=sw.staff_sub, problems=[sw.problem()], leader_attended=False)
    assert visit.issue_links.get().issue.source.name == "企业走访"


def test_a_visit_with_no_problems_is_a_valid_record(client, sw):
    client.force_login(sw.leader.user)
    response = client.post(f"{NEW}?enterprise={sw.enterprise.pk}", _form(sw, no_problems=True))
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.no_problems and not visit.issue_links.exists()
    assert Issue.objects.count() == 0


@pytest.mark.parametrize(
    "problems, no_problems, message",
    [
        ([], False, "没有问题时请勾选"),
        (["积水"], True, "已勾选“未反映问题”"),
    ],
)
def test_problems_and_the_no_problems_box_must_agree(client, sw, problems, no_problems, message):
    client.force_login(sw.leader.user)
    response = client.post(
        f"{NEW}?enterprise={sw.enterprise.pk}",
        _form(sw, problems=problems, no_problems=no_problems),
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "尚未保存任何内容" in response.content.decode()
    assert Visit.objects.count() == 0 and Issue.objects.count() == 0


def test_an_incomplete_problem_is_refused_and_nothing_is_saved(client, sw):
    client.force_login(sw.leader.user)
    data = _form(sw, problems=["积水"])
    data["problems-0-category"] = ""
    response = client.post(f"{NEW}?enterprise={sw.enterprise.pk}", data)
    assert response.status_code == 200 and "请选择问题类别。" in response.content.decode()
    assert Visit.objects.count() == 0 and Issue.objects.count() == 0


def test_a_failure_on_the_second_issue_leaves_nothing_half_saved(sw, monkeypatch):
    real = workflow.issue_raise
    calls = []

    def second_fails(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise TransitionRefused("登记失败")
        return real(**kwargs)

    monkeypatch.setattr(workflow, "issue_raise", second_fails)
    with pytest.raises(TransitionRefused):
        sw.visit(problems=[sw.problem("一"), sw.problem("二")], photos=[png()])
    assert Visit.objects.count() == 0
    assert Issue.objects.count() == 0 and IssueEvent.objects.count() == 0
    assert VisitIssue.objects.count() == 0 and VisitPhoto.objects.count() == 0


def test_a_future_date_and_an_empty_summary_are_refused(sw):
    with pytest.raises(TransitionRefused) as refused:
        sw.visit(days_ago=-1, summary=" ")
    assert set(refused.value.field_errors) == {"visited_on", "summary"}
    assert Visit.objects.count() == 0


def test_someone_elses_contact_is_refused(sw):
    stranger = f.ContactFactory(enterprise=sw.other_enterprise)
    with pytest.raises(TransitionRefused, match="联系人"):
        sw.visit(contacts=[stranger])
    assert Visit.objects.count() == 0


# -- photos -------------------------------------------------------------------------------


def test_photos_are_kept_and_served_only_to_who_sees_the_visit(client, sw):
    visit = sw.visit(photos=[png("一.png"), png("二.png")])
    photo = visit.photos.first()
    assert visit.photos.count() == 2 and len(photo.sha256) == 64
    url = reverse("service:visit_photo", kwargs={"pk": visit.pk, "photo_id": photo.pk})
    client.force_login(sw.staff_sub)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert "sandbox" in response["Content-Security-Policy"]
    client.force_login(sw.staff_unrel)
    assert client.get(url).status_code == 404
    assert Attachment.objects.count() == 0  # the ledger's attachments are not touched


@pytest.mark.parametrize(
    "upload, message",
    [
        (lambda: png("报告.pdf"), "不是照片"),
        (lambda: png("假照片.jpg"), "内容不是"),
    ],
)
def test_what_is_not_a_photo_is_refused(sw, upload, message):
    with pytest.raises(TransitionRefused, match=message):
        sw.visit(photos=[upload()])
    assert Visit.objects.count() == 0


def test_photos_beyond_the_limit_are_refused(sw, settings):
    settings.LEDGER = {**settings.LEDGER, "VISIT_MAX_PHOTOS": 2}
    with pytest.raises(TransitionRefused, match="最多保存 2 张"):
        sw.visit(photos=[png(), png(), png()])
    visit = sw.visit(photos=[png(), png()])
    with pytest.raises(TransitionRefused, match="还可上传 0 张"):
        services.visit_update(
            actor=sw.leader.user,
            visit=visit,
            visited_on=visit.visited_on,
            summary="补充照片",
            leader_attended=True,
            photos=[png()],
        )
    assert visit.photos.count() == 2


# -- who may record ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, subject, allowed",
    [
        ("leader", "enterprise", True),
        ("leader", "project", True),
        ("leader", "other_enterprise", False),  # not theirs to 分包
        ("other_leader", "enterprise", False),
        ("other_leader", "other_enterprise", True),
        ("staff_sub", "enterprise", True),  # the enterprise's 办事处
        ("staff_sub", "project", False),
        ("staff_lead", "project", True),  # the project's 责任单位
        ("staff_lead", "enterprise", False),
        ("staff_unrel", "enterprise", False),
        ("supervisor", "other_enterprise", True),
        ("admin", "project", True),
    ],
)
def test_who_may_record_a_visit_for_what(client, sw, who, subject, allowed):
    user = getattr(sw, who)
    user = getattr(user, "user", user)
    target = getattr(sw, subject)
    kind = "project" if subject == "project" else "enterprise"
    client.force_login(user)
    url = f"{NEW}?{kind}={target.pk}"
    data = _form(sw, no_problems=True)
    if kind == "project" or subject == "other_enterprise":
        # the contacts and people offered are the subject's own
        data.pop("contacts")
        data["companions"] = [user.pk]
    assert client.get(url).status_code == (200 if allowed else 403)
    response = client.post(url, data)
    assert response.status_code == (302 if allowed else 403)
    assert Visit.objects.count() == (1 if allowed else 0)
    if not allowed:
        with pytest.raises(TransitionRefused):
            sw.visit(actor=user, subject=target)


def test_a_subject_without_a_leader_cannot_be_visited(client, sw):
    orphan = f.EnterpriseFactory(name="无人分包公司")
    client.force_login(sw.supervisor)
    response = client.get(f"{NEW}?enterprise={orphan.pk}")
    assert response.status_code == 403 and "尚无分包领导" in response.content.decode()


def test_the_leader_of_a_staff_members_department_is_theirs_too(sw):
    sw.other_leader.user.department = sw.unrel
    sw.other_leader.user.save()
    visit = sw.visit(actor=sw.staff_unrel, subject=sw.other_enterprise)
    assert visit.leader == sw.other_leader


# -- who may see and edit ---------------------------------------------------------------------


def _users(sw):
    return {
        "leader": sw.leader.user,
        "other_leader": sw.other_leader.user,
        "staff_sub": sw.staff_sub,
        "staff_lead": sw.staff_lead,
        "staff_unrel": sw.staff_unrel,
        "supervisor": sw.supervisor,
        "admin": sw.admin,
    }


def test_visits_visible_to_agrees_with_the_rule_for_everyone(sw):
    visits = [
        sw.visit(),
        sw.visit(subject=sw.project),
        sw.visit(actor=sw.supervisor, subject=sw.other_enterprise, companions=[sw.staff_unrel]),
        sw.visit(actor=sw.staff_lead, subject=sw.project),
    ]
    for name, user in _users(sw).items():
        listed = set(selectors.visits_visible_to(user).values_list("pk", flat=True))
        by_rule = {v.pk for v in visits if user.has_perm("service.view_visit", v)}
        assert listed == by_rule, name
    staff_unrel = selectors.visits_visible_to(sw.staff_unrel)
    assert list(staff_unrel) == [visits[2]]  # only the one they went on


def test_a_visit_is_never_editable_by_someone_who_cannot_see_it(client, sw):
    visit = sw.visit()
    edit = reverse("service:visit_edit", kwargs={"pk": visit.pk})
    data = {"visited_on": visit.visited_on.isoformat(), "summary": "篡改", "leader_attended": "on"}
    for user in (sw.staff_unrel, sw.staff_lead, sw.other_leader.user):
        client.force_login(user)
        assert client.get(edit).status_code == 404
        assert client.post(edit, data).status_code == 404
        assert (
            client.get(reverse("service:visit_detail", kwargs={"pk": visit.pk})).status_code == 404
        )
        with pytest.raises(TransitionRefused):
            services.visit_update(
                actor=user,
                visit=visit,
                visited_on=visit.visited_on,
                summary="篡改",
                leader_attended=True,
            )
    visit.refresh_from_db()
    assert visit.summary == "了解生产经营情况。"


def test_who_sees_a_visit_edits_it_within_the_rules(client, sw):
    visit = sw.visit(companions=[sw.staff_unrel])
    edit = reverse("service:visit_edit", kwargs={"pk": visit.pk})
    # went along: sees it, may not edit it (403 with the reason, not a leak)
    client.force_login(sw.staff_unrel)
    assert client.get(reverse("service:visit_detail", kwargs={"pk": visit.pk})).status_code == 200
    assert client.get(edit).status_code == 403
    # the enterprise's 办事处 edits it
    client.force_login(sw.staff_sub)
    data = {
        "visited_on": visit.visited_on.isoformat(),
        "summary": "补充：企业计划扩产。",
        "leader_attended": "on",
        "companions": [sw.staff_sub.pk],
    }
    assert client.post(edit, data).status_code == 302
    visit.refresh_from_db()
    assert visit.summary == "补充：企业计划扩产。" and visit.updated_at is not None
    assert list(visit.companions.all()) == [sw.staff_sub]


def test_an_issue_from_a_visit_names_it_without_a_link_for_who_may_not_see_the_visit(client, sw):
    visit = sw.visit(actor=sw.staff_sub, problems=[sw.problem()])
    issue = visit.issue_links.get().issue
    workflow.transition(
        issue,
        actor=sw.supervisor,
        action="assign",
        leader=sw.leader,
        lead_department=sw.unrel,
        deadline=sw.today + datetime.timedelta(days=10),
    )
    client.force_login(sw.staff_unrel)  # the lead department sees the issue, not the visit
    html = client.get(reverse("issue_detail", kwargs={"number": issue.number})).content.decode()
    assert 'data-testid="from-visit"' in html
    assert reverse("service:visit_detail", kwargs={"pk": visit.pk}) not in html


# -- the list ---------------------------------------------------------------------------------


def _list_queries(client, sw, n):
    for i in range(n):
        sw.visit(problems=[sw.problem(f"问题{i}")] if i % 2 else (), days_ago=i % 30)
    client.force_login(sw.leader.user)
    url = reverse("service:visit_list")
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def test_the_visit_list_query_count_does_not_grow_with_rows(
    client, sw, django_assert_max_num_queries
):
    few, _ = _list_queries(client, sw, 5)
    many, response = _list_queries(client, sw, 20)  # 25 in all: a full page
    assert few == many
    assert len(response.context["visits"]) == 25


def test_the_list_filters_by_leader_and_period_and_explains_bad_input(client, sw):
    sw.visit(days_ago=1)
    sw.visit(days_ago=40)
    sw.visit(actor=sw.supervisor, subject=sw.other_enterprise)
    client.force_login(sw.supervisor)
    url = reverse("service:visit_list")
    start = (sw.today - datetime.timedelta(days=10)).isoformat()
    response = client.get(url, {"leader": sw.leader.pk, "start": start})
    assert len(response.context["visits"]) == 1
    response = client.get(url, {"leader": "99999999999999999999999", "start": "2026-13-01"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "找不到所选的分包领导" in html and "日期无效" in html


def test_mistakes_in_the_visit_and_in_a_problem_are_shown_together(client, sw):
    client.force_login(sw.leader.user)
    data = _form(sw, problems=["积水"])
    data["summary"] = ""
    data["problems-0-description"] = ""
    html = client.post(f"{NEW}?enterprise={sw.enterprise.pk}", data).content.decode()
    assert "请填写走访情况。" in html and "请填写问题描述。" in html
    assert Visit.objects.count() == 0
