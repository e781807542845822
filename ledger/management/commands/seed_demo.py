"""seed_demo: load the demo ledger described in ledger/demo.py.

Deterministic: the same rows on every machine seeded on the same day (one fixed
random seed; dates are relative to today). Idempotent: running it again changes
nothing (on a later day only the key projects' year and completed investment are
brought up to date, so their pace stays meaningful). Master data (units, people,
enterprises, contacts, projects) is matched on its natural key (name, username)
and saved only when a value differs, so no history rows pile up. The demo issues
are recognised by their titles (demo.DEMO_TITLES): if any of them is already in the
ledger, no issue is created, and because the whole seed runs in one transaction,
either every demo issue exists or none does.

Issues are raised and moved only through ledger.workflow, with `at=` backdating
each step, so every demo issue has a believable timeline and valid event chain.
Notifications are switched off while seeding (no flood of e-mails).

Safety: it creates accounts with a published password, so it never runs by accident
on a real database. It refuses to run unless the process started in DEBUG
(settings.SEED_DEMO_ALLOWED) or is given --i-know-this-is-not-production; it refuses,
changing nothing, when an account with a demo user name exists that it did not create
(it marks its own with demo.demo_email), and when the database holds issues raised by
anyone but its own accounts — a real ledger. Issues people raise with the demo
accounts while trying the demo do not stop it.
"""

import datetime
import random
from collections import Counter, defaultdict
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from ledger import demo, workflow
from ledger.models import (
    Category,
    Contact,
    Department,
    Enterprise,
    Issue,
    KeyProject,
    Leader,
    Source,
    User,
)
from ledger.rooms import rooms
from ledger.states import Status
from ledger.workdays import is_working_day

# A fixed salt makes the demo password's hash the same on every run, so re-seeding
# does not rewrite it (the password itself is printed by demo_logins: nothing to hide).
# A demo account whose password was changed gets the demo password back.
_DEMO_SALT = "zhongzhanDemoSalt2014ab"


class Command(BaseCommand):
    help = "载入演示数据（幂等）。 / Load the demo data (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--i-know-this-is-not-production",
            action="store_true",
            dest="not_production",
            help="DEBUG 关闭时也运行（仅限演示或测试库） / run with DEBUG off"
            " (demo or test databases only)",
        )

    def handle(self, *args, not_production=False, **options):
        if not (settings.SEED_DEMO_ALLOWED or settings.DEBUG or not_production):
            raise CommandError(
                "DEBUG 未开启：seed_demo 会创建密码公开的演示账号，不得在正式环境运行。"
                "如确认这是演示或测试数据库，请加 --i-know-this-is-not-production。"
                " / DEBUG is off: seed_demo creates accounts with a published password and"
                " must not run in production. If this is a demo or test database, add"
                " --i-know-this-is-not-production."
            )
        demo_database_check()
        today = timezone.localdate()
        with override_settings(LEDGER={**settings.LEDGER, "NOTIFY": False}):
            result = demo_seed(today=today)
        rooms_seed(today=today, stdout=self.stdout)
        if result["issues_created"]:
            self.stdout.write(f"已创建演示问题 {result['issues_created']} 条。")
            self.stdout.write(f"Created {result['issues_created']} demo issues.")
        else:
            self.stdout.write(
                "演示问题已存在，未作改动。 / Demo issues already present; unchanged."
            )
        self.stdout.write("各状态问题数 / Issues by status:")
        for status in Status:
            count = result["by_status"].get(status.value, 0)
            self.stdout.write(f"  {count:>4}  {status.value:<12} {status.label}")
        self.stdout.write(
            f"单位 {result['departments']} · 用户 {result['users']} · 企业 {result['enterprises']}"
            f" · 重点项目 {result['projects']} / departments, users, enterprises, key projects."
        )
        self.stdout.write(self.style.SUCCESS("演示数据就绪。 / Demo data ready."))


def demo_accounts_foreign() -> list[User]:
    """Accounts with a demo user name that seed_demo did not create (see demo.demo_email)."""
    return [
        user
        for user in User.objects.filter(username__in=demo.USERNAMES).order_by("username")
        if user.email != demo.demo_email(user.username)
    ]


