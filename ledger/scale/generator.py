"""The benchmark data: N realistic issues with their events, written to PostgreSQL by COPY.

Pure Python here (no database): `World` describes the directory the issues refer to (ids and
display names of departments, users, leaders, enterprises, projects), `generate_chunk()`
simulates the issues of one slice of ledger numbers through the workflow and returns the COPY
text of every table. The simulation follows ledger/workflow/: each action changes the
issue's fields the way the _apply_* function would, records the same `changes`, and signs the
event through ledger.events, the code IssueEvent.compute_digest() signs with, so `manage.py
events_verify` accepts the result. The command (management/commands/seed_bench.py) does the
database side.
"""

import bisect
import datetime
import hashlib
import random
import re
from dataclasses import dataclass, field

from ledger import events
from ledger.models import Issue
from ledger.models.issues import EDITABLE_FIELDS

from . import words

UTC_OFFSET = datetime.timedelta(hours=8)  # Asia/Shanghai: no daylight saving since 1991
DAY = 86400.0

# ledger_issue's search columns (ledger_index.REINDEX_BATCH_SQL): written by the generator
DERIVED_COLUMNS = ("involved", "search_grams")
# whitespace as PostgreSQL's regex \s sees it (ledger_text_grams turns it into a space)
_WHITESPACE = re.compile(r"\s")

# the ledger_issue columns the generator writes; any other column gets its default/trigger.
# The editable fields come from their declaration: a field added there makes simulate_issue()
# fail (its row lacks the column) until the generator fills it.
ISSUE_COLUMNS = (
    "id",
    "number",
    "year",
    "seq",
    *(Issue._meta.get_field(name).attname for name in EDITABLE_FIELDS),
    "raised_by_id",
    "raising_department_id",
    "raised_at",
    "lead_department_id",
    "deadline",
    "is_long_term",
    "status",
    "progress",
    "progress_note",
    "resolution",
    "satisfaction",
    "satisfaction_note",
    "is_escalated",
    "urge_count",
    "last_urged_at",
    "assigned_at",
    "accepted_at",
    "resolved_at",
    "resolved_on_time",
    "closed_at",
    "updated_at",
    "version",
    # the search columns ledger/ledger_index.py derives (issues_reindex), computed here in the
    # workers as its SQL computes them, so the load needs no second pass over the table
    *DERIVED_COLUMNS,
)
# IssueSim.event() writes its COPY lines in this order
EVENT_COLUMNS = events.EVENT_COLUMNS
DEADLINE_COLUMNS = ("issue_id", "deadline", "previous", "reason", "set_by_id", "set_at")
EXTENSION_COLUMNS = (
    "issue_id",
    "requested_by_id",
    "requested_at",
    "current_deadline",
    "requested_deadline",
    "reason",
    "state",
    "decided_by_id",
    "decided_at",
    "decision_note",
)
# attachments go through a staging table: the event they belong to is named by its seq
ATTACHMENT_COLUMNS = (
    "issue_id",
    "event_seq",
    "file",
    "original_name",
    "content_type",
    "size",
    "uploaded_by_id",
    "uploaded_at",
    "sha256",
)
CO_DEPARTMENT_COLUMNS = ("issue_id", "department_id")
HEAD_COLUMNS = (
    "issue_id",
    "number",
    "seq",
    "digest",
    "state",
    "key_id",
    "mac",
    "written_at",
    "sealed_seq",
    "sealed_digest",
)
TABLES = ("issues", "events", "deadlines", "extensions", "attachments", "co_departments", "heads")


