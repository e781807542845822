"""Logging an issue, correcting it before assignment, the choosers' lookups and
the likely-duplicate check (DESIGN.md §5 "Log an issue")."""

import json
import re
import uuid

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ledger import selectors, workflow
from ledger.models import Attachment, Issue, IssueEvent, LedgerCounter
from tests import factories as f

CREATE = reverse("issue_create")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # the world fixture creates nine users; PBKDF2 would dominate the run time
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def counter_total() -> int:
    return sum(LedgerCounter.objects.values_list("last", flat=True))


def form_data(world, **overrides):
    data = {
        "title": "厂区门前道路雨后积水",
        "description": "每逢下雨厂区门口道路积水，货车无法进出。",
        "category": world.category.pk,
        "source": world.source.pk,
        "urgency": "normal",
        "enterprise": world.enterprise.pk,
        "enterprise_text": world.enterprise.name,
        "project": "",
        "project_text": "",
        "leader": "",
        "measures": "",
        # the page's single-use token (a new page, a new token)
        "creation_token": uuid.uuid4().hex,
    }
    data.update(overrides)
    return data


def login(client, user):
    client.force_login(user)
    return client


def errors_of(response, field):
    return response.context["form"].errors.get(field, [])


def no_inline_script_or_style(html: str) -> bool:
    inline_script = re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    return inline_script is None and ' style="' not in html and " onclick=" not in html


# -- logging -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["staff_a", "supervisor"])
def test_staff_and_supervisor_log_an_issue_and_land_on_its_page(client, world, role):
    user = getattr(world, role)
    response = login(client, user).post(CREATE, form_data(world, urgency="urgent"), follow=True)

    issue = Issue.objects.get()
    assert response.redirect_chain[-1][0] == issue.get_absolute_url()
    assert issue.title == "厂区门前道路雨后积水"
    assert issue.urgency == "urgent"
    assert issue.enterprise == world.enterprise
    assert issue.raised_by == user
    assert issue.raising_department == user.department
    # the enterprise's 分包 leader is proposed when the leader field is left empty
    assert issue.leader == world.leader
    assert [e.action for e in IssueEvent.objects.filter(issue=issue)] == ["raise"]
    assert any(issue.number in str(m) for m in response.context["messages"])


# -- leaders log what they hear on visits (issue 9, item 13) ---------------------------


def test_leader_logs_an_issue_for_an_enterprise_they_take_charge_of(client, world):
    visit = f.SourceFactory(name="领导包联")
    login(client, world.leader.user)
    page = client.get(CREATE)
    assert page.status_code == 200
    assert page.context["form"]["source"].value() == visit.pk
    assert "raising_department" not in page.context["form"].fields
    response = client.post(CREATE, form_data(world, source=visit.pk))
    issue = Issue.objects.get()
    assert response.status_code == 302 and response["Location"] == issue.get_absolute_url()
    assert issue.raised_by == world.leader.user
    # a leader has no department: the oversight office's (LEDGER_LEADER_RAISING_DEPARTMENT)
    assert issue.raising_department == world.oversight
    assert issue.leader == world.leader and issue.source == visit
    assert client.get(issue.get_absolute_url()).status_code == 200


def test_leader_may_not_log_for_an_enterprise_of_another_leader(client, world):
    other = f.EnterpriseFactory(leader=world.other_leader)
    login(client, world.leader.user)
    response = client.post(
        CREATE, form_data(world, enterprise=other.pk, enterprise_text=other.name)
    )
    assert response.status_code == 200
    assert "不在您的分包范围内" in errors_of(response, "enterprise")[0]
    response = client.post(CREATE, form_data(world, enterprise="", enterprise_text=""))
    assert "请选择您分包的企业或重点项目" in errors_of(response, "enterprise")[0]
    assert not Issue.objects.exists()


def test_leader_logs_for_their_project(client, world):
    login(client, world.leader.user)
    data = form_data(
        world,
        enterprise="",
        enterprise_text="",
        project=world.project.pk,
        project_text=world.project.name,
    )
    assert client.post(CREATE, data).status_code == 302
    assert Issue.objects.get().project == world.project