def demo_accounts_own():
    """The accounts seed_demo created: a demo user name with its demo address."""
    pks = [
        pk
        for pk, username, email in User.objects.filter(username__in=demo.USERNAMES).values_list(
            "pk", "username", "email"
        )
        if email == demo.demo_email(username)
    ]
    return User.objects.filter(pk__in=pks)


def demo_database_check() -> None:
    """Refuse (CommandError, nothing written) unless this database is a demo one."""
    foreign = demo_accounts_foreign()
    if foreign:
        names = "、".join(user.username for user in foreign)
        raise CommandError(
            f"以下账号使用了演示用户名，但不是 seed_demo 创建的，未作任何改动：{names}。"
            "这不像演示数据库，seed_demo 拒绝运行。"
            f" / These accounts have demo user names but were not created by seed_demo;"
            f" nothing was changed: {', '.join(u.username for u in foreign)}. This does not"
            " look like a demo database, so seed_demo refuses to run."
        )
    real = Issue.objects.exclude(raised_by__in=demo_accounts_own())
    count = real.count()
    if count:
        numbers = ", ".join(real.order_by("year", "seq").values_list("number", flat=True)[:5])
        raise CommandError(
            f"数据库中有 {count} 个不是演示账号登记的问题（如 {numbers}），"
            "这不像演示数据库，seed_demo 拒绝运行，未作任何改动。"
            f" / The database holds {count} issues not raised by the demo accounts"
            f" (e.g. {numbers}): this does not look like a demo database, so seed_demo"
            " refuses to run; nothing was changed."
        )


def demo_seed(*, today: datetime.date) -> dict:
    """Create or refresh the demo data; returns a summary."""
    with transaction.atomic():
        for position, name in enumerate(demo.CATEGORIES, start=1):
            Category.objects.get_or_create(name=name, defaults={"order": position * 10})
        for position, name in enumerate(demo.SOURCES, start=1):
            Source.objects.get_or_create(name=name, defaults={"order": position * 10})
        departments = _departments_seed()
        users = _users_seed(departments)
        leaders = _leaders_seed(users)
        enterprises = _enterprises_seed(departments, leaders)
        projects = _projects_seed(today, departments, leaders, enterprises)
        created = 0
        own = Issue.objects.filter(title__in=demo.DEMO_TITLES, raised_by__in=demo_accounts_own())
        if not own.exists():
            created = _Ledger(
                today=today,
                departments=departments,
                users=users,
                leaders=leaders,
                enterprises=enterprises,
                projects=projects,
            ).seed()
    by_status = Counter(
        Issue.objects.filter(title__in=demo.DEMO_TITLES).values_list("status", flat=True)
    )
    return {
        "issues_created": created,
        "by_status": dict(by_status),
        "departments": len(departments),
        "users": len(users),
        "enterprises": len(enterprises),
        "projects": len(projects),
    }


def rooms_seed(*, today: datetime.date, stdout) -> None:
    """Let each room (ledger.notify, ledger.service …) add its own demo data through its
    Room.seed_demo hook (ledger/rooms.py), idempotent like this command."""
    for room in rooms():
        room.seed_demo(today=today, stdout=stdout)


# -- master data -------------------------------------------------------------------


