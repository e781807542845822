"""Who may do what with visits and procedures (django-rules), registered on import
(ServiceConfig.ready). selectors.visits_visible_to() must agree with `service.view_visit`;
a test proves it for every role and ownership case.

"Their department's leaders": a leader belongs to no department (Leader has only a user,
whose department is usually empty), so a department serves a leader through what the
leader 分包: the 办事处 an enterprise lies in (Enterprise.subdistrict) and the 责任单位 of
a key project (KeyProject.lead_department) — the people who go along on such a visit.
When a leader's user does have a department, its staff serve all of that leader's
subjects as well.
"""

import rules

from ledger.rules import is_leader, is_staff_member, oversees


def _leader_id(user):
    try:
        return user.leader_profile.pk
    except AttributeError:
        return None


def _serves(user, subject, leader) -> bool:
    """The staff member's department serves this subject (or this leader) on visits."""
    department = user.department_id
    if not department or subject is None:
        return False
    if getattr(subject, "subdistrict_id", None) == department:
        return True
    if getattr(subject, "lead_department_id", None) == department:
        return True
    return leader is not None and leader.user.department_id == department


# -- recording a visit for a subject (enterprise or key project) ------------------------


@rules.predicate
def leads_visit_subject(user, subject):
    """The user is the 分包 leader of the enterprise or project."""
    if subject is None:
        return False
    leader_id = _leader_id(user)
    return leader_id is not None and subject.leader_id == leader_id


@rules.predicate
def serves_visit_subject(user, subject):
    if subject is None or subject.leader_id is None:
        return False
    return _serves(user, subject, subject.leader)


@rules.predicate
def has_subject_leader(user, subject):
    return subject is not None and subject.leader_id is not None


# a visit is a 分包 leader's: only subjects that have one can be visited
can_record_visit = has_subject_leader & (
    oversees | (is_leader & leads_visit_subject) | (is_staff_member & serves_visit_subject)
)


# -- a recorded visit -------------------------------------------------------------------


@rules.predicate
def is_visit_leader(user, visit):
    return visit is not None and visit.leader_id == _leader_id(user)


@rules.predicate
def recorded_visit(user, visit):
    return visit is not None and visit.created_by_id == user.pk


@rules.predicate
def went_on_visit(user, visit):
    if visit is None:
        return False
    return any(person.pk == user.pk for person in visit.companions.all())


@rules.predicate
def serves_visit(user, visit):
    return visit is not None and _serves(user, visit.subject, visit.leader)


can_view_visit = (
    oversees
    | (is_leader & is_visit_leader)
    | (is_staff_member & (recorded_visit | went_on_visit | serves_visit))
)
# never more than the viewers: the leader, who recorded it, and the department serving it
can_change_visit = (
    oversees | (is_leader & is_visit_leader) | (is_staff_member & (recorded_visit | serves_visit))
)

# the coverage table compares leaders: the oversight office's, like the assessment
can_view_coverage = oversees


# -- procedures of a key project ----------------------------------------------------------


@rules.predicate
def leads_project(user, project):
    leader_id = _leader_id(user)
    return project is not None and leader_id is not None and project.leader_id == leader_id


@rules.predicate
def carries_procedure(user, procedure):
    if procedure is None or not (user.is_authenticated and user.is_active):
        return False
    return procedure.agent_id == user.pk


@rules.predicate
def leads_procedure_project(user, procedure):
    return procedure is not None and leads_project(user, procedure.project)


# the checklist itself (which procedures, who acts, who carries them): the office and the
# project's 分包 leader; the 代办员 moves their own procedure (status, dates, note)
can_plan_procedures = oversees | (is_leader & leads_project)
can_change_procedure = oversees | (is_leader & leads_procedure_project) | carries_procedure
can_assign_procedure = oversees | (is_leader & leads_procedure_project)

rules.add_perm("service.record_visit", can_record_visit)
rules.add_perm("service.view_visit", can_view_visit)
rules.add_perm("service.change_visit", can_change_visit)
rules.add_perm("service.view_coverage", can_view_coverage)
rules.add_perm("service.plan_procedures", can_plan_procedures)
rules.add_perm("service.change_procedure", can_change_procedure)
rules.add_perm("service.assign_procedure", can_assign_procedure)
