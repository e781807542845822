"""Demo data of the service room: 包联 visits of every demo leader and the 代办 checklists
of the demo key projects.

- The demo issues that came from visits (source 领导包联 or 企业走访) are linked to a visit
  on the day they were raised, by whoever raised them; no issue is created here.
- Every other demo leader's enterprise or project gets problem-free visits: one in the
  previous visit period and, for every other subject, one in the current period, so
  /leaders/me/ shows some visited and some due. 陶建平 (leader_tao) was last there long
  ago: the leader overdue for a visit.
- Each demo key project gets its procedure checklist by its stage; one step of one
  project in preparation is late (red), one is due within the yellow days.

Idempotent: an issue already linked, a visit with the same leader, subject and summary,
and a project's existing procedure row are left as they are.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ledger import demo
from ledger.models import Enterprise, Issue, KeyProject, Leader, User

from .models import ProcedureType, ProjectProcedure, Visit, VisitIssue
from .selectors import visit_period
from .services import SOURCE_LEADER_VISIT, SOURCE_STAFF_VISIT, default_units_fill

OVERDUE_LEADER = "leader_tao"
SUMMARIES = [
    "了解企业生产经营和订单情况，企业反映运行平稳，暂无需要协调的问题。",
    "实地查看项目建设进度，现场施工有序，暂无需要协调的问题。",
    "座谈了解用工、融资和产销情况，企业表示近期无困难需要协调。",
]
LATE_DAYS = 12


def service_seed(*, today: datetime.date, stdout) -> None:
    users = {u.username: u for u in User.objects.filter(username__in=demo.USERNAMES)}
    leaders = {
        leader.user.username: leader
        for leader in Leader.objects.select_related("user").filter(
            user__username__in=[row["username"] for row in demo.LEADERS]
        )
    }
    if not leaders:
        return
    with transaction.atomic():
        linked = _visits_from_issues(leaders)
        quiet = _visits_quiet(today, users, leaders)
        procedures = _procedures_seed(today, users)
    stdout.write(
        f"走访 {linked + quiet} 条、代办手续 {procedures} 项已添加。"
        f" / {linked + quiet} visits and {procedures} procedures added."
    )


def _unit_staff(users) -> dict:
    staff = {}
    for row in demo.USERS:
        if row["role"] == "staff":
            staff.setdefault(row["department"], users.get(row["username"]))
    return staff


def _visits_from_issues(leaders) -> int:
    """One visit per subject and day for the demo issues heard on visits."""
    issues = (
        Issue.objects.filter(
            title__in=demo.DEMO_TITLES,
            source__name__in=[SOURCE_LEADER_VISIT, SOURCE_STAFF_VISIT],
            visit_link__isnull=True,
        )
        .exclude(enterprise__isnull=True, project__isnull=True)
        .select_related("enterprise__leader__user", "project__leader__user", "source", "raised_by")
        .order_by("raised_at", "pk")
    )
    visits = {}
    created = 0
    for issue in issues:
        subject = issue.enterprise or issue.project
        if subject.leader_id is None or subject.leader.user.username == OVERDUE_LEADER:
            continue
        if subject.leader.user.username not in leaders:
            continue
        day = timezone.localtime(issue.raised_at).date()
        key = (type(subject), subject.pk, day)
        visit = visits.get(key)
        if visit is None:
            visit = Visit.objects.create(
                enterprise=subject if isinstance(subject, Enterprise) else None,
                project=subject if isinstance(subject, KeyProject) else None,
                leader=subject.leader,
                visited_on=day,
                leader_attended=issue.source.name == SOURCE_LEADER_VISIT,
                summary="走访中企业反映了以下问题，已当场登记到问题台账。",
                created_by=issue.raised_by,
                created_at=issue.raised_at,
            )
            if isinstance(subject, Enterprise):
                visit.contacts.set(subject.contacts.filter(is_primary=True))
            visits[key] = visit
            created += 1
        VisitIssue.objects.create(visit=visit, issue=issue)
    return created


def _visits_quiet(today, users, leaders) -> int:
    """Problem-free visits: last period for every subject, this period for every other one."""
    start, _end = visit_period(today)
    previous_start, previous_end = visit_period(start - datetime.timedelta(days=1))
    long_ago = previous_start - datetime.timedelta(days=45)
    this_period_day = start + datetime.timedelta(days=(today - start).days // 2)
    last_period_day = previous_start + datetime.timedelta(days=20)
    staff = _unit_staff(users)
    created = 0
    for username, leader in sorted(leaders.items(), key=lambda item: item[1].order):
        subjects = [
            *Enterprise.objects.filter(leader=leader, name__in=_names(demo.ENTERPRISES)),
            *KeyProject.objects.filter(leader=leader, name__in=_names(demo.PROJECTS)),
        ]
        subjects.sort(key=lambda s: (s._meta.model_name, s.name))
        for index, subject in enumerate(subjects):
            if username == OVERDUE_LEADER:
                days = [long_ago]
            elif index % 2 == 0:
                days = [last_period_day, this_period_day]
            else:
                days = [last_period_day + datetime.timedelta(days=index)]
            for number, day in enumerate(days):
                summary = SUMMARIES[(index + number) % len(SUMMARIES)]
                lookup = {
                    "leader": leader,
                    "summary": summary,
                    "enterprise" if isinstance(subject, Enterprise) else "project": subject,
                }
                if Visit.objects.filter(**lookup).exists():
                    continue
                unit = (
                    subject.subdistrict
                    if isinstance(subject, Enterprise)
                    else subject.lead_department
                )
                companion = staff.get(unit.name) if unit else None
                visit = Visit.objects.create(
                    **lookup,
                    visited_on=min(day, today),
                    leader_attended=True,
                    no_problems=True,
                    created_by=companion or leader.user,
                    created_at=timezone.make_aware(
                        datetime.datetime.combine(min(day, today), datetime.time(16, 0))
                    ),
                )
                if companion:
                    visit.companions.set([companion])
                if isinstance(subject, Enterprise):
                    visit.contacts.set(subject.contacts.filter(is_primary=True))
                created += 1
    return created


def _names(rows) -> list[str]:
    return [row["name"] for row in rows]


def _procedures_seed(today, users) -> int:
    default_units_fill()  # the demo's departments exist now: 环评批复 → 区生态环境分局 …
    types = list(
        ProcedureType.objects.filter(is_active=True)
        .select_related("default_department")
        .order_by("order", "name")
    )
    if not types:
        return 0
    staff = _unit_staff(users)
    yellow = settings.LEDGER["YELLOW_DAYS"]
    projects = list(
        KeyProject.objects.filter(name__in=_names(demo.PROJECTS)).select_related("lead_department")
    )
    projects.sort(key=lambda p: _names(demo.PROJECTS).index(p.name))
    preparing = [p for p in projects if p.stage == KeyProject.Stage.PREPARATION]
    late_project = preparing[0] if preparing else None
    yellow_project = preparing[1] if len(preparing) > 1 else None
    have = set(
        ProjectProcedure.objects.filter(project__in=projects).values_list("project_id", "type_id")
    )
    rows = []
    for project in projects:
        agent = staff.get(project.lead_department.name) if project.lead_department else None
        last = len(types) - 1
        if project.stage == KeyProject.Stage.COMPLETED:
            done = len(types)
        elif project.stage == KeyProject.Stage.CONSTRUCTION:
            done = last  # everything up to 施工许可; 竣工验收 ahead
        else:
            done = 2
        for position, kind in enumerate(types):
            if (project.pk, kind.pk) in have:
                continue
            values = {"status": ProjectProcedure.Status.NOT_STARTED, "done_on": None}
            if position < done:
                finished = today - datetime.timedelta(days=30 + (done - position) * 25)
                values.update(
                    status=ProjectProcedure.Status.DONE,
                    done_on=finished,
                    planned_on=finished + datetime.timedelta(days=5),
                )
            elif position == done:
                if project == late_project:
                    planned = today - datetime.timedelta(days=LATE_DAYS)
                elif project == yellow_project:
                    planned = today + datetime.timedelta(days=max(yellow - 1, 0))
                elif position == last and project.expected_completion:
                    planned = max(project.expected_completion, today + datetime.timedelta(days=60))
                else:
                    planned = today + datetime.timedelta(days=40)
                values.update(
                    status=ProjectProcedure.Status.IN_PROGRESS
                    if position != last
                    else ProjectProcedure.Status.NOT_STARTED,
                    planned_on=planned,
                )
            else:
                values["planned_on"] = today + datetime.timedelta(days=40 + (position - done) * 30)
            if kind.name == "能评" and project.sector != KeyProject.Sector.INDUSTRY:
                values.update(
                    status=ProjectProcedure.Status.NOT_APPLICABLE, done_on=None, planned_on=None
                )
            rows.append(
                ProjectProcedure(
                    project=project,
                    type=kind,
                    department=kind.default_department or project.lead_department,
                    agent=agent,
                    note="",
                    updated_by=agent,
                    **values,
                )
            )
    ProjectProcedure.objects.bulk_create(rows)
    return len(rows)
