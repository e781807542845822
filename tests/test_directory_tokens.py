"""Single-use tokens on the directory's adding pages (issue 18, finding 5): a double click,
two tabs or a replayed request adds one enterprise or key project, not two, and the second
submission is led to what the first one added."""

import re
import time
import uuid

import pytest
from django.urls import reverse

from ledger.models import CreationToken, Enterprise, KeyProject
from ledger.services.creation import TOKEN_PATTERN
from tests.test_directory_upkeep import enterprise_data, project_data

PAGES = {
    "enterprise": (reverse("enterprise_create"), Enterprise, "enterprise_detail"),
    "project": (reverse("project_create"), KeyProject, "project_detail"),
}


def _data(world, kind, token):
    data = enterprise_data() if kind == "enterprise" else project_data(world)
    data["creation_token"] = token
    return data


@pytest.mark.parametrize("kind", PAGES)
def test_each_adding_page_carries_a_fresh_token(client, world, kind):
    url = PAGES[kind][0]
    client.force_login(world.supervisor)
    tokens = set()
    for _page in range(2):
        html = client.get(url).content.decode()
        tokens |= set(re.findall(r'name="creation_token" value="([0-9a-f]+)"', html))
    assert len(tokens) == 2 and all(TOKEN_PATTERN.match(t) for t in tokens)


@pytest.mark.parametrize("kind", PAGES)
def test_a_replayed_adding_page_adds_one_and_leads_to_it(client, world, kind):
    url, model, detail = PAGES[kind]
    before = model.objects.count()
    client.force_login(world.supervisor)
    data = _data(world, kind, uuid.uuid4().hex)
    first = client.post(url, data)
    added = model.objects.latest("pk")
    assert first.status_code == 302 and first.url == reverse(detail, args=[added.pk])
    for _again in range(2):  # a double click, then Back and send
        again = client.post(url, data, follow=True)
        assert again.redirect_chain[-1][0] == reverse(detail, args=[added.pk])
        html = again.content.decode()
        assert f"该页面已经提交过，“{added.name}”已添加，未重复添加。" in html
    assert model.objects.count() == before + 1
    assert CreationToken.objects.get(token=data["creation_token"]).object_pk == added.pk


@pytest.mark.parametrize("kind", PAGES)
def test_an_adding_page_without_its_token_adds_nothing(client, world, kind):
    url, model, _detail = PAGES[kind]
    before = model.objects.count()
    client.force_login(world.supervisor)
    for token in ("", "not-a-token", "A" * 32, "0" * 31):
        response = client.post(url, _data(world, kind, token))
        assert response.status_code == 200
        assert "页面信息不完整，请刷新页面后重新提交。" in response.content.decode()
    data = _data(world, kind, "")
    del data["creation_token"]
    assert client.post(url, data).status_code == 200
    assert model.objects.count() == before
    assert not CreationToken.objects.exists()


@pytest.mark.parametrize("kind", PAGES)
def test_another_persons_token_adds_nothing_and_names_nothing(client, world, kind):
    url, model, _detail = PAGES[kind]
    client.force_login(world.supervisor)
    data = _data(world, kind, uuid.uuid4().hex)
    client.post(url, data)
    count = model.objects.count()
    client.force_login(world.admin)
    response = client.post(url, data, follow=True)
    assert model.objects.count() == count
    assert "该页面已经提交过，未重复添加。" in response.content.decode()


def test_a_token_of_another_form_kind_adds_nothing(client, world):
    client.force_login(world.supervisor)
    token = uuid.uuid4().hex
    client.post(PAGES["enterprise"][0], _data(world, "enterprise", token))
    count = KeyProject.objects.count()
    response = client.post(PAGES["project"][0], _data(world, "project", token), follow=True)
    assert KeyProject.objects.count() == count
    assert "该页面已经提交过，未重复添加。" in response.content.decode()


def test_a_refused_adding_leaves_its_token_usable(client, world, monkeypatch):
    """The claim is part of the adding's transaction: a refusal by the directory's door
    takes it back with it, and the page may be sent again."""
    from django.core.exceptions import ValidationError

    from ledger import services

    real = services.enterprise_create

    def refused(**kwargs):
        real(**kwargs)  # written, then refused: all of it is rolled back
        raise ValidationError({"name": "暂不能添加。"})

    monkeypatch.setattr(services, "enterprise_create", refused)
    client.force_login(world.supervisor)
    before = Enterprise.objects.count()
    data = _data(world, "enterprise", uuid.uuid4().hex)
    response = client.post(PAGES["enterprise"][0], data)
    assert response.status_code == 200 and "暂不能添加。" in response.content.decode()
    assert not CreationToken.objects.exists() and Enterprise.objects.count() == before
    monkeypatch.setattr(services, "enterprise_create", real)
    assert client.post(PAGES["enterprise"][0], data).status_code == 302
    assert Enterprise.objects.count() == before + 1


def test_the_edit_pages_need_no_token(client, world):
    from tests import factories as f

    client.force_login(world.supervisor)
    for url in (
        reverse("enterprise_edit", args=[world.enterprise.pk]),
        reverse("project_edit", args=[f.KeyProjectFactory().pk]),
    ):
        html = client.get(url).content.decode()
        assert 'name="creation_token"' not in html, url
    # an edit sent without one is saved
    data = enterprise_data(name="改名后的企业", credit_code=world.enterprise.credit_code)
    del data["creation_token"]
    data.update(
        {"contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0"},
    )
    data = {k: v for k, v in data.items() if not k.startswith("contacts-0-")}
    response = client.post(reverse("enterprise_edit", args=[world.enterprise.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    world.enterprise.refresh_from_db()
    assert world.enterprise.name == "改名后的企业"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", PAGES)
def test_two_submissions_of_one_adding_page_at_once_add_one(world, monkeypatch, kind):
    """A double click: the same page posted twice at the same moment (threads on
    PostgreSQL, the second waiting on the token's unique index; in turn on SQLite)."""
    from django.test import Client

    from ledger import services
    from tests.test_concurrency import race

    url, model, detail = PAGES[kind]
    name = f"{kind}_create"
    real = getattr(services, name)

    def slow(*args, **kwargs):
        added = real(*args, **kwargs)
        time.sleep(0.3)  # the first keeps its transaction open while the second arrives
        return added

    monkeypatch.setattr(services, name, slow)
    before = model.objects.count()
    clients = [Client(), Client()]
    for one in clients:
        one.force_login(world.supervisor)
    data = _data(world, kind, uuid.uuid4().hex)
    results = race(*[lambda one=one: one.post(url, data) for one in clients])
    assert all(getattr(r, "status_code", None) == 302 for r in results), results
    assert model.objects.count() == before + 1
    added = model.objects.latest("pk")
    assert {r.url for r in results} == {reverse(detail, args=[added.pk])}
