"""The admin action "导出所选问题为 Excel" on the Issue changelist."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from ledger.exchange.columns import LEDGER_COLUMN_KEYS
from ledger.exchange.export_views import issues_export_action
from ledger.exchange.models import ExportJob
from ledger.models import Issue
from tests.exchange.conftest import workbook_of
from tests.test_views_ledger import VISIBLE

CHANGELIST = "/admin/ledger/issue/"
NUMBER = LEDGER_COLUMN_KEYS.index("number")


def numbers_of(book):
    return [row[NUMBER] for row in book.worksheets[0].iter_rows(min_row=3, values_only=True)]


def run_action(client, issues, query="", **extra):
    data = {
        "action": "issues_export_action",
        "_selected_action": [issue.pk for issue in issues],
        **extra,
    }
    return client.post(CHANGELIST + query, data)


def test_the_action_is_offered_on_the_issue_changelist(client, world):
    issue_admin = admin.site.get_model_admin(Issue)
    assert issues_export_action in issue_admin.actions
    client.force_login(world.admin)
    world.raise_issue()
    html = client.get(CHANGELIST).content.decode()
    assert 'value="issues_export_action"' in html
    assert "导出所选问题为 Excel" in html


def test_exports_exactly_the_selected_rows(client, export_ledger):
    chosen = [export_ledger.issues[k] for k in ("assigned", "overdue", "withdrawn")]
    client.force_login(export_ledger.w.admin)
    response = run_action(client, chosen)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    book = workbook_of(response)
    numbers = numbers_of(book)
    # in the ledger's default order: newest number first
    assert numbers == sorted((i.number for i in chosen), reverse=True)
    assert "所选 3 条问题" in book.worksheets[0]["A1"].value


def test_select_across_exports_the_whole_filtered_changelist(client, export_ledger):
    client.force_login(export_ledger.w.admin)
    response = run_action(
        client, [export_ledger.issues["closed"]], "?status__exact=in_progress", select_across="1"
    )
    # select_across takes every row of the changelist the admin was looking at
    assert response.status_code == 200
    assert export_ledger.keys(numbers_of(workbook_of(response))) == {"due_soon", "overdue"}


@pytest.mark.parametrize("who", ["staff_a", "leader"])
def test_the_selection_is_still_intersected_with_what_the_user_may_see(export_ledger, who):
    # the admin site only admits administrators, who see everything; the action itself
    # still only writes rows visible_to(request.user), whoever calls it
    w = export_ledger.w
    user = getattr(w, who)
    request = RequestFactory().post(CHANGELIST)
    request.user = getattr(user, "user", user)
    response = issues_export_action(admin.site.get_model_admin(Issue), request, Issue.objects.all())
    assert export_ledger.keys(numbers_of(workbook_of(response))) == VISIBLE[who]


def test_a_large_selection_becomes_a_background_job(
    client, export_ledger, settings, django_capture_on_commit_callbacks
):
    settings.EXCHANGE = {**settings.EXCHANGE, "EXPORT_BACKGROUND_ROWS": 2}
    chosen = [export_ledger.issues[k] for k in ("raised_late", "closed", "due_soon", "resolved")]
    client.force_login(export_ledger.w.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, chosen)
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert response.url == f"/exports/{job.pk}/"
    expected = sorted((i.number for i in chosen), reverse=True)
    assert job.params == {"ids": [Issue.objects.get(number=n).pk for n in expected]}
    assert job.state == "done"
    book = workbook_of(client.get(f"/exports/{job.pk}/download/"))
    assert numbers_of(book) == expected
    assert "所选 4 条问题" in book.worksheets[0]["A1"].value