def _upsert(model, lookup: dict, values: dict):
    """get-or-create on the natural key; save only what differs (keeps history quiet)."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.full_clean()
        obj.save()
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.full_clean()
        obj.save(update_fields=changed)
    return obj


def _departments_seed() -> dict[str, Department]:
    return {
        row["name"]: _upsert(
            Department,
            {"name": row["name"]},
            {
                "short_name": row["short_name"],
                "kind": row["kind"],
                "order": position * 10,
                "is_active": True,
            },
        )
        for position, row in enumerate(demo.DEPARTMENTS, start=1)
    }


def _users_seed(departments) -> dict[str, User]:
    password = make_password(demo.PASSWORD, salt=_DEMO_SALT)
    users = {}
    for row in demo.USERS:
        users[row["username"]] = _upsert(
            User,
            {"username": row["username"]},
            {
                "name": row["name"],
                "email": demo.demo_email(row["username"]),
                "role": row["role"],
                "department": departments[row["department"]] if row["department"] else None,
                "is_staff": row.get("is_staff", False),
                "is_superuser": row.get("is_superuser", False),
                "is_active": True,
                "password": password,
            },
        )
    return users


def _leaders_seed(users) -> dict[str, Leader]:
    return {
        row["username"]: _upsert(
            Leader,
            {"user": users[row["username"]]},
            {"title": row["title"], "order": row["order"], "is_active": True},
        )
        for row in demo.LEADERS
    }


def _enterprises_seed(departments, leaders) -> dict[str, Enterprise]:
    enterprises = {}
    for row in demo.ENTERPRISES:
        enterprise = _upsert(
            Enterprise,
            {"name": row["name"]},
            {
                "credit_code": row["credit_code"],
                "industry": row["industry"],
                "scale": row["scale"],
                "address": row["address"],
                "subdistrict": departments[row["subdistrict"]],
                "leader": leaders[row["leader"]],
                "is_active": True,
            },
        )
        for contact in row["contacts"]:
            values = {k: v for k, v in contact.items() if k != "name"}
            _upsert(Contact, {"enterprise": enterprise, "name": contact["name"]}, values)
        enterprises[row["name"]] = enterprise
    return enterprises


def _completed(project: KeyProject, lag, today: datetime.date) -> Decimal:
    """This year's completed investment that trails 序时进度 by `lag` points (see demo.py)."""
    if lag == "not_started":
        return Decimal("0.00")
    if lag == "done":
        return project.annual_plan
    share = project.expected_share(today) - Decimal(lag)
    share = min(max(share, Decimal(0)), Decimal(100))
    return (project.annual_plan * share / 100).quantize(Decimal("0.01"))


def _projects_seed(today, departments, leaders, enterprises) -> dict[str, KeyProject]:
    # The report's 2014 projects are replayed as this year's, so pace flags mean something today.
    year = today.year
    projects = {}
    for row in demo.PROJECTS:
        start_off, start_month, start_day = row["start"]
        end_off, end_month, end_day = row["end"]
        values = {
            "level": row["level"],
            "nature": row["nature"],
            "sector": row["sector"],
            "year": year,
            "total_investment": Decimal(row["total_investment"]).quantize(Decimal("0.01")),
            "annual_plan": Decimal(row["annual_plan"]).quantize(Decimal("0.01")),
            "stage": row["stage"],
            "leader": leaders[row["leader"]],
            "lead_department": departments[row["lead_department"]],
            "owner": enterprises[row["owner"]] if row["owner"] else None,
            "start_date": datetime.date(year + start_off, start_month, start_day),
            "expected_completion": datetime.date(year + end_off, end_month, end_day),
        }
        probe = KeyProject(year=year, annual_plan=values["annual_plan"])
        values["completed_this_year"] = _completed(probe, row["lag"], today)
        projects[row["name"]] = _upsert(KeyProject, {"name": row["name"]}, values)
    return projects


# -- the ledger --------------------------------------------------------------------


def _working_day_back(day: datetime.date) -> datetime.date:
    while not is_working_day(day):
        day -= datetime.timedelta(days=1)
    return day


def _working_day_forward(day: datetime.date) -> datetime.date:
    while not is_working_day(day):
        day += datetime.timedelta(days=1)
    return day


# steps older than this many days are moved back by the issue's shift (see demo.STORIES)
_SHIFT_AFTER_DAYS = 3
_MAX_SHIFT = 4


