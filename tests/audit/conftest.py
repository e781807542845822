"""The three administrator accounts (三员), each in its group, beside the shared world."""

import pytest
from django.contrib.auth.models import Group

from ledger.audit.models import AuditRecord
from ledger.audit.roles import AUDIT_ADMIN, SECURITY_ADMIN, SYSTEM_ADMIN, roles_setup
from tests import factories as f


def _in_group(user, name):
    user.groups.set([Group.objects.get(name=name)])
    return user


@pytest.fixture
def roles(db):
    roles_setup()
    return {
        "system": _in_group(
            f.UserFactory(username="sysadmin", role="admin", department=None, is_staff=True),
            SYSTEM_ADMIN,
        ),
        "security": _in_group(
            f.UserFactory(username="secadmin", role="staff", department=None, is_staff=True),
            SECURITY_ADMIN,
        ),
        "audit": _in_group(
            f.UserFactory(username="auditor", role="staff", department=None, is_staff=True),
            AUDIT_ADMIN,
        ),
    }


def kinds(**filters) -> list[str]:
    return list(
        AuditRecord.objects.filter(**filters).order_by("seq").values_list("kind", flat=True)
    )


@pytest.fixture
def empty_trail(db):
    """The trail as a fresh installation has it (migrate's role set-up already wrote some)."""
    from ledger.audit.models import AuditHead

    AuditRecord.objects.all().delete()
    AuditHead.objects.update_or_create(
        pk=1, defaults={"seq": 0, "digest": "", "key_id": "", "mac": ""}
    )
