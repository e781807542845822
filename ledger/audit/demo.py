"""Demo accounts of the three administrator roles (fictional people), for seed_demo."""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from ledger import demo

from .roles import AUDIT_ADMIN, SECURITY_ADMIN, SYSTEM_ADMIN, roles_setup

# the system administrator keeps the admin role (the app's own administrator screens); the
# other two have no role that reaches any issue: staff without a unit sees nothing
ROLE_ACCOUNTS = [
    {"username": "sysadmin", "name": "邵振华", "role": "admin", "group": SYSTEM_ADMIN},
    {"username": "secadmin", "name": "欧阳静", "role": "staff", "group": SECURITY_ADMIN},
    {"username": "auditor", "name": "闵晓岚", "role": "staff", "group": AUDIT_ADMIN},
]

# the same salt as seed_demo's accounts: re-seeding leaves an unchanged hash alone
_DEMO_SALT = "zhongzhanDemoSalt2014ab"


def role_accounts_seed(*, stdout) -> None:
    roles_setup()
    User = get_user_model()
    password = make_password(demo.PASSWORD, salt=_DEMO_SALT)
    for row in ROLE_ACCOUNTS:
        user = User.objects.filter(username=row["username"]).first() or User(
            username=row["username"]
        )
        wanted = {
            "name": row["name"],
            "role": row["role"],
            "department": None,
            "email": demo.demo_email(row["username"]),
            "is_staff": True,
            "is_superuser": False,
            "is_active": True,
            "password": password,
        }
        if user.pk is None or any(getattr(user, k) != v for k, v in wanted.items()):
            for name, value in wanted.items():
                setattr(user, name, value)
            user.save()
        group = Group.objects.get(name=row["group"])
        if set(user.groups.all()) != {group}:
            user.groups.set([group])
    stdout.write(f"  三员 accounts: {', '.join(row['username'] for row in ROLE_ACCOUNTS)}\n")
