"""seed_bench (issue 11): the generated event chains are the workflow's, on any database;
on PostgreSQL the loaded ledger passes events_verify; elsewhere it refuses and writes nothing."""

import datetime
import random

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from ledger import ledger_index
from ledger.integrity.verify import Verifier
from ledger.models import Attachment, Issue, IssueEvent, LedgerCounter, User
from ledger.models.issues import EDITABLE_FIELDS
from ledger.scale import generator, seeding
from ledger.scale.generator import World


def small_world(n=300):
    now = datetime.datetime(2026, 11, 30, 10, 0)
    return World(
        seed=7,
        first_id=1000,
        now=now,
        prefix="ZZ",
        key_id=settings.EVENTS_KEY_ID,
        key=settings.EVENTS_KEY,
        years=seeding.plan_years(n, 3, now),
        departments=[(10 + k, f"单位{k}") for k in range(8)],
        staff={10 + k: 100 + k for k in range(8)},
        supervisor=(99, 50),
        leaders=[(1, 200, "张三 (副区长)"), (2, 201, "李四 (区长)")],
        enterprises=[(k, 1 if k % 2 else None) for k in range(1, 30)],
        projects=[(k, 2) for k in range(1, 5)],
        categories=[1, 2, 3],
        sources=[1, 2],
        long_issues=frozenset({n - 3}),
        state_fields=None,
    )


def rows(text, columns):
    for line in text.splitlines():
        yield dict(zip(columns, [None if v == "\\N" else v for v in line.split("\t")], strict=True))


def test_generated_events_sign_as_the_workflow_signs():
    world = small_world()
    out = generator.generate_chunk(world, 0, 300)
    files = {}
    for a in rows(out["attachments"], generator.ATTACHMENT_COLUMNS):
        files.setdefault((a["issue_id"], a["event_seq"]), []).append(
            (a["original_name"], a["sha256"], int(a["size"]))
        )
    issues = {i["id"]: i for i in rows(out["issues"], generator.ISSUE_COLUMNS)}
    assert len(issues) == 300
    numbers = {(i["year"], i["seq"]): i["number"] for i in issues.values()}
    assert len(numbers) == 300  # ledger numbers unique per year
    previous, last = {}, {}
    statuses = set()
    for e in rows(out["events"], generator.EVENT_COLUMNS):
        issue = issues[e["issue_id"]]
        event = IssueEvent(
            issue_id=int(e["issue_id"]),
            seq=int(e["seq"]),
            actor_id=int(e["actor_id"]),
            actor_department_id=int(e["actor_department_id"]) if e["actor_department_id"] else None,
            action=e["action"],
            from_status=e["from_status"],
            to_status=e["to_status"],
            note=e["note"],
            changes=__import__("json").loads(e["changes"]),
            created_at=datetime.datetime.fromisoformat(e["created_at"]),
            key_id=e["key_id"],
        )
        prev = previous.get(e["issue_id"], "")
        expected = event.compute_digest(
            prev, files=files.get((e["issue_id"], e["seq"]), []), number=issue["number"]
        )
        assert expected == e["digest"], (issue["number"], e["seq"], e["action"])
        assert event.seq == last.get(e["issue_id"], 0) + 1
        previous[e["issue_id"]], last[e["issue_id"]] = e["digest"], event.seq
        statuses.add(e["to_status"])
    for issue_id, issue in issues.items():
        assert int(issue["version"]) == last[issue_id]
    assert statuses == {"raised", "assigned", "in_progress", "resolved", "closed", "withdrawn"}
    assert max(last.values()) == 30  # the long issue
    counts = sorted(last.values())
    assert 4 <= sum(counts) / len(counts) <= 5.5


def test_the_generator_fills_every_editable_field_of_the_declaration():
    """Its issue columns read models.issues.EDITABLE_FIELDS: a field added there is written
    (or the generator fails) rather than silently left at its default."""
    for name in EDITABLE_FIELDS:
        assert Issue._meta.get_field(name).attname in generator.ISSUE_COLUMNS
    out = generator.generate_chunk(small_world(40), 0, 40)
    issues = list(rows(out["issues"], generator.ISSUE_COLUMNS))
    assert len(issues) == 40
    for name in ("title", "description", "category_id", "source_id", "urgency"):
        assert all(issue[name] for issue in issues), name
    assert any(issue["enterprise_id"] for issue in issues)
    assert any(issue["responsible_person"] for issue in issues)


def test_plan_years_sums_to_n_and_grows():
    plan = seeding.plan_years(10_000, 5, datetime.datetime(2026, 11, 30, 12))
    assert sum(count for _y, count, _s, _e in plan) == 10_000
    assert [y for y, *_ in plan] == [2022, 2023, 2024, 2025, 2026]
    assert plan[1][1] > plan[0][1]


@pytest.mark.django_db
def test_seed_bench_loads_a_verifiable_ledger_or_refuses():
    if connection.vendor != "postgresql":
        with pytest.raises(CommandError, match="PostgreSQL"):
            call_command("seed_bench", "--issues", "50")
        assert not Issue.objects.exists()
        assert not User.objects.filter(username__startswith="bench_").exists()
        return
    random.seed(3)
    result = seeding.seed(200, seed=3, years=3, chunk=100, processes=1)
    assert result["counts"]["issues"] == Issue.objects.count() == 200
    assert IssueEvent.objects.count() == result["counts"]["events"] > 200 * 3
    assert Attachment.objects.filter(event__isnull=False).exists()
    assert not Attachment.objects.filter(event__isnull=True).exists()
    for counter in LedgerCounter.objects.all():
        assert Issue.objects.filter(year=counter.year).count() == counter.last
    outcome = Verifier().run()
    assert outcome.problems == []
    assert outcome.issues == 200
    # the generator writes the search columns itself (no second pass over the table): they
    # are exactly what ledger_index's SQL computes from the stored rows
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, involved, search_grams FROM ledger_issue ORDER BY id")
        seeded = cursor.fetchall()
        assert any(len(involved) > 2 for _id, involved, _grams in seeded)  # co-departments
        ledger_index.reindex(connection)
        cursor.execute("SELECT id, involved, search_grams FROM ledger_issue ORDER BY id")
        assert cursor.fetchall() == seeded
    # the harness's logins exist with the known password
    assert User.objects.get(username=seeding.SUPERVISOR).check_password(seeding.PASSWORD)
    with pytest.raises(seeding.SeedRefused, match="已有问题"):
        seeding.seed(10, processes=1)


def test_text_grams_are_the_two_character_pieces_without_white_space():
    assert generator.text_grams("ZZ-1 厂区 积水\t漏") == ["zz", "z-", "-1", "厂区", "积水"]
    assert generator.array_text(['a"b', "c\\d"]) == '{"a\\"b","c\\\\d"}'
    assert generator.array_text([3, 1]) == "{3,1}"
