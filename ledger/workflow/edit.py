"""修改: staff (or the office) correct a logged issue before it is assigned; never its status."""

from django.utils.translation import gettext as _

from ledger.models.issues import EDITABLE_FIELDS, SINGLE_LINE_FIELDS
from ledger.services import single_line
from ledger.states import Action

from .core import ActionSpec, TransitionRefused, declare


def apply(change, *, actor, note, today, at, **fields):
    # the input is the issue's editable fields (ActionSpec.inputs); core refuses any other
    # strip first: a title of spaces is as empty as no title (and the database refuses it)
    data = {name: v.strip() if isinstance(v, str) else v for name, v in fields.items()}
    data.update({name: single_line(data[name]) for name in SINGLE_LINE_FIELDS if name in data})
    for name in ("title", "description", "category", "source"):
        if name in data and not data[name]:
            raise TransitionRefused(_("请填写必填项。"), field_errors={name: _("此项为必填项。")})
    for name, value in data.items():
        change.set(name, value)
    if not change.fields:
        raise TransitionRefused(_("没有任何修改。"))


# on the issue page for whoever may see it: nobody is told
SPEC = declare(ActionSpec(Action.EDIT, apply, inputs=frozenset(EDITABLE_FIELDS)))
