"""The API room's demo data (seed_demo): one registered system, the city's 12345 hotline, with
a published demo secret, as the demo accounts have a published password."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model

from ledger import demo
from ledger.models import Department, Source

from . import services_access
from .intake import WorkOrder, intake_receive
from .models import ApiClient, ClientSecret
from .secrets import CLIENT, digest_of

CLIENT_NAME = "12345政务服务便民热线"
SOURCE_NAME = "12345 热线"  # the demo lists' entry (ledger/demo.py SOURCES)
DEPARTMENT_NAME = "区政务服务中心"  # where the district's 12345 work orders arrive
SCOPES = ["issues:read", "intake"]
# fixed like the demo password, so `make run` can print it on every run: a real client's
# secret is random and shown once in the admin
DEMO_PREFIX = "demo12345hot"
DEMO_SECRET_PART = "zz-demo-2014-hotline-12345"
DEMO_SECRET = f"{CLIENT}_{DEMO_PREFIX}_{DEMO_SECRET_PART}"


def demo_client_seed(*, stdout) -> None:
    """Idempotent: the client is matched on its name, its demo secret on its prefix."""
    client = ApiClient.objects.filter(name=CLIENT_NAME).first()
    if client is None:
        User = get_user_model()
        position = len(demo.SOURCES) * 10 + 10
        source, _created = Source.objects.get_or_create(
            name=SOURCE_NAME, defaults={"order": position}
        )
        actor = (
            User.objects.filter(username="admin").first()
            or User.objects.filter(is_superuser=True).order_by("pk").first()
        )
        # a unit of its own: the service account is staff of its department, and as staff
        # of a department that raises demo issues it would be told of them by the notify
        # room's seeding on the next run only (that room seeds before this one), so seeding
        # twice would differ from seeding once
        department, _created = Department.objects.get_or_create(
            name=DEPARTMENT_NAME,
            defaults={"short_name": "政务服务中心", "kind": Department.Kind.BUREAU, "order": 900},
        )
        client = ApiClient(
            name=CLIENT_NAME,
            department=department,
            source=source,
            scopes=SCOPES,
        )
        services_access.client_register(client=client, actor=actor)
        # the random first secret is replaced by the published demo one
        client.secrets.all().delete()
    if not ClientSecret.objects.filter(prefix=DEMO_PREFIX).exists():
        ClientSecret.objects.create(
            client=client, prefix=DEMO_PREFIX, digest=digest_of(DEMO_SECRET_PART)
        )
    demo_work_order_seed(client)
    if settings.DEBUG:
        stdout.write(f"  API client {CLIENT_NAME} ({client.account.username}): {DEMO_SECRET}\n")


def demo_work_order_seed(client: ApiClient) -> None:
    """One work order the hotline sent about an enterprise the directory does not know: it
    waits in the oversight office's 待核实 queue (/intake/queue/). Idempotent by its id."""
    intake_receive(
        client=client,
        order=WorkOrder(
            external_system=SOURCE_NAME,
            external_id="DEMO-12345-0001",
            title="商铺门前人行道破损，雨天积水",
            description="来电人反映商铺门前人行道砖块松动破损，雨天积水，顾客进出不便，"
            "希望尽快修复。",
            category="市政设施",  # the hotline's own word: no category of the ledger's
            reporter_name="王女士",
            enterprise_name="中站区恒达五金商行",  # not in the directory
        ),
    )
