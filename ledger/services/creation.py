"""Creation forms' single-use tokens (models.CreationToken): claimed in the transaction that
creates the object, so of two submissions of one form only the first creates anything.

The logging page (/issues/new/) claims its token by hand (views/intake.py); the other
creation forms (an enterprise, a key project, a visit) use the pieces below:
creation_token_field() on the form, creation_replay_of() before the form is validated (a
replay of a page whose object now exists would otherwise be told the name is taken) and
creation_once() around the write.
"""

import re
import uuid

from django import forms
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from ledger.models import CreationToken

TOKEN_PATTERN = re.compile(r"^[0-9a-f]{32}$")


class CreationReplayed(Exception):
    """The form's token was already used: this submission creates nothing."""


def creation_token_new() -> str:
    return uuid.uuid4().hex


def creation_claim(*, token: str, user, kind: str) -> CreationToken:
    """Claim the token inside the caller's transaction (which then creates the object and
    calls creation_done). A second claim of the same token, even at the same moment, waits
    for the first transaction on the unique index and fails: CreationReplayed. If the first
    one rolls back, its claim goes with it and the form may be sent again."""
    try:
        with transaction.atomic():
            return CreationToken.objects.create(token=token, user=user, kind=kind)
    except IntegrityError:
        raise CreationReplayed from None


def creation_done(claim: CreationToken, obj) -> None:
    claim.object_pk = obj.pk
    claim.save(update_fields=["object_pk"])


def creation_result(*, token: str, user, kind: str) -> int | None:
    """The primary key of what the token's first submission created, if it was this user's."""
    return (
        CreationToken.objects.filter(token=token, user=user, kind=kind)
        .values_list("object_pk", flat=True)
        .first()
    )


def creation_token_field() -> forms.RegexField:
    """The hidden field a creation form carries: a fresh token on each page."""
    message = _("页面信息不完整，请刷新页面后重新提交。")
    return forms.RegexField(
        regex=TOKEN_PATTERN,
        widget=forms.HiddenInput,
        initial=creation_token_new,  # a callable: each unbound form gets its own
        error_messages={"required": message, "invalid": message},
    )


class CreationReplay:
    """What a second submission of a creation page finds: the first one's object, if any."""

    def __init__(self, object_pk: int | None):
        self.object_pk = object_pk


def creation_replay_of(data, *, user, kind: str) -> CreationReplay | None:
    """The replay this POST is, read from its raw token (before the form is validated):
    None when the token is unused (or malformed: the form then says so)."""
    token = str(data.get("creation_token") or "")
    if not TOKEN_PATTERN.match(token):
        return None
    claims = CreationToken.objects.filter(token=token)
    row = claims.values_list("user_id", "kind", "object_pk").first()
    if row is None:
        return None
    user_id, claimed_kind, object_pk = row
    if user_id != user.pk or claimed_kind != kind:
        return CreationReplay(None)  # someone else's page: creates nothing, shows nothing
    return CreationReplay(object_pk)


def creation_once(*, token: str, user, kind: str, create):
    """create() in one transaction with the token's claim: returns what it created, or
    raises CreationReplayed (nothing created) when the token was claimed first."""
    with transaction.atomic():
        claim = creation_claim(token=token, user=user, kind=kind)
        obj = create()
        creation_done(claim, obj)
        return obj