def test_leader_raising_department_is_a_setting(client, world, settings):
    settings.LEDGER = {**settings.LEDGER, "LEADER_RAISING_DEPARTMENT": "发改委"}
    login(client, world.leader.user).post(CREATE, form_data(world))
    assert Issue.objects.get().raising_department == world.dept_a


def test_without_a_raising_department_for_leaders_the_form_says_so(client, world, settings):
    settings.LEDGER = {**settings.LEDGER, "LEADER_RAISING_DEPARTMENT": "不存在的单位"}
    response = login(client, world.leader.user).post(CREATE, form_data(world))
    assert response.status_code == 200
    assert "尚未设置区级领导登记问题的登记单位" in response.content.decode()
    assert not Issue.objects.exists()


def test_leader_log_page_works_on_a_phone_layout(client, world):
    html = login(client, world.leader.user).get(CREATE).content.decode()
    assert 'name="viewport"' in html and 'data-testid="leader-note"' in html
    assert "new_enterprise_name" not in html  # leaders log for their own directory entries
    assert no_inline_script_or_style(html)


def test_anonymous_is_sent_to_sign_in(client, world):
    response = client.get(CREATE)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_log_page_renders_a_search_box_not_a_select_of_enterprises(client, world):
    html = login(client, world.staff_a).get(CREATE).content.decode()
    assert 'name="enterprise_text"' in html
    assert 'type="hidden" name="enterprise"' in html
    assert '<select name="enterprise"' not in html
    assert 'data-lookup-url="/lookup/enterprises/"' in html
    assert "js/chooser.js" in html
    assert no_inline_script_or_style(html)


def test_log_page_renders_in_english(client, world):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = login(client, world.staff_a).get(CREATE)
    assert response.status_code == 200
    assert 'lang="en"' in response.content.decode()


def test_chosen_leader_is_kept_instead_of_the_subject_leader(client, world):
    login(client, world.staff_a).post(CREATE, form_data(world, leader=world.other_leader.pk))
    assert Issue.objects.get().leader == world.other_leader


def test_a_directory_link_prefills_the_enterprise(client, world):
    html = login(client, world.staff_a).get(f"{CREATE}?enterprise={world.enterprise.pk}")
    html = html.content.decode()
    assert f'value="{world.enterprise.name}"' in html
    assert f'value="{world.enterprise.pk}"' in html


def selected_leader(html: str) -> str | None:
    select = re.search(r'<select name="leader".*?</select>', html, re.S).group(0)
    chosen = re.search(r'<option value="(\d+)"[^>]*selected', select)
    return chosen.group(1) if chosen else None


def test_a_directory_link_proposes_the_enterprise_leader_as_choosing_it_does(client, world):
    """Issue 9, item 10: the link filled the enterprise but not the proposed leader."""
    html = login(client, world.staff_a).get(f"{CREATE}?enterprise={world.enterprise.pk}")
    html = html.content.decode()
    assert selected_leader(html) == str(world.leader.pk)
    assert f'data-proposed="{world.leader.pk}"' in html  # another choice may replace it


def test_a_project_link_proposes_its_leader_and_its_owner_enterprise(client, world):
    owner = f.EnterpriseFactory(leader=world.other_leader)
    project = f.KeyProjectFactory(leader=world.leader, owner=owner)
    response = login(client, world.staff_a).get(f"{CREATE}?project={project.pk}")
    html = response.content.decode()
    assert f'name="enterprise_text" id="id_enterprise" value="{owner.name}"' in html
    assert f'name="enterprise" id="id_enterprise_pk" value="{owner.pk}"' in html
    assert f'value="{project.name}"' in html
    assert selected_leader(html) == str(world.leader.pk)


def test_project_lookup_names_the_owner_the_chooser_proposes(client, world):
    owner = f.EnterpriseFactory()
    project = f.KeyProjectFactory(owner=owner, name="绿色涂料特色产业园")
    data = login(client, world.staff_a).get(reverse("project_lookup"), {"q": "绿色涂料"}).json()
    row = next(r for r in data["results"] if r["id"] == project.pk)
    assert row["owner_id"] == owner.pk and row["owner"] == owner.name
    html = client.get(CREATE).content.decode()
    assert 'data-owner-field="id_enterprise"' in html


