"""Creation forms' single-use tokens (models.CreationToken): claimed in the transaction that
creates the object, so of two submissions of one form only the first creates anything."""

import re
import uuid

from django.db import IntegrityError, transaction

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
