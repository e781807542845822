"""The issue resources: list with filters, sorts, cursor and fields; detail with the timeline
and ETag; raising with Idempotency-Key; actions with If-Match (428, 412); attachments."""

import json

import pytest
from django.urls import reverse

from ledger import workflow
from ledger.api.models import ApiClient, IdempotencyRecord
from ledger.models import Issue, IssueEvent
from tests import factories as f
from tests.authz.world import png_bytes

pytestmark = pytest.mark.django_db

LIST = "/api/v1/issues/"


@pytest.fixture
def world(db):
    dept = f.DepartmentFactory(name="区发改委")
    other = f.DepartmentFactory(name="区教育局")
    staff = f.StaffFactory(username="api_staff", department=dept)
    outsider = f.StaffFactory(username="api_outsider", department=other)
    supervisor = f.SupervisorFactory(username="api_sup")
    leader = f.LeaderFactory(user__username="api_leader")
    category = f.CategoryFactory(name="用地")
    source = f.SourceFactory(name="企业走访")
    issues = [
        workflow.issue_raise(
            actor=staff,
            title=f"接口问题{i:02d}",
            description="描述",
            category=category,
            source=source,
        )
        for i in range(7)
    ]
    hidden = workflow.issue_raise(
        actor=outsider, title="教育局的问题", description="描述", category=category, source=source
    )
    return {
        "dept": dept,
        "staff": staff,
        "outsider": outsider,
        "supervisor": supervisor,
        "leader": leader,
        "category": category,
        "source": source,
        "issues": issues,
        "hidden": hidden,
    }


def test_list_shows_only_visible_issues_and_pages_by_cursor(world, api_token_for, bearer):
    client = bearer(api_token_for(world["staff"]))
    seen = []
    url = f"{LIST}?limit=3"
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["results"]) <= 3
        seen += [row["number"] for row in body["results"]]
        url = f"{LIST}?limit=3&cursor={body['next']}" if body["next"] else None
        pages += 1
    assert pages == 3
    assert seen == [i.number for i in reversed(world["issues"])]
    assert world["hidden"].number not in seen


@pytest.mark.parametrize("sort", ["title", "-title", "deadline", "-raised", "status", "health"])
def test_cursor_pages_in_every_sort_neither_repeat_nor_skip(world, api_token_for, bearer, sort):
    client = bearer(api_token_for(world["supervisor"]))
    whole = client.get(f"{LIST}?sort={sort}&limit=200").json()["results"]
    seen, cursor = [], None
    while True:
        query = f"{LIST}?sort={sort}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(query).json()
        seen += [row["number"] for row in body["results"]]
        cursor = body["next"]
        if not cursor:
            break
    assert seen == [row["number"] for row in whole]
    assert len(seen) == 8


def test_list_filters_and_fields(world, api_token_for, bearer):
    client = bearer(api_token_for(world["supervisor"]))
    response = client.get(f"{LIST}?q=教育局&fields=number,title")
    assert response.status_code == 200
    assert response.json()["results"] == [
        {"number": world["hidden"].number, "title": "教育局的问题"}
    ]