# -- an enterprise not in the directory, added while logging (issue 9, item 12) ----------


def test_staff_adds_a_missing_enterprise_while_logging_and_it_is_unverified(client, world):
    from ledger.models import Enterprise

    code = f.valid_credit_code(9001)
    data = form_data(
        world,
        enterprise="",
        enterprise_text="不在名录的新企业",
        new_enterprise_name="  中站区新开 科技有限公司 ",
        new_enterprise_credit_code=code.lower(),
    )
    response = login(client, world.staff_a).post(CREATE, data)
    assert response.status_code == 302
    enterprise = Enterprise.objects.get(credit_code=code)
    assert enterprise.name == "中站区新开 科技有限公司"
    assert not enterprise.is_verified and enterprise.added_by == world.staff_a
    assert Issue.objects.get().enterprise == enterprise


@pytest.mark.parametrize(
    ("name", "code", "field", "message"),
    [
        ("", "VALID", "new_enterprise_name", "请填写新企业的名称。"),
        ("新企业", "", "new_enterprise_credit_code", "请填写新企业的统一社会信用代码。"),
        ("新企业", "91410803MA0000000X", "new_enterprise_credit_code", "校验位错误"),
        ("新企业", "1234", "new_enterprise_credit_code", "应为 18 位"),
        ("EXISTING", "VALID", "new_enterprise_name", "请在上方“企业”中直接选择"),
        ("新企业", "EXISTING", "new_enterprise_credit_code", "已有使用该统一社会信用代码"),
    ],
)
def test_a_bad_new_enterprise_is_explained_and_nothing_is_saved(
    client, world, name, code, field, message
):
    from ledger.models import Enterprise

    name = world.enterprise.name if name == "EXISTING" else name
    code = {"VALID": f.valid_credit_code(9002), "EXISTING": world.enterprise.credit_code}.get(
        code, code
    )
    before = Enterprise.objects.count()
    data = form_data(
        world,
        enterprise="",
        enterprise_text="",
        new_enterprise_name=name,
        new_enterprise_credit_code=code,
    )
    response = login(client, world.staff_a).post(CREATE, data)
    assert response.status_code == 200
    assert any(message in error for error in errors_of(response, field))
    assert Enterprise.objects.count() == before and not Issue.objects.exists()


def test_a_refused_issue_leaves_no_new_enterprise_behind(client, world, monkeypatch):
    from ledger.models import Enterprise

    def refuse(**kwargs):
        raise workflow.TransitionRefused("登记被拒绝。")

    monkeypatch.setattr(workflow, "issue_raise", refuse)
    data = form_data(
        world,
        enterprise="",
        enterprise_text="",
        new_enterprise_name="新企业",
        new_enterprise_credit_code=f.valid_credit_code(9003),
    )
    response = login(client, world.staff_a).post(CREATE, data)
    assert response.status_code == 200
    assert not Enterprise.objects.filter(name="新企业").exists()


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("title", "请填写问题标题。"),
        ("description", "请填写问题描述。"),
        ("category", "请选择问题类别。"),
        ("source", "请选择问题来源。"),
        ("urgency", "请选择紧急程度。"),
    ],
)
def test_each_missing_required_field_gets_its_message_and_nothing_is_saved(
    client, world, field, message
):
    response = login(client, world.staff_a).post(CREATE, form_data(world, **{field: ""}))

    assert response.status_code == 200
    assert errors_of(response, field) == [message]
    assert message in response.content.decode()
    assert not Issue.objects.exists()
    assert not IssueEvent.objects.exists()
    assert counter_total() == 0


def test_blank_title_is_refused(client, world):
    response = login(client, world.staff_a).post(CREATE, form_data(world, title="   "))
    assert errors_of(response, "title") == ["请填写问题标题。"]
    assert not Issue.objects.exists()


def test_inactive_category_is_not_offered_and_is_refused(client, world):
    old = f.CategoryFactory(name="旧类别", is_active=False)
    login(client, world.staff_a)
    assert "旧类别" not in client.get(CREATE).content.decode()
    response = client.post(CREATE, form_data(world, category=old.pk))
    assert errors_of(response, "category")
    assert not Issue.objects.exists()


