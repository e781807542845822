"""Who stands for whom: the department a district leader's own issues are raised for."""

from django.conf import settings
from django.db.models import Q

from ledger.models import Department


def leader_raising_department():
    """The department a district leader's own issues (领导包联) are raised for.

    A leader belongs to no department; settings.LEDGER["LEADER_RAISING_DEPARTMENT"] names
    one (name or short name), else the first active oversight office (督查机构), which
    assigns them anyway. None when neither exists.
    """
    active = Department.objects.filter(is_active=True)
    name = settings.LEDGER.get("LEADER_RAISING_DEPARTMENT", "").strip()
    if name:
        return active.filter(Q(name=name) | Q(short_name=name)).order_by("pk").first()
    return active.filter(kind=Department.Kind.OVERSIGHT).order_by("order", "pk").first()