class _Ledger:
    """Raises every demo issue and plays its story through the workflow."""

    def __init__(self, *, today, departments, users, leaders, enterprises, projects):
        self.today = today
        self.rng = random.Random(demo.RANDOM_SEED)
        self.tz = timezone.get_current_timezone()
        self.departments = departments
        self.users = users
        self.leaders = leaders
        self.enterprises = enterprises
        self.projects = projects
        self.supervisor = users["supervisor"]
        self.categories = {c.name: c for c in Category.objects.filter(name__in=demo.CATEGORIES)}
        self.sources = {s.name: s for s in Source.objects.filter(name__in=demo.SOURCES)}
        # the person in each unit who acts for it (the first listed)
        self.unit_staff = {}
        for row in demo.USERS:
            if row["role"] == "staff":
                self.unit_staff.setdefault(row["department"], users[row["username"]])

    def seed(self) -> int:
        plans = []
        for index, spec in enumerate(demo.ISSUES):
            steps = demo.STORIES[spec["story"]]
            shift = self.rng.randint(0, _MAX_SHIFT)
            raise_days = self._days(steps[0][0], shift)
            raise_day = _working_day_back(self.today - datetime.timedelta(days=raise_days))
            raised_at = self._on(raise_day, self.rng.randint(0, 8 * 60))
            plans.append((raised_at, index, spec, shift))
        # ledger numbers follow the order in which issues were raised
        plans.sort(key=lambda plan: (plan[0], plan[1]))
        for raised_at, _index, spec, shift in plans:
            _Story(self, spec, shift, raised_at).play()
        return len(plans)

    def _days(self, days_ago: int, shift: int) -> int:
        return days_ago + shift if days_ago > _SHIFT_AFTER_DAYS else days_ago

    def _on(self, day: datetime.date, minutes: int) -> datetime.datetime:
        """A moment of office hours (08:30 + minutes) on `day`."""
        start = datetime.datetime.combine(day, datetime.time(8, 30), self.tz)
        return start + datetime.timedelta(minutes=minutes)

    def deadline(self, days: int) -> datetime.date:
        """A date `days` from today, on a working day in the direction that keeps its light."""
        day = self.today + datetime.timedelta(days=days)
        if days < 0:
            return _working_day_back(day)
        if days > settings.LEDGER["YELLOW_DAYS"]:
            return _working_day_forward(day)
        return day