@dataclass
class World:
    """Everything a worker needs, picklable."""

    seed: int
    first_id: int
    now: datetime.datetime  # naive local time (Asia/Shanghai)
    prefix: str
    key_id: str
    key: str
    years: list  # [(year, count, start local datetime, end local datetime)]
    departments: list  # [(id, name)] that handle issues, Zipf order (busiest first)
    staff: dict  # department id → staff user id
    supervisor: tuple  # (user id, department id or None)
    leaders: list  # [(leader id, user id, display)]
    enterprises: list  # [(id, leader id or None)]
    projects: list  # [(id, leader id or None)]
    categories: list
    sources: list
    long_issues: frozenset  # global issue indexes that get 30 events
    state_fields: tuple | None  # STATE_FIELDS when every one is a generated column
    year_start_index: list = field(default_factory=list)
    dept_weights: list = field(default_factory=list)

    def __post_init__(self):
        total = 0
        self.year_start_index = []
        for _year, count, _start, _end in self.years:
            self.year_start_index.append(total)
            total += count
        self.total = total
        # Zipf-like: department k (1-based) handles ∝ 1 / k^1.1
        acc, self.dept_weights = 0.0, []
        for k in range(1, len(self.departments) + 1):
            acc += 1 / k**1.1
            self.dept_weights.append(acc)
        acc, self.enterprise_weights = 0.0, []
        for k in range(1, len(self.enterprises) + 1):
            acc += 1 / k**0.6
            self.enterprise_weights.append(acc)
        self.leader_map = {lid: (uid, shown) for lid, uid, shown in self.leaders}
        acc, self.topic_weights = 0.0, []
        for _topic, weight in words.TOPICS:
            acc += weight
            self.topic_weights.append(acc)

    def locate(self, index: int) -> tuple[int, int, int]:
        """Global issue index → (position in self.years, year, seq)."""
        y = bisect.bisect_right(self.year_start_index, index) - 1
        return y, self.years[y][0], index - self.year_start_index[y] + 1


# -- formatting -----------------------------------------------------------------------------


def utc_text(local: datetime.datetime) -> str:
    """A naive local time as the UTC ISO text of events.utc_text() (which COPY accepts)."""
    return (local - UTC_OFFSET).isoformat(timespec="microseconds") + "+00:00"


def display_time(local: datetime.datetime) -> str:
    """workflow._display() of a datetime."""
    return local.isoformat(timespec="minutes") + "+08:00"