def test_bad_attachment_type_gets_a_message_and_consumes_no_ledger_number(client, world):
    world.raise_issue()  # number 1 is taken
    assert counter_total() == 1
    bad = SimpleUploadedFile("virus.exe", b"MZ...", content_type="application/octet-stream")
    data = form_data(world, title="另一个问题", attachments=[bad])

    response = login(client, world.staff_a).post(CREATE, data)

    assert response.status_code == 200
    [error] = errors_of(response, "attachments")
    assert "virus.exe" in error and "exe" in error
    assert Issue.objects.count() == 1
    assert not Attachment.objects.exists()
    assert counter_total() == 1
    assert 'data-testid="reselect-files"' in response.content.decode()

    good = SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff", content_type="image/jpeg")
    client.post(CREATE, form_data(world, title="另一个问题", attachments=[good]))
    assert Issue.objects.order_by("-seq").first().number.endswith("-0002")


def test_every_bad_file_of_several_is_named(client, world):
    files = [
        SimpleUploadedFile("a.exe", b"x"),
        SimpleUploadedFile("empty.pdf", b""),
        SimpleUploadedFile("ok.pdf", b"%PDF"),
    ]
    response = login(client, world.staff_a).post(CREATE, form_data(world, attachments=files))
    errors = errors_of(response, "attachments")
    assert any("a.exe" in e for e in errors)
    assert any("empty.pdf" in e for e in errors)
    assert not any("ok.pdf" in e for e in errors)
    assert not Issue.objects.exists()


def test_several_attachments_are_saved_with_the_issue(client, world):
    files = [
        SimpleUploadedFile("scan.pdf", b"%PDF-1.4", content_type="application/pdf"),
        SimpleUploadedFile("site.png", b"\x89PNG", content_type="image/png"),
    ]
    login(client, world.staff_a).post(CREATE, form_data(world, attachments=files))
    issue = Issue.objects.get()
    assert sorted(issue.attachments.values_list("original_name", flat=True)) == [
        "scan.pdf",
        "site.png",
    ]
    assert issue.attachments.first().event.action == "raise"


def test_administrator_without_a_department_must_say_for_whom_they_log(client, world):
    login(client, world.admin)
    response = client.post(CREATE, form_data(world))
    assert errors_of(response, "raising_department") == ["请选择登记单位。"]
    assert not Issue.objects.exists()
    client.post(CREATE, form_data(world, raising_department=world.dept_b.pk))
    assert Issue.objects.get().raising_department == world.dept_b


# -- choosing an enterprise or project without JavaScript ------------------------------


def test_typed_enterprise_name_is_resolved_without_javascript(client, world):
    data = form_data(world, enterprise="", enterprise_text=f"  {world.enterprise.name} ")
    login(client, world.staff_a).post(CREATE, data)
    assert Issue.objects.get().enterprise == world.enterprise


def test_typed_credit_code_is_resolved_in_lower_case_too(client, world):
    data = form_data(world, enterprise="", enterprise_text=world.enterprise.credit_code.lower())
    login(client, world.staff_a).post(CREATE, data)
    assert Issue.objects.get().enterprise == world.enterprise


def test_text_changed_after_choosing_wins_over_the_stale_hidden_id(client, world):
    other = f.EnterpriseFactory(name="龙星化工股份有限公司")
    data = form_data(world, enterprise=world.enterprise.pk, enterprise_text=other.name)
    login(client, world.staff_a).post(CREATE, data)
    assert Issue.objects.get().enterprise == other


def test_unknown_enterprise_is_reported_clearly(client, world):
    data = form_data(world, enterprise="", enterprise_text="不存在的公司")
    response = login(client, world.staff_a).post(CREATE, data)
    [error] = errors_of(response, "enterprise")
    assert "未找到" in error and "不存在的公司" in error
    assert not Issue.objects.exists()
    # the typed text is kept in the box
    assert 'value="不存在的公司"' in response.content.decode()