@pytest.mark.parametrize(
    "query, field",
    [
        ("fields=number,bogus", "fields"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("cursor=forged", "cursor"),
        ("status=nonsense", "status"),
        ("raised_after=2026-13-45", "raised"),
    ],
)
def test_bad_list_parameters_are_400_problems(world, api_token_for, bearer, query, field):
    response = bearer(api_token_for(world["staff"])).get(f"{LIST}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert any(name.startswith(field) for name in response.json()["errors"])


def test_detail_has_timeline_and_etag_and_hides_other_issues(world, api_token_for, bearer):
    client = bearer(api_token_for(world["staff"]))
    issue = world["issues"][0]
    response = client.get(f"/api/v1/issues/{issue.number}/")
    assert response.status_code == 200
    assert response["ETag"] == f'"{issue.version}"'
    body = response.json()
    assert [e["action"] for e in body["events"]] == ["raise"]
    assert body["number"] == issue.number
    assert client.get(f"/api/v1/issues/{world['hidden'].number}/").status_code == 404


def _assign_payload(world):
    return {
        "leader": world["leader"].pk,
        "lead_department": world["dept"].pk,
        "deadline": f.days_from_today(30).isoformat(),
        "note": "请尽快办理",
    }


def test_action_needs_if_match_428_and_stale_is_412_and_changes_nothing(
    world, api_token_for, bearer
):
    client = bearer(api_token_for(world["supervisor"]))
    issue = world["issues"][0]
    url = f"/api/v1/issues/{issue.number}/actions/assign/"
    events = IssueEvent.objects.count()

    missing = client.post_json(url, _assign_payload(world))
    assert missing.status_code == 428
    stale = client.post_json(url, _assign_payload(world), HTTP_IF_MATCH=f'"{issue.version + 5}"')
    assert stale.status_code == 412
    assert stale["Content-Type"] == "application/problem+json"
    issue.refresh_from_db()
    assert issue.status == "raised" and IssueEvent.objects.count() == events

    done = client.post_json(url, _assign_payload(world), HTTP_IF_MATCH=f'"{issue.version}"')
    assert done.status_code == 200, done.content
    issue.refresh_from_db()
    assert issue.status == "assigned"
    assert done.json()["version"] == issue.version
    assert done["ETag"] == f'"{issue.version}"'
    # the same If-Match again: the issue moved on, so 412 and nothing more written
    again = client.post_json(url, _assign_payload(world), HTTP_IF_MATCH=f'"{issue.version - 1}"')
    assert again.status_code == 412


def test_action_input_is_validated_by_the_screen_form(world, api_token_for, bearer):
    client = bearer(api_token_for(world["supervisor"]))
    issue = world["issues"][0]
    payload = {**_assign_payload(world), "deadline": "2000-01-01"}
    response = client.post_json(
        f"/api/v1/issues/{issue.number}/actions/assign/", payload, HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 400
    assert "deadline" in response.json()["errors"]
    issue.refresh_from_db()
    assert issue.status == "raised"


def test_action_the_role_may_not_take_is_403_and_unknown_is_404(world, api_token_for, bearer):
    client = bearer(api_token_for(world["staff"]))
    issue = world["issues"][0]
    refused = client.post_json(
        f"/api/v1/issues/{issue.number}/actions/assign/",
        _assign_payload(world),
        HTTP_IF_MATCH='"1"',
    )
    assert refused.status_code == 403
    unknown = client.post_json(
        f"/api/v1/issues/{issue.number}/actions/fly/", {}, HTTP_IF_MATCH='"1"'
    )
    assert unknown.status_code == 404


def test_raise_with_idempotency_key_creates_once(world, api_token_for, bearer):
    client = bearer(api_token_for(world["staff"]))
    payload = {
        "title": "新登记的问题",
        "description": "经由接口登记",
        "category": world["category"].pk,
        "source": world["source"].pk,
    }
    first = client.post_json(LIST, payload, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201, first.content
    second = client.post_json(LIST, payload, HTTP_IDEMPOTENCY_KEY="k-1")
    assert second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.json()["number"] == first.json()["number"]
    assert Issue.objects.filter(title="新登记的问题").count() == 1
    other = client.post_json(LIST, {**payload, "title": "另一个"}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422
    assert Issue.objects.filter(title="另一个").count() == 0
    assert IdempotencyRecord.objects.count() == 1


def test_refused_raise_keeps_no_key_and_can_be_corrected(world, api_token_for, bearer):
    client = bearer(api_token_for(world["staff"]))
    bad = client.post_json(LIST, {"title": "", "description": "x"}, HTTP_IDEMPOTENCY_KEY="k-2")
    assert bad.status_code == 400
    assert IdempotencyRecord.objects.count() == 0


def test_raise_refuses_what_the_form_refuses(world, api_token_for, bearer):
    client = bearer(api_token_for(world["staff"]))
    response = client.post_json(
        LIST, {"title": "x", "description": "y", "category": 999999, "source": world["source"].pk}
    )
    assert response.status_code == 400
    assert "category" in response.json()["errors"]


def test_scoped_client_sees_only_its_own_issues(world, api_client_for, bearer):
    client, secret = api_client_for(world["dept"], sees=ApiClient.Sees.OWN)
    api = bearer(secret)
    assert api.get(LIST).json()["results"] == []
    created = api.post_json(
        LIST,
        {
            "title": "系统登记的问题",
            "description": "来自外部系统",
            "category": world["category"].pk,
            "source": world["source"].pk,
        },
    )
    assert created.status_code == 201, created.content
    numbers = [row["number"] for row in api.get(LIST).json()["results"]]
    assert numbers == [created.json()["number"]]
    assert api.get(f"/api/v1/issues/{world['issues'][0].number}/").status_code == 404


def test_client_without_the_scope_is_403(world, api_client_for, bearer):
    _client, secret = api_client_for(world["dept"], scopes=["directory:read"])
    response = bearer(secret).get(LIST)
    assert response.status_code == 403


def test_client_calls_are_audited_with_rows(world, api_client_for, bearer):
    from ledger.audit.models import AuditRecord

    _client, secret = api_client_for(world["dept"], sees=ApiClient.Sees.DEPARTMENT)
    before = AuditRecord.objects.filter(kind="api_call").count()
    bearer(secret).get(LIST)
    record = AuditRecord.objects.filter(kind="api_call").order_by("-pk").first()
    assert AuditRecord.objects.filter(kind="api_call").count() == before + 1
    assert record.detail["rows"] == 7


def test_attachment_upload_through_comment_and_download(world, api_token_for, bearer):
    client = bearer(api_token_for(world["staff"]))
    issue = world["issues"][0]
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("现场.png", png_bytes(), content_type="image/png")
    response = client.post(
        f"/api/v1/issues/{issue.number}/actions/comment/",
        {"note": "附现场照片", "attachments": [upload]},
        HTTP_IF_MATCH=f'"{issue.version}"',
    )
    assert response.status_code == 200, response.content
    detail = client.get(f"/api/v1/issues/{issue.number}/").json()
    (attachment,) = detail["attachments"]
    download = client.get(attachment["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == png_bytes()
    fake = SimpleUploadedFile("假图.png", b"not a png at all", content_type="image/png")
    refused = client.post(
        f"/api/v1/issues/{issue.number}/actions/comment/",
        {"note": "假图片", "attachments": [fake]},
        HTTP_IF_MATCH=f'"{issue.version + 1}"',
    )
    assert refused.status_code == 400
    assert "attachments" in refused.json()["errors"]


@pytest.mark.parametrize(
    "language, message", [("en", "This field is required."), ("zh-hans", "该字段是必填项。")]
)
def test_field_errors_in_the_callers_language(world, api_token_for, bearer, language, message):
    client = bearer(api_token_for(world["staff"]))
    response = client.post_json(LIST, {"description": "x"}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    assert response.json()["errors"]["title"] == [message]


def test_malformed_json_is_400_not_500(world, api_token_for, bearer):
    client = bearer(api_token_for(world["staff"]))
    response = client.post(LIST, "{not json", content_type="application/json")
    assert response.status_code == 400
    response = client.post(LIST, json.dumps([1, 2]), content_type="application/json")
    assert response.status_code == 400


def test_too_large_body_is_413(world, api_token_for, bearer, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    client = bearer(api_token_for(world["staff"]))
    response = client.post_json(LIST, {"title": "x" * 500})
    assert response.status_code == 413


def test_reverse_names():
    assert reverse("api:issues") == LIST


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_list_and_detail_queries_do_not_grow_with_rows(world, api_token_for, bearer):
    client = bearer(api_token_for(world["supervisor"]))
    client.get(LIST)  # warm: what the first request of a process loads once
    few = _queries(client, f"{LIST}?limit=3")
    detail_few = _queries(client, f"/api/v1/issues/{world['issues'][0].number}/")
    for i in range(12):
        issue = workflow.issue_raise(
            actor=world["staff"],
            title=f"更多问题{i}",
            description="描述",
            category=world["category"],
            source=world["source"],
        )
        workflow.transition(issue, actor=world["staff"], action="comment", note=f"备注{i}")
    many = _queries(client, f"{LIST}?limit=15")
    detail_many = _queries(client, f"/api/v1/issues/{issue.number}/")
    assert many == few
    assert detail_many == detail_few


def test_a_client_raises_only_with_its_source_and_categories(world, api_client_for, bearer):
    hotline = f.SourceFactory(name="12345 热线")
    allowed = f.CategoryFactory(name="水电气暖")
    client, secret = api_client_for(world["dept"], source=hotline)
    client.categories.set([allowed])
    api = bearer(secret)
    payload = {"title": "热线工单", "description": "停水", "category": allowed.pk}
    other_source = api.post_json(LIST, {**payload, "source": world["source"].pk})
    assert other_source.status_code == 400
    assert "source" in other_source.json()["errors"]
    other_category = api.post_json(LIST, {**payload, "category": world["category"].pk})
    assert other_category.status_code == 400
    assert "category" in other_category.json()["errors"]
    created = api.post_json(LIST, payload)
    assert created.status_code == 201, created.content
    assert created.json()["source"]["name"] == "12345 热线"
    assert Issue.objects.get(number=created.json()["number"]).raised_by == client.account


def test_edit_before_assignment_changes_only_what_is_sent(world, api_token_for, bearer):
    client = bearer(api_token_for(world["staff"]))
    issue = world["issues"][1]
    url = f"/api/v1/issues/{issue.number}/actions/edit/"
    refused = client.post_json(url, {"number": "ZZ-1"}, HTTP_IF_MATCH=f'"{issue.version}"')
    assert refused.status_code == 400
    done = client.post_json(url, {"title": "改过的标题"}, HTTP_IF_MATCH=f'"{issue.version}"')
    assert done.status_code == 200, done.content
    issue.refresh_from_db()
    assert (issue.title, issue.description) == ("改过的标题", "描述")
    assert done.json()["event"]["changes"]["title"][1] == "改过的标题"
