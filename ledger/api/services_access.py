"""The writes that decide who may call the API as a system: registering a client (with its
service account and first secret), rotating and revoking secrets, switching a client off.

Each returns the plain secret it made, if any: the caller shows it once and forgets it; only
its digest is stored. The admin (admin_access.py) and the demo (apps.py) call these.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from ledger import auditing

from .models import ApiClient, ClientSecret
from .secrets import CLIENT, secret_make


def account_username(name: str) -> str:
    """`api_<slug>` of the client's name, unique among accounts (`api_<slug>_2` …). A name in
    Chinese characters alone slugs to nothing: then `api_client`."""
    User = get_user_model()
    base = f"api_{slugify(name)[:40].strip('-_') or 'client'}"
    candidate, n = base, 1
    while User._default_manager.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}_{n}"
    return candidate


def secret_add(client: ApiClient, *, now: datetime.datetime | None = None) -> str:
    """A new secret for `client`; returns its plain value (shown once)."""
    new = secret_make(CLIENT)
    ClientSecret.objects.create(
        client=client, prefix=new.prefix, digest=new.digest, created_at=now or timezone.now()
    )
    return new.plain


@transaction.atomic
def client_register(*, client: ApiClient, actor, request=None) -> str:
    """Save a new (unsaved) client with its service account (role staff of the client's
    department, unusable password, no admin, named as the client) and its first secret.
    Returns the secret's plain value."""
    User = get_user_model()
    account = User(
        username=account_username(client.name),
        name=client.name[:50],
        role=User.Role.STAFF,
        department=client.department,
        is_staff=False,
        is_superuser=False,
        is_active=client.is_active,
    )
    account.set_unusable_password()
    account.save()
    client.account = account
    client.created_by = actor
    client.save()
    plain = secret_add(client)
    auditing.record(
        auditing.Kind.API_CLIENT_REGISTERED,
        actor=actor,
        request=request,
        target=f"api client {client.name}",
        detail={
            "account": account.username,
            "department": client.department_id,
            "scopes": list(client.scopes),
        },
    )
    return plain


@transaction.atomic
def client_account_sync(*, client: ApiClient, actor, request=None, changed=()) -> None:
    """After a change in the admin: the service account follows the client's name, department
    and whether it is switched on (a client switched off cannot call with any secret)."""
    account = client.account
    account.name = client.name[:50]
    account.department = client.department
    account.is_active = client.is_active
    account.save(update_fields=["name", "department", "is_active"])
    if changed:
        auditing.record(
            auditing.Kind.API_CLIENT_CHANGED,
            actor=actor,
            request=request,
            target=f"api client {client.name}",
            detail={"changed": sorted(changed), "is_active": client.is_active},
        )


def client_deactivate(*, client: ApiClient, actor, request=None) -> None:
    if not client.is_active and not client.account.is_active:
        return
    client.is_active = False
    client.save(update_fields=["is_active"])
    client_account_sync(client=client, actor=actor, request=request, changed=["is_active"])


@transaction.atomic
def client_secret_rotate(*, client: ApiClient, actor, request=None) -> str:
    """A new secret; the old ones still in force keep working for API_SECRET_OVERLAP_HOURS
    (an old one that expires sooner keeps its earlier expiry). Returns the new plain value."""
    now = timezone.now()
    until = now + datetime.timedelta(hours=settings.API_SECRET_OVERLAP_HOURS)
    old = ClientSecret.objects.filter(client=client, revoked_at__isnull=True)
    old.filter(expires_at__isnull=True).update(expires_at=until)
    old.filter(expires_at__gt=until).update(expires_at=until)
    plain = secret_add(client, now=now)
    auditing.record(
        auditing.Kind.API_SECRET_ROTATED,
        actor=actor,
        request=request,
        target=f"api client {client.name}",
        detail={
            "old_expire_at": until.isoformat(),
            "overlap_hours": settings.API_SECRET_OVERLAP_HOURS,
        },
    )
    return plain


def client_secret_revoke(*, secret: ClientSecret, actor, request=None) -> bool:
    """Revoke one secret at once; False if it was revoked already."""
    done = ClientSecret.objects.filter(pk=secret.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if done:
        auditing.record(
            auditing.Kind.API_SECRET_REVOKED,
            actor=actor,
            request=request,
            target=f"api client {secret.client.name}",
            detail={"secret": secret.prefix},
        )
    return bool(done)
