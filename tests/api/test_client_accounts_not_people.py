"""An API client's service account is staff of its department for the rules' sake, but it is
a system, not a person: never told anything, never offered as one (rooms.people_only)."""

from ledger.models import User
from ledger.notify.models import Kind
from ledger.notify.recipients import recipients_for
from ledger.service.forms import people_choosable
from tests import factories as f

from .intake_support import api_client_make


def test_the_lead_departments_staff_are_told_but_not_the_clients_account(world):
    client, _secret = api_client_make(world)
    colleague = f.StaffFactory(department=world.dept_a)
    issue = f.IssueFactory(lead_department=world.dept_a, raising_department=world.dept_b)

    told = recipients_for(Kind.DUE_SOON, issue)

    assert colleague in told
    assert client.account not in told


def test_the_clients_account_is_never_offered_as_a_person(world):
    client, _secret = api_client_make(world)
    colleague = f.StaffFactory(department=world.dept_a)

    offered = set(people_choosable())

    assert colleague in offered
    assert client.account not in offered
    assert User.objects.filter(pk=client.account.pk, is_active=True).exists()
