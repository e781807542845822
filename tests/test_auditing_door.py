"""The core's audit door sends one signal per record, with what the audit room stores."""

import pytest
from django.test import RequestFactory

from ledger import auditing


@pytest.mark.django_db
def test_record_sends_who_what_where(django_user_model):
    user = django_user_model.objects.create_user("audited", password="x-long-enough-1A")
    received = []

    def listener(sender, **kwargs):
        received.append(kwargs)

    auditing.audit_recorded.connect(listener)
    try:
        request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3")
        auditing.record(
            auditing.Kind.EXPORTED, actor=user, request=request, target="ledger", detail={"rows": 3}
        )
        auditing.record(auditing.Kind.SIGN_IN_FAILED, username="nobody", outcome="failure")
    finally:
        auditing.audit_recorded.disconnect(listener)
    assert [r["kind"] for r in received] == ["exported", "sign_in_failed"]
    assert received[0]["actor_id"] == user.pk and received[0]["username"] == "audited"
    assert received[0]["ip"] == "10.1.2.3" and received[0]["detail"] == {"rows": 3}
    assert received[1]["actor_id"] is None and received[1]["username"] == "nobody"
    assert received[1]["outcome"] == "failure" and received[1]["ip"] is None