def _esc(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return value


def copy_value(value) -> str:
    kind = type(value)
    if kind is str:
        return _esc(value)
    if value is None:
        return "\\N"
    if kind is bool:
        return "t" if value else "f"
    return str(value)


def copy_line(values) -> str:
    return "\t".join(map(copy_value, values)) + "\n"


# -- one issue --------------------------------------------------------------------------------


class IssueSim:
    """An issue being walked through the workflow; mirrors workflow._Change and _event_write."""

    def __init__(self, world: World, row: dict, out: dict):
        self.world = world
        self.row = row
        self.display = {}  # field → current display value of foreign keys
        self.out = out
        self.seq = 0
        self.prev = ""
        self.last_at = None
        self.key = world.key.encode()
        self.co_departments: list[int] = []

    def set(self, changes: dict, name: str, value, shown: str | None = None) -> None:
        old = self.row[name]
        if old == value:
            return
        if shown is None:  # a plain field: workflow._display()
            changes[name.removesuffix("_id")] = [_show(old), _show(value)]
        else:
            changes[name.removesuffix("_id")] = [self.display.get(name, ""), shown]
            self.display[name] = shown
        self.row[name] = value

    def set_time(self, changes: dict, name: str, local: datetime.datetime) -> None:
        """set() of a datetime field, given in local time."""
        old = self.row[name]
        changes[name] = [_show(old), display_time(local)]
        self.row[name] = utc_text(local)

    def event(self, action, to_status, at, actor, department, note="", changes=None, files=()):
        """Append the next event, signed by ledger.events from the plain values (the payload
        and digest code IssueEvent.compute_digest() uses)."""
        self.seq += 1
        changes = changes or {}
        created = utc_text(at)
        from_status = self.row["status"]
        row = self.row
        world = self.world
        payload = events.event_payload(
            issue=row["id"],
            seq=self.seq,
            actor=actor,
            action=action,
            from_status=from_status,
            to_status=to_status,
            note=note,
            changes=changes,
            at=created,
            prev=self.prev,
            key_id=world.key_id,
            number=row["number"],
            department=department,
            files=files,
        )
        digest = events.event_digest(payload, self.key)
        # the column's text: any JSON would do, the canonical form is the shortest
        changes_json = events.canonical(changes).decode()
        self.out["events"].append(
            f"{row['id']}\t{self.seq}\t{actor}\t{_null(department)}\t{action}\t{from_status}\t"
            f"{to_status}\t{_esc(note)}\t{_esc(changes_json)}\t{created}\t{digest}\t"
            f"{_esc(world.key_id)}\n"
        )
        self.prev = digest
        row["status"] = to_status
        row["version"] = self.seq
        row["updated_at"] = created
        self.last_at = at
        return self.seq


def _null(value) -> str:
    return "\\N" if value is None else str(value)


def _show(value) -> str:
    """workflow._display() of a generated value (times are kept as UTC text)."""
    if value is None:
        return ""
    if isinstance(value, str) and len(value) == 32 and value.endswith("+00:00"):
        local = datetime.datetime.fromisoformat(value[:26]) + UTC_OFFSET
        return display_time(local)
    return str(value)


def _pick(rng, cumulative) -> int:
    return bisect.bisect_left(cumulative, rng.random() * cumulative[-1])


def _title(rng, world) -> tuple[str, str]:
    topic = words.TOPICS[_pick(rng, world.topic_weights)][0]
    title = rng.choice(words.TITLE_PREFIXES) + topic + rng.choice(words.TITLE_SUFFIXES)
    sentences = [rng.choice(words.SENTENCES).format(topic=topic) for _ in range(rng.randint(2, 4))]
    return title, "".join(sentences)


def _person(rng) -> str:
    return rng.choice(words.SURNAMES) + "".join(rng.choices(words.GIVEN, k=rng.randint(1, 2)))


def _target_status(rng, age_days: float) -> str:
    r = rng.random()
    if age_days > 180:
        table = (
            ("closed", 0.87),
            ("withdrawn", 0.04),
            ("resolved", 0.02),
            ("in_progress", 0.05),
            ("assigned", 0.01),
        )
    elif age_days > 60:
        table = (
            ("closed", 0.58),
            ("resolved", 0.10),
            ("in_progress", 0.22),
            ("assigned", 0.04),
            ("withdrawn", 0.04),
        )
    elif age_days > 7:
        table = (
            ("closed", 0.22),
            ("resolved", 0.14),
            ("in_progress", 0.40),
            ("assigned", 0.12),
            ("withdrawn", 0.03),
        )
    else:
        table = (("in_progress", 0.25), ("assigned", 0.25), ("withdrawn", 0.02))
    for status, share in table:
        if r < share:
            return status
        r -= share
    return "raised"


def simulate_issue(world: World, rng: random.Random, index: int, out: dict) -> None:
    y, year, seq = world.locate(index)
    _year, count, start, end = world.years[y]
    span = (end - start).total_seconds()
    # numbers follow time within the year; a little jitter keeps them in order
    offset = (seq - 1 + rng.random() * 0.9) / count * span
    raised = start + datetime.timedelta(seconds=offset)
    now = world.now
    age = (now - raised).total_seconds() / DAY
    issue_id = world.first_id + index
    number = f"{world.prefix}-{year}-{seq:04d}"
    title, description = _title(rng, world)
    raising_k = _pick(rng, world.dept_weights)
    raising_department = world.departments[(raising_k * 7 + 3) % len(world.departments)][0]
    raiser = world.staff[raising_department]
    enterprise = project = leader = None
    r = rng.random()
    if r < 0.78 and world.enterprises:
        enterprise, leader = world.enterprises[_pick(rng, world.enterprise_weights)]
    elif r < 0.9 and world.projects:
        project, leader = rng.choice(world.projects)
    leaders = world.leader_map
    row = {
        "id": issue_id,
        "number": number,
        "year": year,
        "seq": seq,
        "title": title,
        "description": description,
        "category_id": rng.choice(world.categories),
        "source_id": rng.choice(world.sources),
        "urgency": "normal" if r < 0.8 else ("urgent" if rng.random() < 0.8 else "critical"),
        "enterprise_id": enterprise,
        "project_id": project,
        "raised_by_id": raiser,
        "raising_department_id": raising_department,
        "raised_at": utc_text(raised),
        "leader_id": leader,
        "lead_department_id": None,
        "responsible_person": "",
        "deadline": None,
        # no long-term items: every assigned issue gets a deadline
        "is_long_term": False,
        "measures": "",
        "status": "",
        "progress": "",
        "progress_note": "",
        "resolution": "",
        "satisfaction": "",
        "satisfaction_note": "",
        "is_escalated": False,
        "urge_count": 0,
        "last_urged_at": None,
        "assigned_at": None,
        "accepted_at": None,
        "resolved_at": None,
        "resolved_on_time": None,
        "closed_at": None,
        "updated_at": None,
        "version": 0,
    }
    sim = IssueSim(world, row, out)
    if leader is not None:
        sim.display["leader_id"] = leaders[leader][1]
    sup, sup_dept = world.supervisor

    def later(at, low_days, high_days):
        """A moment after `at`, before now (compressed when the issue is recent)."""
        step = datetime.timedelta(seconds=rng.uniform(low_days, high_days) * DAY)
        room = now - at
        if step >= room:
            step = room * rng.uniform(0.05, 0.5)
        return at + step

    files = []
    if rng.random() < 0.06:
        for _ in range(rng.randint(1, 2)):
            name = f"现场照片{rng.randint(1, 99)}.jpg"
            sha = hashlib.sha256(f"{issue_id}:{len(files)}".encode()).hexdigest()
            files.append((name, sha, rng.randint(40_000, 3_000_000)))
    sim.event("raise", "raised", raised, raiser, raising_department, files=files)
    for i, (name, sha, size) in enumerate(files):
        path = f"attachments/{year}/{number}/{sha[:32]}{i}.jpg"
        out["attachments"].append(
            copy_line((issue_id, 1, path, name, "image/jpeg", size, raiser, utc_text(raised), sha))
        )
    long = index in world.long_issues
    target = "in_progress" if long else _target_status(rng, age)
    if target == "raised":
        if rng.random() < 0.5:
            note = rng.choice(words.COMMENT_NOTES)
            sim.event("comment", "raised", later(raised, 0.1, 2), raiser, raising_department, note)
        _finish(sim, out)
        return
    if target == "withdrawn":
        at = later(raised, 0.2, 5)
        sim.event("withdraw", "withdrawn", at, sup, sup_dept, rng.choice(words.WITHDRAW_NOTES))
        _finish(sim, out)
        return
    # 交办
    at = later(raised, 0.2, 4)
    lead_k = _pick(rng, world.dept_weights)
    lead_id, lead_name = world.departments[lead_k]
    if leader is None:
        leader = rng.choice(world.leaders)[0]
    deadline = (at + datetime.timedelta(days=rng.randint(10, 60))).date()
    changes = {}
    sim.set(changes, "leader_id", leader, leaders[leader][1])
    sim.set(changes, "lead_department_id", lead_id, lead_name)
    sim.set(changes, "responsible_person", _person(rng))
    if rng.random() < 0.5:
        sim.set(changes, "measures", rng.choice(words.MEASURES))
    if rng.random() < 0.15 and len(world.departments) > 3:
        co = []
        for _ in range(rng.randint(1, 2)):
            dept = world.departments[_pick(rng, world.dept_weights)]
            if dept[0] != lead_id and dept not in co:
                co.append(dept)
        if co:
            changes["co_departments"] = ["", "、".join(name for _id, name in co)]
            for dept_id, _name in co:
                out["co_departments"].append(copy_line((issue_id, dept_id)))
                sim.co_departments.append(dept_id)
    sim.set(changes, "deadline", deadline.isoformat())
    sim.set_time(changes, "assigned_at", at)
    sim.event("assign", "assigned", at, sup, sup_dept, "", changes)
    out["deadlines"].append(
        copy_line((issue_id, deadline.isoformat(), None, "assigned", sup, utc_text(at)))
    )
    handler = world.staff[lead_id]
    if target == "assigned":
        _urge(sim, rng, world, later, deadline)
        _finish(sim, out)
        return
    # 签收
    at = later(sim.last_at, 0.05, 2)
    changes = {}
    sim.set_time(changes, "accepted_at", at)
    sim.event("accept", "in_progress", at, handler, lead_id, "", changes)
    if long:
        for k in range(27):
            at = later(sim.last_at, 0.2, 3)
            kind = k % 3
            if kind == 0:
                changes = {}
                sim.set(changes, "progress", rng.choice(("smooth", "slow")))
                note = rng.choice(words.PROGRESS_NOTES) + f"（第{k // 3 + 1}次反馈）"
                sim.set(changes, "progress_note", note)
                sim.event("progress", "in_progress", at, handler, lead_id, note, changes)
            elif kind == 1:
                note = rng.choice(words.COMMENT_NOTES)
                sim.event("comment", "in_progress", at, sup, sup_dept, note)
            else:
                changes = {}
                sim.set(changes, "urge_count", row["urge_count"] + 1)
                sim.set_time(changes, "last_urged_at", at)
                sim.event("urge", "in_progress", at, sup, sup_dept, "请加快办理进度。", changes)
        _finish(sim, out)
        return
    if rng.random() < (0.5 if target == "in_progress" else 0.15):
        at = later(sim.last_at, 1, 15)
        changes = {}
        sim.set(changes, "progress", rng.choice(("smooth", "smooth", "slow", "none")))
        note = rng.choice(words.PROGRESS_NOTES)
        sim.set(changes, "progress_note", note)
        sim.event("progress", "in_progress", at, handler, lead_id, note, changes)
    if target != "closed" and rng.random() < 0.14:
        # 申请延期 before the deadline, then approved or rejected (or still pending)
        at = later(sim.last_at, 0.5, 5)
        if at.date() <= deadline:
            wanted = deadline + datetime.timedelta(days=rng.randint(7, 45))
            reason = rng.choice(words.EXTENSION_REASONS)
            changes = {"extension_requested": ["", wanted.isoformat()]}
            sim.event("extension_request", row["status"], at, handler, lead_id, reason, changes)
            requested_at, current = utc_text(at), deadline.isoformat()
            decision = rng.random()
            state, decided_by, decided_at, decision_note = "pending", None, None, ""
            if decision < 0.85 and sim.last_at < now - datetime.timedelta(hours=2):
                at = later(sim.last_at, 0.1, 3)
                decided_by, decided_at = sup, utc_text(at)
                if decision < 0.7:
                    state = "approved"
                    changes = {}
                    sim.set(changes, "deadline", wanted.isoformat())
                    sim.event("extension_approve", row["status"], at, sup, sup_dept, "", changes)
                    out["deadlines"].append(
                        copy_line(
                            (
                                issue_id,
                                wanted.isoformat(),
                                deadline.isoformat(),
                                "extended",
                                sup,
                                decided_at,
                            )
                        )
                    )
                    deadline = wanted
                else:
                    state = "rejected"
                    decision_note = rng.choice(words.REJECT_NOTES)
                    changes = {"extension_rejected": [wanted.isoformat(), ""]}
                    sim.event(
                        "extension_reject", row["status"], at, sup, sup_dept, decision_note, changes
                    )
            out["extensions"].append(
                copy_line(
                    (
                        issue_id,
                        handler,
                        requested_at,
                        current,
                        wanted.isoformat(),
                        reason,
                        state,
                        decided_by,
                        decided_at,
                        decision_note,
                    )
                )
            )
    if target == "in_progress":
        _urge(sim, rng, world, later, deadline)
        _finish(sim, out)
        return
    # 办结: mostly on time
    if rng.random() < 0.8:
        due = datetime.datetime.combine(deadline, datetime.time(18))
        at = later(sim.last_at, 0.5, max(1.0, (due - sim.last_at).total_seconds() / DAY))
    else:
        at = later(sim.last_at, 5, 70)
    resolution = rng.choice(words.RESOLUTIONS)
    changes = {}
    sim.set(changes, "resolution", resolution)
    sim.set_time(changes, "resolved_at", at)
    sim.set(changes, "resolved_on_time", at.date() <= deadline)
    sim.set(changes, "progress", "done")
    files = []
    if rng.random() < 0.03:
        sha = hashlib.sha256(f"{issue_id}:resolve".encode()).hexdigest()
        files = [("办结材料.pdf", sha, rng.randint(100_000, 5_000_000))]
    event_seq = sim.event("resolve", "resolved", at, handler, lead_id, "", changes, files=files)
    for name, sha, size in files:
        path = f"attachments/{year}/{number}/{sha[:32]}.pdf"
        out["attachments"].append(
            copy_line(
                (
                    issue_id,
                    event_seq,
                    path,
                    name,
                    "application/pdf",
                    size,
                    handler,
                    utc_text(at),
                    sha,
                )
            )
        )
    if target == "resolved":
        _finish(sim, out)
        return
    # 销号
    at = later(sim.last_at, 1, 12)
    r = rng.random()
    satisfaction = "satisfied" if r < 0.8 else ("basically" if r < 0.96 else "dissatisfied")
    note = rng.choice(words.CLOSE_NOTES)
    if satisfaction == "dissatisfied":
        note = "企业对办理时限不满意，经复核问题已解决，予以销号。"
    changes = {}
    sim.set(changes, "satisfaction", satisfaction)
    sim.set(changes, "satisfaction_note", note)
    sim.set_time(changes, "closed_at", at)
    sim.event("close", "closed", at, sup, sup_dept, note, changes)
    _finish(sim, out)


def _urge(sim, rng, world, later, deadline) -> None:
    """Open issues past their deadline are often urged, sometimes escalated."""
    if deadline >= world.now.date() or rng.random() > 0.35:
        return
    sup, sup_dept = world.supervisor
    at = later(max(sim.last_at, datetime.datetime.combine(deadline, datetime.time(9))), 0.5, 20)
    changes = {}
    sim.set(changes, "urge_count", sim.row["urge_count"] + 1)
    sim.set_time(changes, "last_urged_at", at)
    status = sim.row["status"]
    sim.event("urge", status, at, sup, sup_dept, rng.choice(words.URGE_NOTES), changes)
    if rng.random() < 0.15:
        at = later(at, 0.5, 10)
        changes = {}
        sim.set(changes, "is_escalated", True)
        sim.event("escalate", status, at, sup, sup_dept, "列为督办件，限期办结。", changes)


def text_grams(text: str) -> list[str]:
    """ledger_text_grams() (ledger/ledger_index.py) in Python: every 2-character piece of the
    lower-cased text without white space, in order, repeats kept."""
    s = _WHITESPACE.sub(" ", text.lower())
    return [a + b for a, b in zip(s, s[1:], strict=False) if a != " " and b != " "]


def array_text(values) -> str:
    """A PostgreSQL array literal of strings or integers (before COPY's own escaping)."""
    if not values:
        return "{}"
    if type(values[0]) is int:
        return "{" + ",".join(map(str, values)) + "}"
    plain = "".join(values)
    if "\\" in plain or '"' in plain:  # rare: escape them inside each quoted element
        values = [v.replace("\\", "\\\\").replace('"', '\\"') for v in values]
    return '{"' + '","'.join(values) + '"}'


def _derive(sim: IssueSim) -> None:
    """The search columns of the finished row, as REINDEX_BATCH_SQL sets them: involved is
    the sorted distinct raising, lead and co-departments; search_grams the grams of
    number, title and description joined by spaces."""
    row = sim.row
    involved = {row["raising_department_id"], row["lead_department_id"], *sim.co_departments}
    involved.discard(None)
    row["involved"] = array_text(sorted(involved))
    row["search_grams"] = array_text(
        text_grams(f"{row['number']} {row['title']} {row['description']}")
    )


def _finish(sim: IssueSim, out: dict) -> None:
    row = sim.row
    _derive(sim)
    out["issues"].append(copy_line(row[name] for name in ISSUE_COLUMNS))
    world = sim.world
    if world.state_fields is not None:
        state = events.state_digest(row[name] for name in world.state_fields)
        out["heads"].append(head_line(world, row["id"], row["number"], sim.seq, sim.prev, state))


def head_line(world: World, issue_id, number, seq, digest, state) -> str:
    mac = events.mac(
        world.key, events.head_payload(issue_id, number, seq, digest, state, world.key_id)
    )
    written = utc_text(world.now)
    return copy_line((issue_id, number, seq, digest, state, world.key_id, mac, written, None, ""))


def generate_chunk(world: World, start: int, stop: int) -> dict:
    """COPY text of every table for global issue indexes [start, stop)."""
    rng = random.Random(world.seed * 1_000_003 + start)
    out = {name: [] for name in TABLES}
    for index in range(start, stop):
        simulate_issue(world, rng, index, out)
    counts = {"issues": stop - start, "events": len(out["events"])}
    return {"counts": counts, **{name: "".join(lines) for name, lines in out.items()}}


# set by the pool initializer in each worker process
_WORLD: World | None = None


def worker_init(world: World) -> None:
    global _WORLD
    _WORLD = world


def worker_chunk(bounds: tuple[int, int]) -> dict:
    return generate_chunk(_WORLD, *bounds)
