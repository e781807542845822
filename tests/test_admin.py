"""The Django admin: every page opens, issues and events stay under the workflow's rules."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ledger import workflow
from ledger.admin import IssueEventInline
from ledger.models import (
    Attachment,
    Category,
    Contact,
    Department,
    Enterprise,
    ExtensionRequest,
    Holiday,
    Issue,
    IssueDeadline,
    IssueEvent,
    KeyProject,
    Leader,
    LedgerCounter,
    ProjectProgress,
    Source,
    User,
)
from ledger.validators import validate_credit_code
from tests import factories as f

VALID_CODE = "91110000600037341L"


def admin_url(model, view, *args):
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # the world creates a dozen users; the default hasher makes that take seconds
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def full_world(world):
    """The world with at least one row of every registered model."""
    world.contact = f.ContactFactory(enterprise=world.enterprise, is_primary=True)
    world.raised = world.raise_issue(title="待交办的问题", enterprise=world.enterprise)
    world.running = world.in_progress_issue(title="办理中的问题")
    workflow.transition(
        world.running,
        actor=world.staff_b,
        action="extension_request",
        note="材料未到齐",
        new_deadline=f.days_from_today(30),
    )
    workflow.transition(
        world.running,
        actor=world.staff_b,
        action="comment",
        note="现场照片",
        files=[SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff jpeg", content_type="image/jpeg")],
    )
    world.group = Group.objects.create(name="值班")
    world.progress = ProjectProgress.objects.create(
        project=world.project,
        month=datetime.date(world.project.year, 1, 1),
        completed_this_year=1,
        stage="construction",
        reported_by=world.supervisor,
    )
    return world


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


def admin_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


# -- every page opens ------------------------------------------------------------------------


def test_every_registered_changelist_opens_for_a_superuser(full_world, admin_client):
    for model in admin.site._registry:
        response = admin_client.get(admin_url(model, "changelist"))
        assert response.status_code == 200, model._meta.label


def test_add_page_opens_for_every_model_that_allows_adding(full_world, admin_client):
    request = admin_request(full_world.admin)
    addable = set()
    for model, model_admin in admin.site._registry.items():
        if model_admin.has_add_permission(request):
            addable.add(model)
            response = admin_client.get(admin_url(model, "add"))
            assert response.status_code == 200, model._meta.label
    ledger_addable = {m for m in addable if m._meta.app_label == "ledger"}
    assert ledger_addable == {
        User,
        Department,
        Leader,
        Category,
        Source,
        Enterprise,
        Contact,
        KeyProject,
        Holiday,  # the working-day calendar: the administrator adds and corrects days
    }


def test_models_that_are_records_refuse_the_add_page(full_world, admin_client):
    for model in (Issue, IssueEvent, IssueDeadline, ExtensionRequest, Attachment, LedgerCounter):
        assert admin_client.get(admin_url(model, "add")).status_code == 403, model._meta.label


def test_change_page_of_an_object_of_every_registered_model_opens(full_world, admin_client):
    for model in admin.site._registry:
        obj = model._default_manager.first()
        if obj is None:
            # only the task queue and the notifications may be empty in this world (its
            # actions' on-commit callbacks never run); tests/notify/test_admin.py opens those;
            # login failures only after wrong passwords: tests/test_security_auth.py;
            # visits and procedures: tests/service/test_admin.py; the API's clients and
            # secrets: tests/api/test_client_admin.py; work orders and webhooks: tests/api/
            # (test_webhooks.py opens the webhook pages)
            assert model._meta.app_label in {
                "api",
                "django_tasks_database",
                "notify",
                "security",
                "service",
            }
            continue
        response = admin_client.get(admin_url(model, "change", obj.pk))
        assert response.status_code == 200, model._meta.label


def test_admin_header_is_the_ledgers_name(admin_client):
    response = admin_client.get(reverse("admin:index"))
    assert "中站问题台账 · 系统管理" in response.content.decode()


def test_only_administrators_enter_the_admin(world, client):
    for user in (world.staff_a, world.supervisor, world.leader.user):
        user.is_staff = True
        user.save()
        client.force_login(user)
        response = client.get(reverse("admin:ledger_issue_changelist"))
        assert response.status_code == 302, user.username
        assert reverse("admin:login") in response["Location"]


# -- issue list: search, health filter, columns, query count -----------------------------


def changelist_numbers(response):
    return {issue.number for issue in response.context["cl"].result_list}


@pytest.mark.parametrize(
    "term",
    ["number", "title", "enterprise name", "credit code", "credit code lower case"],
)
def test_issue_search_finds_the_issue(world, admin_client, term):
    wanted = world.raise_issue(title="排水管网改造滞后", enterprise=world.enterprise)
    other = world.raise_issue(title="用电增容")
    query = {
        "number": wanted.number,
        "title": "管网改造",
        "enterprise name": world.enterprise.name,
        "credit code": world.enterprise.credit_code,
        "credit code lower case": world.enterprise.credit_code.lower(),
    }[term]
    response = admin_client.get(admin_url(Issue, "changelist"), {"q": query})
    assert response.status_code == 200
    numbers = changelist_numbers(response)
    assert wanted.number in numbers
    assert other.number not in numbers


@pytest.fixture
def lights(world):
    green = world.assigned_issue(title="绿灯", deadline_days=20)
    yellow = world.assigned_issue(title="黄灯", deadline_days=1)
    red = world.assigned_issue(title="红灯", deadline_days=5)
    Issue.objects.filter(pk=red.pk).update(deadline=f.days_from_today(-2))
    pending = world.raise_issue(title="待交办")
    return {"green": green, "yellow": yellow, "red": red, "pending": pending}


@pytest.mark.parametrize("health", ["red", "yellow", "green", "pending"])
def test_health_filter_lists_only_issues_of_that_light(lights, admin_client, health):
    response = admin_client.get(admin_url(Issue, "changelist"), {"health": health})
    assert response.status_code == 200
    assert changelist_numbers(response) == {lights[health].number}


def test_health_column_shows_colour_class_and_words(lights, admin_client):
    response = admin_client.get(admin_url(Issue, "changelist"))
    html = response.content.decode()
    assert '<span class="health-badge health-red">● 逾期</span>' in html
    assert '<span class="health-badge health-yellow">▲ 临期</span>' in html
    assert '<span class="health-badge health-green">✓ 正常</span>' in html
    assert "css/ledger.css" in html
    assert 'style="' not in html.split("<body")[1].split('id="changelist"')[1].split("</table>")[0]


def _issue_changelist_queries(admin_client):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(admin_url(Issue, "changelist"))
    assert response.status_code == 200
    return len(queries)


def _assigned_issues(world, count):
    leaders = [world.leader, world.other_leader]
    departments = [world.dept_a, world.dept_b, world.dept_c]
    for n in range(count):
        f.IssueFactory(
            status="assigned",
            leader=leaders[n % 2],
            lead_department=departments[n % 3],
            deadline=f.days_from_today(n % 7 - 2),
            enterprise=world.enterprise,
        )


def test_issue_changelist_query_count_does_not_grow_with_rows(world, admin_client):
    _assigned_issues(world, 3)
    few = _issue_changelist_queries(admin_client)
    _assigned_issues(world, 27)
    assert Issue.objects.count() == 30
    assert _issue_changelist_queries(admin_client) == few


def test_issue_changelist_lists_what_visible_to_returns(world, admin_client, monkeypatch):
    shown = world.raise_issue(title="看得见")
    hidden = world.raise_issue(title="看不见")

    def only_shown(user, queryset=None):
        return (queryset if queryset is not None else Issue.objects.all()).filter(pk=shown.pk)

    monkeypatch.setattr("ledger.admin.visible_to", only_shown)
    response = admin_client.get(admin_url(Issue, "changelist"))
    assert changelist_numbers(response) == {shown.number}
    assert admin_client.get(admin_url(Issue, "change", hidden.pk)).status_code == 302


# -- issues: no add, no delete, workflow fields read-only ---------------------------------


def test_issue_cannot_be_deleted_through_the_admin(full_world, admin_client):
    issue = full_world.raised
    url = admin_url(Issue, "delete", issue.pk)
    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    response = admin_client.post(
        admin_url(Issue, "changelist"),
        {"action": "delete_selected", "_selected_action": [issue.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert Issue.objects.filter(pk=issue.pk).exists()
    request = admin_request(full_world.admin)
    assert "delete_selected" not in admin.site._registry[Issue].get_actions(request)


def _issue_post(issue, **changes):
    data = {
        "title": issue.title,
        "description": issue.description,
        "category": issue.category_id,
        "source": issue.source_id,
        "urgency": issue.urgency,
        "enterprise": issue.enterprise_id or "",
        "project": issue.project_id or "",
        "leader": issue.leader_id or "",
        "measures": issue.measures,
        "responsible_person": issue.responsible_person,
        "expected_version": issue.version,
        "_save": "保存",
    }
    for prefix in ("events", "deadlines", "extensions", "attachments"):
        data[f"{prefix}-TOTAL_FORMS"] = "0"
        data[f"{prefix}-INITIAL_FORMS"] = "0"
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "0"
    data.update(changes)
    return data


def test_correcting_a_raised_issue_goes_through_the_workflow_and_leaves_an_event(
    world, admin_client
):
    issue = world.raise_issue(title="厂区道路积水")
    response = admin_client.post(
        admin_url(Issue, "change", issue.pk), _issue_post(issue, title="厂区道路积水严重")
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.title == "厂区道路积水严重"
    assert issue.version == 2
    event = issue.events.order_by("-seq").first()
    assert event.action == "edit"
    assert event.actor == world.admin
    assert event.changes["title"] == ["厂区道路积水", "厂区道路积水严重"]


def test_status_and_workflow_fields_are_not_in_the_issue_form(world, admin_client):
    issue = world.raise_issue()
    form = admin_client.get(admin_url(Issue, "change", issue.pk)).context["adminform"].form
    for name in ("status", "deadline", "lead_department", "resolution", "satisfaction"):
        assert name not in form.fields
    response = admin_client.post(
        admin_url(Issue, "change", issue.pk),
        _issue_post(issue, status="closed", deadline="2000-01-01", resolution="改了"),
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.status == "raised"
    assert issue.deadline is None
    assert issue.resolution == ""


def test_assigned_issue_is_read_only_in_the_admin(world, admin_client):
    issue = world.assigned_issue(title="已交办")
    page = admin_client.get(admin_url(Issue, "change", issue.pk))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    response = admin_client.post(
        admin_url(Issue, "change", issue.pk), _issue_post(issue, title="偷偷改标题"), follow=True
    )
    assert response.status_code == 200
    texts = [str(m) for m in response.context["messages"]]
    assert texts == ["该问题当前状态为“已交办”，只能在问题页面通过办理流程变更。"]
    issue.refresh_from_db()
    assert issue.title == "已交办"
    assert issue.events.filter(action="edit").count() == 0


def test_a_stale_admin_page_is_refused_with_a_message_and_changes_nothing(world, admin_client):
    issue = world.raise_issue(title="原标题")
    stale = _issue_post(issue, title="后台改的标题")
    workflow.transition(issue, actor=world.staff_a, action="edit", description="新描述")
    events_before = issue.events.count()
    response = admin_client.post(admin_url(Issue, "change", issue.pk), stale)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "该问题已被他人修改" in form.non_field_errors()[0]
    assert form["title"].value() == "后台改的标题"  # what the administrator typed is kept
    issue.refresh_from_db()
    assert issue.title == "原标题"
    assert issue.description == "新描述"
    assert issue.events.count() == events_before
    # having seen the warning, saving again is deliberate and goes through the workflow
    again = admin_client.post(
        admin_url(Issue, "change", issue.pk), _issue_post(issue, title="后台改的标题")
    )
    assert again.status_code == 302
    issue.refresh_from_db()
    assert issue.title == "后台改的标题"
    assert issue.events.count() == events_before + 1


def test_the_workflow_still_refuses_a_save_that_races_past_the_form(
    world, admin_client, monkeypatch
):
    issue = world.raise_issue(title="原标题")

    def refuse(*args, **kwargs):
        raise workflow.TransitionRefused("该问题刚刚被交办。")

    monkeypatch.setattr("ledger.admin.workflow.transition", refuse)
    response = admin_client.post(
        admin_url(Issue, "change", issue.pk), _issue_post(issue, title="新标题"), follow=True
    )
    assert [str(m) for m in response.context["messages"]] == ["该问题刚刚被交办。"]
    issue.refresh_from_db()
    assert issue.title == "原标题"
    assert not LogEntry.objects.filter(object_id=str(issue.pk)).exists()


def test_issue_page_shows_its_events_deadlines_and_attachments_read_only(full_world, admin_client):
    issue = full_world.running
    response = admin_client.get(admin_url(Issue, "change", issue.pk))
    html = response.content.decode()
    attachment = issue.attachments.get()
    assert (
        reverse(
            "attachment_download",
            kwargs={"number": issue.number, "attachment_id": attachment.pk},
        )
        in html
    )
    assert "办理记录（只读）" in html
    assert "时限记录（只读）" in html
    for formset in response.context["inline_admin_formsets"]:
        assert not formset.has_add_permission
        assert not formset.has_change_permission
        assert not formset.has_delete_permission


# -- events are append-only ------------------------------------------------------------------


def test_issue_event_cannot_be_added_changed_or_deleted(full_world, admin_client):
    event = full_world.running.events.first()
    digest, note, count = event.digest, event.note, IssueEvent.objects.count()
    assert admin_client.get(admin_url(IssueEvent, "add")).status_code == 403
    assert admin_client.post(admin_url(IssueEvent, "add"), {"note": "x"}).status_code == 403
    change = admin_url(IssueEvent, "change", event.pk)
    assert admin_client.get(change).context["has_change_permission"] is False
    assert admin_client.post(change, {"note": "改写"}).status_code == 403
    delete = admin_url(IssueEvent, "delete", event.pk)
    assert admin_client.get(delete).status_code == 403
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    admin_client.post(
        admin_url(IssueEvent, "changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    event.refresh_from_db()
    assert (event.digest, event.note) == (digest, note)
    assert IssueEvent.objects.count() == count


def test_issue_events_are_named_by_the_ledger_number_in_the_admin(full_world, admin_client):
    # found by the admin browser journey: the inline headed each event "<database id>#1 登记"
    issue = full_world.running
    first = issue.events.order_by("seq").first()
    assert str(first) == f"{issue.number}#1 {first.get_action_display()}"
    page = admin_client.get(admin_url(Issue, "change", issue.pk)).content.decode()
    assert f"{issue.number}#1 {first.get_action_display()}" in page
    assert f">{issue.pk}#1 " not in page


def test_issue_event_admin_and_inline_refuse_every_write(full_world):
    request = admin_request(full_world.admin)
    event = IssueEvent.objects.first()
    model_admin = admin.site._registry[IssueEvent]
    inline = IssueEventInline(Issue, admin.site)
    for permissions in (model_admin, inline):
        assert permissions.has_add_permission(request, event.issue) is False
        assert permissions.has_change_permission(request, event) is False
        assert permissions.has_delete_permission(request, event) is False
    assert "delete_selected" not in model_admin.get_actions(request)


# -- enterprises and contacts: validated, normalised -----------------------------------------


def _enterprise_post(**fields):
    data = {
        "name": "焦作鑫诚耐火材料有限公司",
        "credit_code": VALID_CODE,
        "industry": "耐火材料",
        "scale": "above",
        "address": "",
        "subdistrict": "",
        "leader": "",
        "is_active": "on",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
        "_save": "保存",
    }
    data.update(fields)
    return data


def _with_contacts(data, *contacts):
    data["contacts-TOTAL_FORMS"] = str(len(contacts))
    for n, contact in enumerate(contacts):
        for key, value in contact.items():
            data[f"contacts-{n}-{key}"] = value
    return data


def _validator_message(code):
    with pytest.raises(ValidationError) as refused:
        validate_credit_code(code)
    return refused.value.messages[0]


@pytest.mark.parametrize("wrong", ["91110000600037341M", "9111000060003734", "91110000600037341I"])
def test_enterprise_admin_refuses_a_wrong_credit_code_with_the_validators_message(
    admin_client, wrong
):
    response = admin_client.post(admin_url(Enterprise, "add"), _enterprise_post(credit_code=wrong))
    assert response.status_code == 200
    assert _validator_message(wrong) in response.content.decode()
    assert not Enterprise.objects.filter(name="焦作鑫诚耐火材料有限公司").exists()


@pytest.mark.parametrize(
    "pasted",
    [VALID_CODE.lower(), " 9111 0000 6000 3734 1l ", "９１１１００００６０００３７３４１Ｌ"],
)
def test_enterprise_admin_accepts_a_pasted_code_after_normalising(admin_client, pasted):
    response = admin_client.post(admin_url(Enterprise, "add"), _enterprise_post(credit_code=pasted))
    assert response.status_code == 302
    assert Enterprise.objects.get(name="焦作鑫诚耐火材料有限公司").credit_code == VALID_CODE


def test_contact_mobile_is_normalised_under_the_enterprise(admin_client):
    data = _with_contacts(
        _enterprise_post(), {"name": "张经理", "mobile": "+86 139-1234-5678", "is_primary": "on"}
    )
    assert admin_client.post(admin_url(Enterprise, "add"), data).status_code == 302
    assert Contact.objects.get(name="张经理").mobile == "13912345678"


def test_contact_with_a_wrong_mobile_is_refused_with_a_message(admin_client):
    data = _with_contacts(_enterprise_post(), {"name": "张经理", "mobile": "1391234"})
    response = admin_client.post(admin_url(Enterprise, "add"), data)
    assert response.status_code == 200
    assert "手机号码应为 11 位数字" in response.content.decode()
    assert not Enterprise.objects.filter(name="焦作鑫诚耐火材料有限公司").exists()


def test_two_primary_contacts_are_refused_with_a_message(admin_client):
    data = _with_contacts(
        _enterprise_post(),
        {"name": "张经理", "mobile": "13912345678", "is_primary": "on"},
        {"name": "李会计", "mobile": "13912345679", "is_primary": "on"},
    )
    response = admin_client.post(admin_url(Enterprise, "add"), data)
    assert response.status_code == 200
    assert "每个企业只能有一位主要联系人。" in response.content.decode()
    assert not Enterprise.objects.filter(name="焦作鑫诚耐火材料有限公司").exists()


def test_user_mobile_is_normalised(world, admin_client):
    response = admin_client.get(admin_url(User, "change", world.staff_a.pk))
    form = response.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value is not None and name != "password"
    }
    data.update(
        {
            "mobile": "１３９ １２３４ ５６７８",
            "department": world.dept_a.pk,
            "date_joined_0": timezone.localtime(world.staff_a.date_joined).date().isoformat(),
            "date_joined_1": "08:00:00",
            "groups": [],
            "user_permissions": [],
        }
    )
    data.pop("date_joined", None)
    data.pop("last_login", None)
    for flag in ("is_active", "is_staff", "is_superuser"):
        if data.get(flag) is False:
            data.pop(flag)
    response = admin_client.post(admin_url(User, "change", world.staff_a.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    world.staff_a.refresh_from_db()
    assert world.staff_a.mobile == "13912345678"


# -- master data: history, deactivate, protected deletion ------------------------------------


MASTER_MODELS = [Department, Leader, Enterprise, Contact, KeyProject, Category, Source]


@pytest.mark.parametrize("model", MASTER_MODELS, ids=lambda m: m.__name__)
def test_history_page_of_master_data_opens(full_world, admin_client, model):
    obj = model.objects.first()
    before = obj.history.count()  # seeded lists may come from a migration, without history
    obj.save()
    assert obj.history.count() == before + 1
    response = admin_client.get(admin_url(model, "history", obj.pk))
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == obj.history.count() >= 1


def test_changing_a_department_in_the_admin_records_history(world, admin_client):
    department = world.dept_c
    before = department.history.count()
    response = admin_client.post(
        admin_url(Department, "change", department.pk),
        {
            "name": department.name,
            "short_name": "生态环境局",
            "kind": department.kind,
            "order": department.order,
            "is_active": "on",
            "_save": "保存",
        },
    )
    assert response.status_code == 302
    assert department.history.count() == before + 1
    latest = department.history.first()
    assert latest.short_name == "生态环境局"
    assert latest.history_user == world.admin
    page = admin_client.get(admin_url(Department, "history", department.pk))
    assert "生态环境局" in page.content.decode()


@pytest.mark.parametrize("model", [Department, Category, Source], ids=lambda m: m.__name__)
def test_deactivate_and_activate_actions_record_history(world, admin_client, model):
    obj = model.objects.first()
    url = admin_url(model, "changelist")
    before = obj.history.count()
    admin_client.post(url, {"action": "deactivate", "_selected_action": [obj.pk]})
    obj.refresh_from_db()
    assert obj.is_active is False
    admin_client.post(url, {"action": "activate", "_selected_action": [obj.pk]})
    obj.refresh_from_db()
    assert obj.is_active is True
    assert obj.history.count() == before + 2


def test_user_deactivate_action_spares_the_administrator_themself(world, admin_client):
    response = admin_client.post(
        admin_url(User, "changelist"),
        {"action": "deactivate_users", "_selected_action": [world.staff_a.pk, world.admin.pk]},
        follow=True,
    )
    world.staff_a.refresh_from_db()
    world.admin.refresh_from_db()
    assert world.staff_a.is_active is False
    assert world.admin.is_active is True
    assert any("不能停用您自己的账号" in str(m) for m in response.context["messages"])
    admin_client.post(
        admin_url(User, "changelist"),
        {"action": "activate_users", "_selected_action": [world.staff_a.pk]},
    )
    world.staff_a.refresh_from_db()
    assert world.staff_a.is_active is True


def test_deleting_a_department_in_use_is_refused_cleanly(full_world, admin_client):
    department = full_world.dept_b  # lead department of an issue, home of staff_b
    response = admin_client.post(admin_url(Department, "delete", department.pk), {"post": "yes"})
    assert response.status_code == 200
    assert response.context["protected"]  # Django's "cannot delete, in use" page
    assert Department.objects.filter(pk=department.pk).exists()


def test_ledger_counter_is_read_only(full_world, admin_client):
    counter = LedgerCounter.objects.get()
    last = counter.last
    url = admin_url(LedgerCounter, "change", counter.pk)
    assert admin_client.get(url).context["has_change_permission"] is False
    assert admin_client.post(url, {"last": 0}).status_code == 403
    assert admin_client.post(admin_url(LedgerCounter, "delete", counter.pk)).status_code == 403
    counter.refresh_from_db()
    assert counter.last == last


def test_issue_date_hierarchy_drills_into_a_year(world, admin_client):
    issue = world.raise_issue(
        at=datetime.datetime(2025, 3, 1, 9, tzinfo=timezone.get_current_timezone())
    )
    world.raise_issue()
    response = admin_client.get(admin_url(Issue, "changelist"), {"raised_at__year": "2025"})
    assert changelist_numbers(response) == {issue.number}


def test_enterprise_autocomplete_on_the_issue_form_finds_by_credit_code(world, admin_client):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "ledger",
            "model_name": "issue",
            "field_name": "enterprise",
            "term": world.enterprise.credit_code[-6:],
        },
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == [world.enterprise.name]