def test_ambiguous_enterprise_lists_the_candidates(client, world):
    f.EnterpriseFactory(name="风神轮胎股份有限公司")
    f.EnterpriseFactory(name="风神物流有限公司")
    data = form_data(world, enterprise="", enterprise_text="风神")
    response = login(client, world.staff_a).post(CREATE, data)
    [error] = errors_of(response, "enterprise")
    assert "多家" in error and "风神轮胎股份有限公司" in error and "风神物流有限公司" in error
    assert not Issue.objects.exists()


def test_one_near_enterprise_is_suggested_not_chosen(client, world):
    f.EnterpriseFactory(name="鑫诚耐火材料有限公司")
    data = form_data(world, enterprise="", enterprise_text="鑫诚耐火")
    response = login(client, world.staff_a).post(CREATE, data)
    [error] = errors_of(response, "enterprise")
    assert "鑫诚耐火材料有限公司" in error
    assert not Issue.objects.exists()


def test_project_by_typed_name_proposes_its_leader(client, world):
    data = form_data(
        world, enterprise="", enterprise_text="", project="", project_text=world.project.name
    )
    login(client, world.staff_a).post(CREATE, data)
    issue = Issue.objects.get()
    assert issue.project == world.project
    assert issue.enterprise is None
    assert issue.leader == world.leader


def test_unknown_project_is_reported(client, world):
    data = form_data(world, project_text="不存在的项目")
    response = login(client, world.staff_a).post(CREATE, data)
    assert "未找到" in errors_of(response, "project")[0]
    assert not Issue.objects.exists()


# -- lookups -------------------------------------------------------------------------------


def lookup(client, name, q):
    response = client.get(reverse(name), {"q": q})
    assert response.status_code == 200
    return json.loads(response.content)


def test_enterprise_lookup_matches_name_and_credit_code(client, world):
    wind = f.EnterpriseFactory(name="风神轮胎股份有限公司")
    login(client, world.staff_a)
    by_name = lookup(client, "enterprise_lookup", "轮胎")["results"]
    assert [r["id"] for r in by_name] == [wind.pk]
    assert by_name[0]["credit_code"] == wind.credit_code

    by_code = lookup(client, "enterprise_lookup", world.enterprise.credit_code[:12].lower())
    ids = [r["id"] for r in by_code["results"]]
    assert world.enterprise.pk in ids
    assert by_code["results"][ids.index(world.enterprise.pk)]["leader_id"] == world.leader.pk


def test_enterprise_lookup_leaves_out_enterprises_no_longer_in_business(client, world):
    f.EnterpriseFactory(name="已注销的轮胎厂", is_active=False)
    assert lookup(login(client, world.staff_a), "enterprise_lookup", "轮胎")["results"] == []


def test_lookups_cap_their_results(client, world):
    for n in range(25):
        f.EnterpriseFactory(name=f"聚成物流{n:02d}有限公司")
        f.KeyProjectFactory(name=f"聚成物流园{n:02d}期")
    login(client, world.staff_a)
    for name in ("enterprise_lookup", "project_lookup"):
        data = lookup(client, name, "聚成物流")
        assert len(data["results"]) == selectors.LOOKUP_LIMIT == 20
        assert data["more"] is True


def test_project_lookup_matches_name_and_owner(client, world):
    owner = f.EnterpriseFactory(name="武钢物流有限公司")
    project = f.KeyProjectFactory(name="物流园二期", owner=owner, leader=world.other_leader)
    login(client, world.staff_a)
    [row] = lookup(client, "project_lookup", "园二期")["results"]
    assert row["id"] == project.pk and row["leader_id"] == world.other_leader.pk
    assert [r["id"] for r in lookup(client, "project_lookup", owner.credit_code)["results"]] == [
        project.pk
    ]


@pytest.mark.parametrize("name", ["enterprise_lookup", "project_lookup"])
def test_lookups_require_sign_in(client, world, name):
    response = client.get(reverse(name), {"q": "测试"})
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize(
    "q", ["", "   ", "%", "_", "%%__", "x" * 5000, "\x00", "'; drop", "测试\\"]
)
@pytest.mark.parametrize("name", ["enterprise_lookup", "project_lookup"])
def test_lookups_never_fail_on_odd_input(client, world, name, q):
    data = lookup(login(client, world.staff_a), name, q)
    # wildcards are matched literally: they never match everything
    assert data["results"] == []


