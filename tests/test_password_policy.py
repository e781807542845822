"""The password policy (ledger.security.passwords, account_policy): kinds of characters, no
reuse of the last five, the history kept as hashes, a password set by someone else changed at
the next sign-in, and the optional expiry."""

import datetime

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ledger import auditing
from ledger.security.models import PasswordHistory
from tests import factories as f

pytestmark = pytest.mark.django_db

CHANGE = reverse("password_change")
PASSWORD = "zz-test-pass"  # the factories' password
HOME = reverse("home")


@pytest.fixture
def audit():
    calls = []

    def receiver(sender, **kwargs):
        calls.append(kwargs)

    auditing.audit_recorded.connect(receiver, dispatch_uid="test_password_policy_audit")
    yield calls
    auditing.audit_recorded.disconnect(dispatch_uid="test_password_policy_audit")


def messages_of(error: ValidationError) -> str:
    return " ".join(error.messages)


@pytest.mark.parametrize(
    ("password", "refused_for"),
    [
        ("Ab-1234", "8 个字符"),  # seven characters
        ("zhongzhanledger", "至少 3 类"),  # one kind
        ("zhongzhan2026x", "至少 3 类"),  # two kinds
        ("ZHONGZHAN-ledger", None),  # capitals, small letters, a sign
        ("zhongzhan-2026", None),  # small letters, a sign, digits
        ("中站问题台账2026ab", None),  # Chinese characters count as the fourth kind
    ],
)
def test_length_and_kinds(password, refused_for):
    user = f.StaffFactory(username="someone")
    if refused_for is None:
        validate_password(password, user)
        return
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    assert refused_for in messages_of(refused.value)


def change(client, old, new):
    return client.post(CHANGE, {"old_password": old, "new_password1": new, "new_password2": new})


def test_the_last_five_passwords_cannot_come_back(audit):
    user = f.StaffFactory()
    user.set_password("First-pass-01")
    user.save()
    client = Client()
    client.force_login(user)
    passwords = ["First-pass-01"] + [f"Next-pass-{n:02d}" for n in range(2, 7)]
    for old, new in zip(passwords, passwords[1:], strict=False):
        assert change(client, old, new).status_code == 302, new  # the session stays signed in
    # now: 06 current, 05 04 03 02 before it; 01 has left the window of five
    for reused in ("Next-pass-06", "Next-pass-05", "Next-pass-02"):
        response = change(client, "Next-pass-06", reused)
        assert response.status_code == 200, reused
        assert "最近 5 次" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password("Next-pass-06")
    assert change(client, "Next-pass-06", "First-pass-01").status_code == 302
    # each change on the page is on the audit trail once, as the holder's own (the audit room's
    # hook on the user's save; the set_password before the page, by no one, is a seventh)
    changed = [call for call in audit if call["kind"] == auditing.Kind.PASSWORD_CHANGED]
    assert [call["actor_id"] for call in changed] == [None] + [user.pk] * 6
    assert all("-pass-" not in str(call["detail"]) for call in audit)


def test_the_history_keeps_hashes_only_and_five_of_them():
    user = f.StaffFactory()
    for n in range(8):
        user.set_password(f"Stored-pass-{n}")
        user.save()
    rows = list(PasswordHistory.objects.filter(user=user))
    assert len(rows) == 5
    assert rows[0].password == user.password
    for row in rows:
        assert "Stored-pass" not in row.password and row.password.count("$") >= 2


