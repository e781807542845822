"""The visit form's single-use token (issue 18, finding 5): a double click, two tabs or a
replayed request records one visit (and its problems as one set of issues), not two."""

import re
import time
import uuid

import pytest
from django.urls import reverse

from ledger.models import CreationToken, Issue
from ledger.service.models import Visit
from ledger.services.creation import TOKEN_PATTERN
from tests.service.test_visits import NEW, _form


def _url(sw):
    return f"{NEW}?enterprise={sw.enterprise.pk}"


def test_the_visit_form_carries_a_fresh_token_and_the_edit_form_none(client, sw):
    client.force_login(sw.staff_sub)
    tokens = set()
    for _page in range(2):
        html = client.get(_url(sw)).content.decode()
        tokens |= set(re.findall(r'name="creation_token" value="([0-9a-f]+)"', html))
    assert len(tokens) == 2 and all(TOKEN_PATTERN.match(t) for t in tokens)
    visit = sw.visit(actor=sw.staff_sub, problems=[sw.problem()])
    html = client.get(reverse("service:visit_edit", args=[visit.pk])).content.decode()
    assert 'name="creation_token"' not in html


def test_a_replayed_visit_form_records_one_visit_and_leads_to_it(client, sw):
    client.force_login(sw.staff_sub)
    data = _form(sw, problems=["积水", "断电"])
    first = client.post(_url(sw), data)
    visit = Visit.objects.get()
    detail = reverse("service:visit_detail", args=[visit.pk])
    assert first.status_code == 302 and first["Location"] == detail
    for _again in range(2):
        again = client.post(_url(sw), data, follow=True)
        assert again.redirect_chain[-1][0] == detail
        assert "该走访登记页面已经提交过，走访已登记，未重复登记。" in again.content.decode()
    assert Visit.objects.count() == 1
    assert Issue.objects.count() == 2


def test_a_visit_form_without_its_token_records_nothing(client, sw):
    client.force_login(sw.staff_sub)
    for token in ("", "not-a-token", "A" * 32):
        response = client.post(_url(sw), _form(sw, problems=["积水"], creation_token=token))
        assert response.status_code == 200
        assert "页面信息不完整，请刷新页面后重新提交。" in response.content.decode()
    data = _form(sw, no_problems=True)
    del data["creation_token"]
    assert client.post(_url(sw), data).status_code == 200
    assert not Visit.objects.exists() and not Issue.objects.exists()
    assert not CreationToken.objects.exists()


def test_another_persons_token_records_nothing_and_shows_nothing(client, sw):
    client.force_login(sw.staff_sub)
    data = _form(sw, problems=["积水"])
    client.post(_url(sw), data)
    visit = Visit.objects.get()
    client.force_login(sw.supervisor)
    response = client.post(_url(sw), data, follow=True)
    assert Visit.objects.count() == 1 and Issue.objects.count() == 1
    assert response.redirect_chain[-1][0] == reverse("service:visit_list")
    assert "该走访登记页面已经提交过，未重复登记。" in response.content.decode()
    assert reverse("service:visit_detail", args=[visit.pk]) not in response.redirect_chain[-1][0]


def test_a_refused_visit_leaves_its_token_usable(client, sw):
    """A refusal by the service (no problems and the box unticked) claims nothing."""
    client.force_login(sw.staff_sub)
    token = uuid.uuid4().hex
    refused = client.post(_url(sw), _form(sw, creation_token=token))
    assert refused.status_code == 200 and "没有问题时请勾选" in refused.content.decode()
    assert not CreationToken.objects.exists()
    accepted = client.post(_url(sw), _form(sw, no_problems=True, creation_token=token))
    assert accepted.status_code == 302 and Visit.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_submissions_of_one_visit_form_at_once_record_one_visit(sw, monkeypatch):
    """A double click on a phone: the same form posted twice at the same moment (threads on
    PostgreSQL, the second waiting on the token's unique index; in turn on SQLite)."""
    from django.test import Client

    from ledger.service import services
    from tests.test_concurrency import race

    real = services.visit_record

    def slow(**kwargs):
        visit = real(**kwargs)
        time.sleep(0.3)  # the first keeps its transaction open while the second arrives
        return visit

    monkeypatch.setattr(services, "visit_record", slow)
    clients = [Client(), Client()]
    for one in clients:
        one.force_login(sw.staff_sub)
    data = _form(sw, problems=["积水"])
    results = race(*[lambda one=one: one.post(_url(sw), data) for one in clients])
    assert all(getattr(r, "status_code", None) == 302 for r in results), results
    visit = Visit.objects.get()
    assert Issue.objects.count() == 1
    assert {r["Location"] for r in results} == {reverse("service:visit_detail", args=[visit.pk])}