def test_lookup_without_q_parameter(client, world):
    response = login(client, world.staff_a).get(reverse("enterprise_lookup"))
    assert response.status_code == 200
    assert json.loads(response.content) == {"results": [], "more": False}


# -- likely duplicates ------------------------------------------------------------------------


def test_similar_title_of_the_same_enterprise_is_a_likely_duplicate(world):
    existing = world.raise_issue(title="厂区道路积水", enterprise=world.enterprise)
    other = f.EnterpriseFactory()
    found = selectors.issue_duplicates(
        world.staff_a, title="厂区门口道路积水严重", enterprise=world.enterprise
    )
    assert found == [existing]
    assert (
        selectors.issue_duplicates(world.staff_a, title="厂区门口道路积水严重", enterprise=other)
        == []
    )
    assert (
        selectors.issue_duplicates(
            world.staff_a, title="融资贷款审批慢", enterprise=world.enterprise
        )
        == []
    )


def test_project_issues_count_as_duplicates_too(world):
    existing = world.raise_issue(title="项目用地指标未落实", project=world.project)
    found = selectors.issue_duplicates(
        world.supervisor, title="用地指标未落实", project=world.project
    )
    assert found == [existing]


def test_closed_or_withdrawn_issues_are_not_duplicates(world):
    issue = world.raise_issue(title="厂区道路积水", enterprise=world.enterprise)
    workflow.transition(issue, actor=world.supervisor, action="withdraw", note="重复登记")
    assert (
        selectors.issue_duplicates(world.staff_a, title="厂区道路积水", enterprise=world.enterprise)
        == []
    )


def test_duplicates_the_user_may_not_see_are_not_shown(world):
    world.raise_issue(title="厂区道路积水", enterprise=world.enterprise)
    assert (
        selectors.issue_duplicates(world.staff_c, title="厂区道路积水", enterprise=world.enterprise)
        == []
    )


def test_duplicate_list_endpoint_shows_visible_duplicates_while_typing(client, world):
    existing = world.raise_issue(title="厂区道路积水", enterprise=world.enterprise)
    url = reverse("issue_duplicates")
    params = {"title": "厂区道路积水问题", "enterprise": world.enterprise.pk}

    html = login(client, world.staff_a).get(url, params).content.decode()
    assert existing.number in html
    assert 'name="confirm_duplicates"' in html

    html = login(client, world.staff_c).get(url, params).content.decode()
    assert existing.number not in html


def test_duplicate_list_endpoint_resolves_a_typed_name_and_ignores_junk(client, world):
    existing = world.raise_issue(title="厂区道路积水", enterprise=world.enterprise)
    login(client, world.staff_a)
    url = reverse("issue_duplicates")
    html = client.get(
        url, {"title": "厂区道路积水", "enterprise_text": world.enterprise.name}
    ).content.decode()
    assert existing.number in html
    for junk in ({"enterprise": "abc"}, {"project": "9" * 40}, {"title": "\x00"}, {}):
        assert client.get(url, junk).status_code == 200