def test_a_password_set_by_the_administrator_is_changed_at_next_sign_in(settings, audit):
    settings.PASSWORD_CHANGE_INITIAL = True
    admin = f.AdminFactory()
    # the administrator's own password is one they chose (else they would change it first)
    PasswordHistory.objects.create(user=admin, password=admin.password, chosen_by_user=True)
    person = f.StaffFactory()
    admin_client = Client()
    admin_client.force_login(admin)
    url = reverse("admin:auth_user_password_change", args=[person.pk])
    response = admin_client.post(
        url, {"password1": "Given-by-admin-1", "password2": "Given-by-admin-1"}
    )
    assert response.status_code == 302
    set_by_admin = [c for c in audit if c["kind"] == auditing.Kind.PASSWORD_SET_BY_ADMIN]
    assert len(set_by_admin) == 1 and set_by_admin[0]["actor_id"] == admin.pk
    assert set_by_admin[0]["target"] == f"user {person.username}"

    client = Client()
    client.post(reverse("login"), {"username": person.username, "password": "Given-by-admin-1"})
    response = client.get(reverse("issue_list"))
    assert response.status_code == 302 and response["Location"].startswith(CHANGE)
    page = client.get(CHANGE)
    assert "由他人设置或已到期" in page.content.decode()
    assert change(client, "Given-by-admin-1", "Mine-now-2026").status_code == 302
    assert client.get(reverse("issue_list")).status_code == 200
    # and the next sign-in asks nothing
    client.post(reverse("logout"))
    client.post(reverse("login"), {"username": person.username, "password": "Mine-now-2026"})
    assert client.get(HOME).status_code == 200


def test_the_forced_change_leaves_signing_out_open(settings):
    settings.PASSWORD_CHANGE_INITIAL = True
    person = f.StaffFactory()
    person.set_password("Initial-pass-1")  # a script or createsuperuser: no request at all
    person.save()
    client = Client()
    client.force_login(person)
    assert client.get(HOME)["Location"].startswith(CHANGE)
    assert client.post(reverse("logout")).status_code == 302


def test_without_the_setting_nothing_is_forced(settings):
    settings.PASSWORD_CHANGE_INITIAL = False  # DEBUG's default: make run's demo accounts
    person = f.StaffFactory()
    person.set_password("Initial-pass-1")
    person.save()
    client = Client()
    client.force_login(person)
    assert client.get(HOME).status_code == 200


def test_a_password_stored_as_a_hash_is_an_initial_one(settings):
    """create_user and createsuperuser store the hash directly (no set_password, so no history
    row): such a password is an initial one too, as is one from before this policy."""
    settings.PASSWORD_CHANGE_INITIAL = True
    person = f.StaffFactory()  # the factory stores a hash, as create_user does
    assert not PasswordHistory.objects.filter(user=person).exists()
    client = Client()
    client.force_login(person)
    assert client.get(HOME)["Location"].startswith(CHANGE)
    assert change(client, PASSWORD, "Chosen-pass-2026").status_code == 302
    assert PasswordHistory.objects.get(user=person).chosen_by_user
    assert client.get(HOME).status_code == 200


def test_a_page_part_gets_nothing_until_the_password_is_changed(settings):
    settings.PASSWORD_CHANGE_INITIAL = True
    client = Client()
    client.force_login(f.StaffFactory())
    response = client.get(reverse("notify:notification_count"), headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.content == b""


@pytest.mark.parametrize(
    ("max_age", "age_days", "forced"), [(0, 4000, False), (90, 91, True), (90, 89, False)]
)
def test_expiry(settings, max_age, age_days, forced):
    settings.PASSWORD_MAX_AGE_DAYS = max_age
    settings.PASSWORD_CHANGE_INITIAL = False
    person = f.StaffFactory()
    person.set_password("Aged-pass-2026")
    person.save()
    PasswordHistory.objects.filter(user=person).update(
        set_at=timezone.now() - datetime.timedelta(days=age_days)
    )
    client = Client()
    client.force_login(person)
    response = client.get(HOME)
    assert (response.status_code == 302 and response["Location"].startswith(CHANGE)) is forced


def test_expiry_counts_from_joining_when_there_is_no_history(settings):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    person = f.StaffFactory(date_joined=timezone.now() - datetime.timedelta(days=200))
    client = Client()
    client.force_login(person)
    assert client.get(HOME)["Location"].startswith(CHANGE)