class _Story:
    """One demo issue living through its story (demo.STORIES), step by step."""

    def __init__(self, ledger: _Ledger, spec: dict, shift: int, raised_at: datetime.datetime):
        self.ledger = ledger
        self.rng = ledger.rng
        self.spec = spec
        self.shift = shift
        self.raised_at = raised_at
        self.previous = self.cursor = raised_at
        self.issue = None
        self.notes = defaultdict(list)
        self.notes["progress"] = list(spec.get("progress", []))

    def play(self) -> None:
        steps = demo.STORIES[self.spec["story"]]
        self._raise()
        for days_ago, action, params in steps[1:]:
            at = self._at(self.ledger._days(days_ago, self.shift))
            getattr(self, f"_{action}")(at, **params)

    def _at(self, days_ago: int) -> datetime.datetime:
        """The moment of a step: on the working day `days_ago` back, after the previous step."""
        ledger = self.ledger
        day = _working_day_back(ledger.today - datetime.timedelta(days=days_ago))
        if day <= timezone.localtime(self.cursor).date():
            moment = self.cursor + datetime.timedelta(minutes=self.rng.randint(12, 50))
        else:
            moment = ledger._on(day, self.rng.randint(0, 8 * 60))
        if timezone.localtime(moment).date() >= ledger.today:
            raise RuntimeError(f"demo story step lands on today: {self.spec['title']}")
        self.previous, self.cursor = self.cursor, moment
        return moment

    # -- who acts

    def _lead_staff(self) -> User:
        return self.ledger.unit_staff[self.issue.lead_department.name]

    def _director(self) -> User:
        """Extensions, 销号 and 重办: the responsible leader or the oversight office."""
        if self.issue.leader_id and self.rng.random() < 0.5:
            return self.issue.leader.user
        return self.ledger.supervisor

    def _go(self, action, *, actor, at, **data):
        workflow.transition(self.issue, actor=actor, action=action, at=at, **data)

    # -- the steps

    def _raise(self) -> None:
        spec, ledger = self.spec, self.ledger
        data = {
            "title": spec["title"],
            "description": spec["description"],
            "category": ledger.categories[spec["category"]],
            "source": ledger.sources[spec["source"]],
            "urgency": spec.get("urgency", Issue.Urgency.NORMAL),
        }
        if spec.get("enterprise"):
            data["enterprise"] = ledger.enterprises[spec["enterprise"]]
        if spec.get("project"):
            data["project"] = ledger.projects[spec["project"]]
        self.issue = workflow.issue_raise(
            actor=ledger.users[spec["raised_by"]], at=self.raised_at, **data
        )

    def _assign(self, at, *, deadline, lead=None):
        spec, ledger = self.spec, self.ledger
        first = lead == "first"
        unit = ledger.departments[spec["first_lead"] if first else spec["lead"]]
        if spec.get("leader"):
            leader = ledger.leaders[spec["leader"]]
        elif self.issue.leader_id:
            leader = self.issue.leader
        else:
            raise RuntimeError(f"demo issue without a leader: {spec['title']}")
        # a 分包 leader sometimes assigns their own enterprise's issues; mostly the office does
        actor = ledger.supervisor
        if self.issue.leader_id and self.rng.random() < 0.4:
            actor = self.issue.leader.user
        data = {
            "leader": leader,
            "lead_department": unit,
            "deadline": ledger.deadline(deadline),
            "responsible_person": ledger.unit_staff[unit.name].name,
        }
        if spec.get("measures"):
            data["measures"] = spec["measures"]
        if not first and spec.get("co"):
            data["co_departments"] = [ledger.departments[name] for name in spec["co"]]
        self._go("assign", actor=actor, at=at, **data)

    def _reassign(self, at):
        ledger = self.ledger
        unit = ledger.departments[self.spec["lead"]]
        self._go(
            "reassign",
            actor=ledger.supervisor,
            at=at,
            note=demo.REASSIGN_NOTE,
            lead_department=unit,
            co_departments=[ledger.departments[name] for name in self.spec.get("co", [])],
            responsible_person=ledger.unit_staff[unit.name].name,
        )

    def _accept(self, at):
        self._go("accept", actor=self._lead_staff(), at=at)

    def _return(self, at):
        note = demo.RETURN_REASON % {"lead": self.spec["lead"]}
        self._go("return", actor=self._lead_staff(), at=at, note=note)

    def _progress(self, at, *, word):
        queue = self.notes["progress"]
        note = queue.pop(0) if queue else self.rng.choice(demo.PROGRESS_NOTES[word])
        self._go("progress", actor=self._lead_staff(), at=at, note=note, progress=word)

    def _comment(self, at):
        actor = self.issue.leader.user if self.issue.leader_id else self.ledger.supervisor
        self._go("comment", actor=actor, at=at, note=demo.COMMENT_NOTE)

    def _urge(self, at):
        self._go("urge", actor=self.ledger.supervisor, at=at, note=demo.URGE_NOTE)

    def _escalate(self, at):
        self._go("escalate", actor=self.ledger.supervisor, at=at, note=demo.ESCALATE_NOTE)

    def _extension_request(self, at, *, to):
        self._go(
            "extension_request",
            actor=self._lead_staff(),
            at=at,
            note=self.rng.choice(demo.EXTENSION_REASONS),
            new_deadline=self.ledger.deadline(to),
        )

    def _extension_approve(self, at):
        self._go(
            "extension_approve", actor=self._director(), at=at, note=demo.EXTENSION_APPROVE_NOTE
        )

    def _extension_reject(self, at):
        self._go("extension_reject", actor=self._director(), at=at, note=demo.EXTENSION_REJECT_NOTE)

    def _resolve(self, at):
        resolution = self.spec.get("resolution") or "已按整改措施办理完毕，企业确认问题已解决。"
        self._go("resolve", actor=self._lead_staff(), at=at, resolution=resolution)

    def _close(self, at, *, satisfaction):
        # a room may act between 办结 and 销号 (the feedback room records the enterprise's own
        # rating there): five minutes before 销号, when that is still after the step before
        # and on the same day
        before = at - datetime.timedelta(minutes=5)
        if before > self.previous and timezone.localtime(before).date() == (
            timezone.localtime(at).date()
        ):
            for room in rooms():
                room.demo_before_close(issue=self.issue, at=before, satisfaction=satisfaction)
        self._go(
            "close",
            actor=self._director(),
            at=at,
            note=demo.SATISFACTION_NOTES[satisfaction],
            satisfaction=satisfaction,
        )

    def _reopen(self, at, *, deadline):
        self._go(
            "reopen",
            actor=self._director(),
            at=at,
            note=demo.REOPEN_NOTE,
            deadline=self.ledger.deadline(deadline),
        )

    def _withdraw(self, at, *, reason):
        self._go(
            "withdraw", actor=self.ledger.supervisor, at=at, note=demo.WITHDRAW_REASONS[reason]
        )