def test_submit_with_likely_duplicates_and_no_confirmation_saves_nothing(client, world):
    existing = world.raise_issue(title="厂区道路积水", enterprise=world.enterprise)
    before = counter_total()
    response = login(client, world.staff_a).post(
        CREATE, form_data(world, title="厂区门口道路积水严重")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert existing.number in html
    assert errors_of(response, "confirm_duplicates")
    assert "仍然登记" in html
    assert Issue.objects.count() == 1
    assert counter_total() == before


def test_submit_with_likely_duplicates_and_confirmation_saves(client, world):
    world.raise_issue(title="厂区道路积水", enterprise=world.enterprise)
    response = login(client, world.staff_a).post(
        CREATE, form_data(world, title="厂区门口道路积水严重", confirm_duplicates="on")
    )
    assert response.status_code == 302
    assert Issue.objects.count() == 2


def test_duplicates_another_department_cannot_see_do_not_block_it(client, world):
    world.raise_issue(title="厂区道路积水", enterprise=world.enterprise)
    response = login(client, world.staff_c).post(CREATE, form_data(world, title="厂区道路积水"))
    assert response.status_code == 302
    assert Issue.objects.count() == 2


# -- editing before assignment -----------------------------------------------------------------


def edit_url(issue):
    return reverse("issue_edit", kwargs={"number": issue.number})


def edit_data(world, issue, **overrides):
    data = form_data(
        world,
        title=issue.title,
        description=issue.description,
        enterprise=issue.enterprise_id or "",
        enterprise_text=issue.enterprise.name if issue.enterprise else "",
        leader=issue.leader_id or "",
        version=issue.version,
    )
    data.update(overrides)
    return data


@pytest.mark.parametrize("role", ["staff_a", "supervisor"])
def test_raised_issue_is_corrected_and_the_change_is_in_the_timeline(client, world, role):
    issue = world.raise_issue(enterprise=world.enterprise)
    login(client, getattr(world, role))
    assert client.get(edit_url(issue)).status_code == 200

    response = client.post(edit_url(issue), edit_data(world, issue, title="厂区道路积水（已核实）"))

    assert response.status_code == 302
    assert response["Location"] == issue.get_absolute_url()
    issue.refresh_from_db()
    assert issue.title == "厂区道路积水（已核实）"
    event = issue.events.order_by("-seq").first()
    assert event.action == "edit"
    assert event.changes == {"title": ["厂区道路积水", "厂区道路积水（已核实）"]}


def test_edit_can_move_the_issue_to_another_enterprise(client, world):
    issue = world.raise_issue(enterprise=world.enterprise)
    other = f.EnterpriseFactory(name="爱尔福克有限公司")
    login(client, world.staff_a).post(
        edit_url(issue), edit_data(world, issue, enterprise="", enterprise_text=other.name)
    )
    issue.refresh_from_db()
    assert issue.enterprise == other
    assert set(issue.events.order_by("-seq").first().changes) == {"enterprise"}


def test_edit_page_keeps_the_current_inactive_category(client, world):
    issue = world.raise_issue()
    world.category.is_active = False
    world.category.save()
    response = login(client, world.staff_a).post(
        edit_url(issue), edit_data(world, issue, description="补充：涉及两处路段。")
    )
    assert response.status_code == 302


def test_edit_without_changes_says_so(client, world):
    issue = world.raise_issue(enterprise=world.enterprise)
    response = login(client, world.staff_a).post(edit_url(issue), edit_data(world, issue))
    assert response.status_code == 200
    assert "没有任何修改" in response.content.decode()
    assert issue.events.count() == 1


def test_edit_refuses_bad_input_next_to_the_field(client, world):
    issue = world.raise_issue()
    response = login(client, world.staff_a).post(edit_url(issue), edit_data(world, issue, title=""))
    assert errors_of(response, "title") == ["请填写问题标题。"]
    issue.refresh_from_db()
    assert issue.title == "厂区道路积水"
    assert issue.events.count() == 1


def test_edit_is_forbidden_once_assigned(client, world):
    issue = world.assigned_issue()
    login(client, world.staff_a)
    assert client.get(edit_url(issue)).status_code == 403
    assert client.post(edit_url(issue), edit_data(world, issue, title="改")).status_code == 403
    issue.refresh_from_db()
    assert issue.title == "厂区道路积水"


def test_edit_is_forbidden_for_a_leader_who_can_see_it(client, world):
    issue = world.raise_issue(enterprise=world.enterprise)
    assert world.leader.user.has_perm("ledger.view_issue", issue)  # 分包 leader of the enterprise
    login(client, world.leader.user)
    assert client.get(edit_url(issue)).status_code == 403


@pytest.mark.parametrize("role", ["staff_b", "staff_c"])
def test_edit_is_not_found_for_those_who_cannot_see_it(client, world, role):
    issue = world.raise_issue()
    login(client, getattr(world, role))
    assert client.get(edit_url(issue)).status_code == 404
    assert client.post(edit_url(issue), edit_data(world, issue, title="改")).status_code == 404
    assert client.get(reverse("issue_edit", kwargs={"number": "ZZ-1900-9999"})).status_code == 404


def test_stale_edit_keeps_the_input_and_explains_then_resubmit_works(client, world):
    issue = world.raise_issue(enterprise=world.enterprise)
    stale = edit_data(world, issue, description="我补充的描述")
    workflow.transition(
        issue, actor=world.supervisor, action="edit", expected_version=1, title="督查室改的标题"
    )

    response = login(client, world.staff_a).post(edit_url(issue), stale)

    assert response.status_code == 200
    html = response.content.decode()
    assert "我补充的描述" in html
    assert "您打开页面后" in html
    issue.refresh_from_db()
    assert issue.description == "雨后厂区门口道路积水严重。"
    assert response.context["form"]["version"].value() == str(issue.version)

    resubmit = dict(stale, version=issue.version)
    assert client.post(edit_url(issue), resubmit).status_code == 302
    issue.refresh_from_db()
    assert issue.description == "我补充的描述"


def test_edit_submitted_after_assignment_is_forbidden(client, world):
    issue = world.raise_issue()
    data = edit_data(world, issue, title="新标题")
    login(client, world.staff_a)
    # assigned between opening the form and submitting it: the view re-checks
    workflow.transition(
        issue,
        actor=world.supervisor,
        action="assign",
        leader=world.leader,
        lead_department=world.dept_b,
        deadline=f.days_from_today(5),
    )
    response = client.post(edit_url(issue), data)
    assert response.status_code == 403


def test_edit_page_renders_in_english_without_inline_script(client, world):
    issue = world.raise_issue(enterprise=world.enterprise)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = login(client, world.staff_a).get(edit_url(issue))
    assert response.status_code == 200
    html = response.content.decode()
    assert no_inline_script_or_style(html)
    assert world.enterprise.name in html
    assert 'name="attachments"' not in html


# -- odd input and refusals inside the transaction --------------------------------------------


def test_refusal_after_the_number_was_drawn_rolls_the_number_back(client, world, monkeypatch):
    world.raise_issue()
    before = counter_total()

    def refuse(*args, **kwargs):
        raise workflow.TransitionRefused("存储附件失败。", field_errors={"attachments": "存储失败"})

    monkeypatch.setattr(workflow.core, "_attachments_save", refuse)
    response = login(client, world.staff_a).post(CREATE, form_data(world, title="全新的问题"))

    assert response.status_code == 200
    assert errors_of(response, "attachments") == ["存储失败"]
    assert "存储附件失败。" in response.content.decode()
    assert Issue.objects.count() == 1
    assert IssueEvent.objects.count() == 1
    assert counter_total() == before


@pytest.mark.parametrize(
    "overrides",
    [
        {"enterprise": "9" * 40},
        {"enterprise": "-1"},
        {"enterprise": "١٢"},
        {"project": "abc", "project_text": ""},
        {"leader": "9" * 40},
        {"category": "9" * 40},
        {"urgency": "whenever"},
    ],
)
def test_odd_hidden_values_never_fail(client, world, overrides):
    response = login(client, world.staff_a).post(CREATE, form_data(world, **overrides))
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert Issue.objects.get().enterprise == world.enterprise


def test_nul_character_in_the_title_is_refused_with_a_message(client, world):
    response = login(client, world.staff_a).post(CREATE, form_data(world, title="积水\x00"))
    assert errors_of(response, "title")
    assert not Issue.objects.exists()


def test_re_shown_form_keeps_the_chosen_enterprise_and_its_leader_hint(client, world):
    response = login(client, world.staff_a).post(CREATE, form_data(world, description=""))
    html = response.content.decode()
    assert f'value="{world.enterprise.name}"' in html
    assert f"分包领导：{world.leader}" in html


# -- the size message (issue 9, item 8) -------------------------------------------------


@pytest.mark.parametrize("size", [21_000_000, 20 * 1024 * 1024 + 1, 20 * 1024 * 1024 + 40_000])
def test_too_large_file_message_shows_a_size_different_from_the_limit(settings, size):
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ledger.services import attachment_validate

    settings.ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
    file = SimpleUploadedFile("scan.pdf", b"%PDF-1.4")
    file.size = size
    with pytest.raises(ValidationError) as refused:
        attachment_validate(file)
    message = refused.value.messages[0]
    shown, limit = re.search(r"过大（(.+?)），超过上限 (.+?)。", message).groups()
    assert limit == "20.0\xa0MB"
    assert shown != limit
