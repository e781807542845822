"""Shared fixtures of the API's tests: a person's token, a system client with scopes, and a
test client that sends a bearer secret."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from ledger.api.models import ApiClient, ClientSecret, PersonalToken
from ledger.api.permissions import SCOPES
from ledger.api.secrets import CLIENT, PERSONAL, secret_make
from tests import factories as f


@pytest.fixture
def api_token_for(db):
    """api_token_for(user) -> the plain personal token (valid 30 days)."""

    def make(user, *, name="测试令牌") -> str:
        new = secret_make(PERSONAL)
        PersonalToken.objects.create(
            user=user,
            name=name,
            prefix=new.prefix,
            digest=new.digest,
            expires_at=timezone.now() + datetime.timedelta(days=30),
        )
        return new.plain

    return make


@pytest.fixture
def api_client_for(db):
    """api_client_for(department, scopes=every scope, sees="own", **fields) -> (client, plain
    secret). The client's account is staff of `department`, as the admin registers it."""
    counter = iter(range(1, 10_000))

    def make(department, scopes=None, sees=ApiClient.Sees.OWN, **fields):
        n = next(counter)
        account = f.StaffFactory(
            username=f"api_client_{n}", name=f"接口客户端{n}", department=department
        )
        account.set_unusable_password()
        account.save()
        client = ApiClient.objects.create(
            name=fields.pop("name", f"测试系统{n}"),
            account=account,
            department=department,
            scopes=list(SCOPES) if scopes is None else list(scopes),
            sees=sees,
            created_by=fields.pop("created_by", None) or f.AdminFactory(username=f"api_reg_{n}"),
            **fields,
        )
        new = secret_make(CLIENT)
        ClientSecret.objects.create(client=client, prefix=new.prefix, digest=new.digest)
        return client, new.plain

    return make


class BearerClient(Client):
    """Django's test client sending `Authorization: Bearer <secret>` on every request."""

    def __init__(self, secret: str, **defaults):
        super().__init__(HTTP_AUTHORIZATION=f"Bearer {secret}", **defaults)

    def post_json(self, path, data=None, **extra):
        return self.post(path, data or {}, content_type="application/json", **extra)


@pytest.fixture
def bearer():
    """bearer(secret) -> a test client that signs in with the secret."""
    return BearerClient
