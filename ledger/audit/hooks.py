"""What the audit room listens to besides the core's door: Django's sign-in signals, django-axes'
lockouts and lifted lockouts, account, role, password and permission changes at the model, and
every change made in the admin (its LogEntry).

Account changes are caught at the model (pre_save compares the stored row), whoever saves it —
the admin, a password change or reset view, a command — so each change is recorded once. Who
acted and from where come from the request being served (middleware.py); a command or task
has none, and its records name no actor.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from ledger import auditing
from ledger.auditing import Kind, Outcome

from .middleware import current_actor, current_request


def record(kind, **kwargs):
    """auditing.record(), with the request being served (if any) naming who acted and from
    where when the hook itself was given neither."""
    if "request" not in kwargs:
        kwargs["request"] = current_request()
    if "actor" not in kwargs and not kwargs.get("username"):
        kwargs["actor"] = current_actor(kwargs["request"])
    auditing.record(kind, **kwargs)


# the account fields whose change is audited, and under which kind
ACCOUNT_FIELDS = {
    "role": Kind.ROLE_CHANGED,
    "department_id": Kind.ROLE_CHANGED,
    "is_staff": Kind.PERMISSIONS_CHANGED,
    "is_superuser": Kind.PERMISSIONS_CHANGED,
    "is_active": Kind.ACCOUNT_CHANGED,
}
# the same as save(update_fields=…) names them
UPDATE_FIELD_NAMES = {"password", "department", *ACCOUNT_FIELDS}


def _target(user) -> str:
    return f"user {user.get_username()}"


# -- signing in and out --------------------------------------------------------------------------


def on_logged_in(sender, request, user, **kwargs):
    record(Kind.SIGN_IN, actor=user, request=request, target=_target(user))


def on_login_failed(sender, credentials, request=None, **kwargs):
    username = str((credentials or {}).get("username") or "")
    record(
        Kind.SIGN_IN_FAILED,
        username=username,
        request=request,
        target=f"user {username}",
        outcome=Outcome.FAILURE,
    )


def on_logged_out(sender, request, user, **kwargs):
    if user is None:  # a sign-out without a session: nobody to name
        return
    record(Kind.SIGN_OUT, actor=user, request=request, target=_target(user))


def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    record(
        Kind.LOCKED_OUT,
        username=str(username or ""),
        request=request,
        target=f"user {username or ''}",
        outcome=Outcome.FAILURE,
        detail={"ip_address": ip_address or ""},
    )


def on_attempt_deleted(sender, instance, **kwargs):
    """A failure record that still locked its user out was deleted: the lockout is lifted
    (the admin's action, axes_reset). Expired or below-limit records are not lockouts."""
    if instance.failures_since_start < settings.AXES_FAILURE_LIMIT:
        return
    if instance.attempt_time < timezone.now() - settings.AXES_COOLOFF_TIME:
        return
    # the actor is who is signed in (the admin's action); the unlocked user is the target
    record(
        Kind.UNLOCKED,
        target=f"user {instance.username or ''}",
        detail={"ip_address": instance.ip_address or "", "failures": instance.failures_since_start},
    )


# -- accounts ------------------------------------------------------------------------------------


def on_user_pre_save(sender, instance, raw=False, update_fields=None, **kwargs):
    """Keep the stored values the save is about to change (one query, skipped for saves that
    touch other fields only, such as last_login on every sign-in)."""
    if raw or instance.pk is None:
        return
    watched = ["password", *ACCOUNT_FIELDS]
    if update_fields is not None and not set(update_fields) & UPDATE_FIELD_NAMES:
        return
    stored = sender._base_manager.filter(pk=instance.pk).values(*watched).first()
    instance._audit_before = stored


def on_user_post_save(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    if created:
        record(
            Kind.ACCOUNT_CREATED,
            target=_target(instance),
            detail={
                "role": instance.role,
                "is_staff": instance.is_staff,
                "is_superuser": instance.is_superuser,
                "is_active": instance.is_active,
                "usable_password": instance.has_usable_password(),
            },
        )
        return
    before = instance.__dict__.pop("_audit_before", None)
    if not before:
        return
    changes: dict[Kind, dict] = {}
    for name, kind in ACCOUNT_FIELDS.items():
        old, new = before[name], getattr(instance, name)
        if old != new:
            changes.setdefault(kind, {})[name] = [old, new]
    for kind, fields in changes.items():
        record(kind, target=_target(instance), detail={"changes": fields})
    if before["password"] != instance.password:
        # never the hash: only whether a password can still be used. Set by someone signed in
        # as another account (an administrator in the admin): PASSWORD_SET_BY_ADMIN
        request = current_request()
        actor = current_actor(request)
        by_other = actor is not None and actor.is_authenticated and actor.pk != instance.pk
        record(
            Kind.PASSWORD_SET_BY_ADMIN if by_other else Kind.PASSWORD_CHANGED,
            request=request,
            actor=actor,
            target=_target(instance),
            detail={"usable_password": instance.has_usable_password()},
        )


def on_user_m2m_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    """Groups and direct permissions given to or taken from an account (either side)."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    User = get_user_model()
    field = "groups" if sender is User.groups.through else "user_permissions"
    names = sorted(str(item) for item in model._base_manager.filter(pk__in=pk_set or ()))
    if reverse:  # group.user_set.add(user …) or permission.user_set…
        users = User._base_manager.filter(pk__in=pk_set or ()).values_list("username", flat=True)
        target, names = f"{field} {instance}", sorted(users)
    else:
        target = _target(instance)
    record(
        Kind.PERMISSIONS_CHANGED,
        target=target[:200],
        detail={"field": field, "action": action.removeprefix("post_"), "items": names},
    )


def on_group_permissions_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    items = sorted(str(item) for item in model._base_manager.filter(pk__in=pk_set or ()))
    record(
        Kind.PERMISSIONS_CHANGED,
        target=(f"permission {instance}" if reverse else f"group {instance}")[:200],
        detail={
            "field": "group permissions",
            "action": action.removeprefix("post_"),
            "items": items,
        },
    )


# -- the admin -----------------------------------------------------------------------------------


def on_log_entry_saved(sender, instance, created, raw=False, **kwargs):
    if raw or not created:
        return
    actions = {1: "add", 2: "change", 3: "delete"}
    content_type = instance.content_type
    what = f"{content_type.app_label}.{content_type.model}" if content_type else ""
    record(
        Kind.ADMIN_CHANGED,
        actor=instance.user,
        target=f"{what} {instance.object_repr}"[:200],
        detail={
            "action": actions.get(instance.action_flag, str(instance.action_flag)),
            "model": what,
            "object_id": str(instance.object_id or ""),
            "change": instance.change_message or "",
        },
    )


def log_actions_recorded(log_actions):
    """LogEntry.objects.log_actions, recording what it bulk-creates: the admin logs a bulk
    deletion (delete_selected on several rows) with bulk_create, which sends no post_save.
    A single entry is saved one by one and recorded by on_log_entry_saved."""
    from django.contrib.admin.models import LogEntry  # import here: a model, called from ready()

    def log_actions_and_record(*args, **kwargs):
        result = log_actions(*args, **kwargs)
        entries = result if isinstance(result, list) else [result]
        if len(entries) > 1:
            for entry in entries:
                on_log_entry_saved(LogEntry, entry, created=True)
        return result

    log_actions_and_record.audited = True
    return log_actions_and_record
