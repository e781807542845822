"""Who may do what: the roles' rights as django-rules predicates.

Status is not checked here: states.TRANSITIONS says from which status an action
may be taken. `ledger.view_issue` must agree with selectors.visible_to(); a test
proves it for every role and ownership case — but one: the 系统账号 role (the accounts the
system acts under, which never sign in) holds `view_issue` and `oversee_issue` only because
workflow.transition checks them for the automatic 催办/督办, while visible_to() gives it no
issue, so a screen shows it nothing should it ever get a request.
"""

import rules
from django.conf import settings

# -- who the user is ---------------------------------------------------------


@rules.predicate
def is_admin(user):
    return bool(user.is_active and (user.is_superuser or user.role == "admin"))


@rules.predicate
def is_supervisor(user):
    return bool(user.is_active and user.role == "supervisor")


@rules.predicate
def is_leader(user):
    return bool(user.is_active and user.role == "leader" and _leader_id(user) is not None)


@rules.predicate
def is_staff_member(user):
    return bool(user.is_active and user.role == "staff" and user.department_id)


@rules.predicate
def is_system_account(user):
    """The role the system's own accounts hold (zz_system, zz_enterprise): what the
    automatic 催办/督办 need through workflow.transition (view + oversee), nothing else."""
    return bool(user.is_active and getattr(user, "role", None) == "system")


def _leader_id(user):
    # RelatedObjectDoesNotExist is an AttributeError; AnonymousUser has no profile either
    try:
        return user.leader_profile.pk
    except AttributeError:
        return None


# -- how the user relates to the issue ---------------------------------------


@rules.predicate
def is_responsible_leader(user, issue):
    if issue is None:
        return False
    return issue.leader_id is not None and issue.leader_id == _leader_id(user)


@rules.predicate
def leads_subject(user, issue):
    if issue is None:
        return False
    """The user is the 分包 leader of the issue's enterprise or key project."""
    leader_id = _leader_id(user)
    if leader_id is None:
        return False
    if issue.enterprise_id and issue.enterprise.leader_id == leader_id:
        return True
    return bool(issue.project_id and issue.project.leader_id == leader_id)


@rules.predicate
def in_lead_department(user, issue):
    if issue is None:
        return False
    return issue.lead_department_id is not None and issue.lead_department_id == user.department_id


@rules.predicate
def in_raising_department(user, issue):
    if issue is None:
        return False
    return issue.raising_department_id == user.department_id or issue.raised_by_id == user.pk


@rules.predicate
def in_co_department(user, issue):
    if issue is None:
        return False
    if not user.department_id:
        return False
    return any(d.pk == user.department_id for d in issue.co_departments.all())


@rules.predicate
def is_still_raised(user, issue):
    """The issue has not been assigned yet (待交办). Used only where the right itself depends
    on the status: the raising department may take back its own issue until it is assigned."""
    if issue is None:
        return False
    return issue.status == "raised"


# -- the role table ----------------------------------------------------------

oversees = is_admin | is_supervisor
owns_as_leader = is_leader & (is_responsible_leader | leads_subject)

can_view_issue = (
    oversees
    | is_system_account
    | owns_as_leader
    | (is_staff_member & (in_raising_department | in_lead_department | in_co_department))
)
# leaders log what they hear on visits (领导包联); the form keeps them to what they 分包
can_raise_issue = is_admin | is_supervisor | is_staff_member | is_leader
can_edit_issue = oversees | (is_staff_member & in_raising_department)
can_assign_issue = oversees | owns_as_leader
can_handle_issue = is_admin | (is_staff_member & in_lead_department)
can_direct_issue = oversees | (is_leader & is_responsible_leader)
can_oversee_issue = oversees | is_system_account
# 撤销: the oversight office; the raising department its own issue while still 待交办
can_withdraw_issue = oversees | (is_staff_member & in_raising_department & is_still_raised)
# the system accounts comment nothing (the enterprises' ratings are a system row whose caller
# authorises it: workflow.feedback_record)
can_comment_issue = can_view_issue & ~is_system_account

rules.add_perm("ledger.view_issue", can_view_issue)
rules.add_perm("ledger.add_issue", can_raise_issue)
rules.add_perm("ledger.edit_issue", can_edit_issue)
rules.add_perm("ledger.assign_issue", can_assign_issue)
rules.add_perm("ledger.handle_issue", can_handle_issue)
rules.add_perm("ledger.direct_issue", can_direct_issue)
rules.add_perm("ledger.oversee_issue", can_oversee_issue)
rules.add_perm("ledger.withdraw_issue", can_withdraw_issue)
rules.add_perm("ledger.comment_issue", can_comment_issue)

# directories: everyone signed in may read them; oversight sees all of them
rules.add_perm(
    "ledger.view_directory", rules.is_authenticated & rules.is_active & ~is_system_account
)


# -- keeping the directories (enterprises, key projects, progress reports) -----------


@rules.predicate
def is_subdistrict_staff(user):
    return bool(
        is_staff_member(user)
        and user.department.kind == "subdistrict"
        and user.department.is_active
    )


@rules.predicate
def in_enterprise_subdistrict(user, enterprise):
    if enterprise is None:
        return False
    return bool(enterprise.subdistrict_id and enterprise.subdistrict_id == user.department_id)


@rules.predicate
def in_project_lead_department(user, project):
    if project is None:
        return False
    return bool(project.lead_department_id and project.lead_department_id == user.department_id)


# the oversight office keeps the directories; a sub-district office (办事处) keeps the
# enterprises of its own sub-district; what staff add is 待核实 until the office confirms it
rules.add_perm("ledger.add_enterprise", oversees | is_subdistrict_staff)
rules.add_perm(
    "ledger.change_enterprise", oversees | (is_subdistrict_staff & in_enterprise_subdistrict)
)
rules.add_perm("ledger.verify_enterprise", oversees)
# while logging, an enterprise not in the directory is added (name and credit code, 待核实)
rules.add_perm("ledger.add_enterprise_inline", is_admin | is_supervisor | is_staff_member)
rules.add_perm("ledger.add_project", oversees)
rules.add_perm("ledger.change_project", oversees)
# 投资进度月报: the oversight office and the project's lead department
rules.add_perm("ledger.report_progress", oversees | (is_staff_member & in_project_lead_department))


# -- the oversight office's own work ---------------------------------------------
# Each room's views check these instead of looking at the user's role. Templates show the
# matching buttons with `user.sees_everything` (the same test as `oversees`): a has_perm
# that rules answers False falls through to Django's ModelBackend, two queries on every page.

# import ledgers and master data (wizard, import_ledger/import_master, workflow.issues_import)
rules.add_perm("ledger.import_ledger", oversees)
# export master data (enterprises, contacts, units, leaders, key projects)
rules.add_perm("ledger.export_master", oversees)
# batch 催办 / 交办 from the ledger (each issue still checked by its own transition)
rules.add_perm("ledger.batch_issues", oversees)
# the assessment ranks every unit on every issue: compiled by the office, not per person
rules.add_perm("ledger.view_assessment", oversees)


def two_factor_required(user) -> bool:
    """Whether LEDGER_REQUIRE_2FA asks this user for a second factor at sign-in (no query):
    the one rule the security room's sign-in and the API room's token page both ask."""
    mode = settings.LEDGER_REQUIRE_2FA
    if mode == "everyone":
        return True
    if mode == "privileged":
        return bool(
            user.is_superuser
            or user.is_staff
            or getattr(user, "is_admin_role", False)
            or getattr(user, "is_supervisor_role", False)
        )
    return False
