"""Schemathesis against the API's own OpenAPI document: every operation, with a person's
token and with a system client, must answer without a 500, with a status, content type
and body its document declares.

A short derandomised profile (SCHEMATHESIS_EXAMPLES per operation and generation mode, the
same cases on every run) keeps `make test` fast; docs/api.md ("Testing the API") gives the
longer one: `SCHEMATHESIS_EXAMPLES=200 SCHEMATHESIS_RANDOM=1 pytest tests/api/test_schemathesis.py`.
"""

import os

import hypothesis
import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from ledger import workflow
from ledger.api.models import ApiClient
from tests import factories as f

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "3"))
RANDOM = os.environ.get("SCHEMATHESIS_RANDOM") == "1"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# the reference page is HTML for people, not an operation of the document
SKIPPED = {"/api/v1/docs/", "/api/v1/schema/"}


@pytest.fixture
def world(db, settings):
    settings.API_TOKEN_RATE_PER_MINUTE = 100_000
    settings.API_CLIENT_RATE_PER_MINUTE = 100_000
    dept = f.DepartmentFactory(name="区发改委")
    staff = f.StaffFactory(username="st_staff", department=dept)
    supervisor = f.SupervisorFactory(username="st_sup")
    category = f.CategoryFactory(name="用地")
    source = f.SourceFactory(name="企业走访")
    f.EnterpriseFactory(name="模糊测试企业有限公司")
    f.LeaderFactory(user__username="st_leader")
    for i in range(3):
        workflow.issue_raise(
            actor=staff,
            title=f"模糊测试问题{i}",
            description="描述",
            category=category,
            source=source,
        )
    return {"dept": dept, "staff": staff, "supervisor": supervisor}


@pytest.fixture
def connections_kept():
    """Schemathesis calls the WSGI application itself: like Django's test client, keep the
    request signals from closing the test's database connection (on PostgreSQL that would
    end the test's transaction mid-run)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _run(schema, secret: str) -> list[str]:
    failures = []
    headers = {"Authorization": f"Bearer {secret}"}
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in SKIPPED:
            continue
        for mode in schemathesis.GenerationMode:

            @hypothesis.settings(
                max_examples=EXAMPLES,
                derandomize=not RANDOM,
                deadline=None,
                database=None,
                suppress_health_check=list(hypothesis.HealthCheck),
                phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
            )
            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            def check(case):
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                check()
            except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - reported below
                failures.append(
                    f"{operation.method.upper()} {operation.path} [{mode.value}]: {error}"
                )
    return failures


def test_schemathesis_finds_nothing(world, api_token_for, api_client_for, connections_kept):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
    person = api_token_for(world["supervisor"])
    _client, system = api_client_for(world["dept"], sees=ApiClient.Sees.OWN)
    failures = _run(schema, person) + _run(schema, system)
    assert not failures, "\n\n".join(failures)
