"""Views: the import wizard — upload, preview (counts, first rows, every problem, a choice for
each unknown name), commit all-or-nothing. For the oversight office and administrators only.

The uploaded file is kept on the server (ImportBatch.file under MEDIA_ROOT/imports/) between
the steps; nothing about it is taken back from the client. A file that cannot be read at all
is refused on the upload page and leaves nothing behind. The commit locks the batch row, so
posting the same preview twice imports once.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ledger import auditing, excel, stored_text
from ledger.exchange import importing, masterdata
from ledger.exchange.models import ColumnChoice, ImportBatch, NameAlias
from ledger.exchange.reading import ReadRefused, size_check
from ledger.models import Category, Department, Enterprise, KeyProject, Leader, Source
from ledger.validators import credit_code_normalize, validate_credit_code

MASTER_KINDS = [k for k in ImportBatch.Kind if k != ImportBatch.Kind.LEDGER]
# problems listed on the page; all of them are in the errors.txt download
PAGE_PROBLEMS = 500


def _require_importer(user) -> None:
    if not user.has_perm("ledger.import_ledger"):
        raise PermissionDenied


def _run(batch: ImportBatch, *, dry_run: bool):
    try:
        batch.file.open("rb")
        try:
            data = batch.file.read()
        finally:
            batch.file.close()
    except (OSError, ValueError):
        outcome = importing.Outcome(file_name=batch.original_name)
        outcome.refused = _("上传的文件已不在服务器上，请重新上传。")
        return outcome
    kwargs = {
        "file_name": batch.original_name,
        "user": batch.uploaded_by,
        "dry_run": dry_run,
        "mappings": batch.mappings,
        "batch": batch,
    }
    # what it writes (event notes, the stored preview) is in the source language, shown in
    # each reader's own at display (ledger/stored_text.py)
    if batch.kind == ImportBatch.Kind.LEDGER:
        return stored_text.stored(importing.ledger_import, data, **kwargs)
    return stored_text.stored(masterdata.master_import, data, kind=batch.kind, **kwargs)


def _store_preview(batch: ImportBatch, outcome) -> None:
    batch.counts = outcome.counts()
    batch.preview = outcome.as_json()
    batch.state = ImportBatch.State.REFUSED if outcome.refused else ImportBatch.State.PREVIEWED
    batch.save(update_fields=["counts", "preview", "state"])


def _batch_for(user, pk) -> ImportBatch:
    _require_importer(user)
    batch = ImportBatch.objects.filter(pk=pk).select_related("uploaded_by").first()
    if batch is None or (batch.uploaded_by_id != user.pk and not user.is_admin_role):
        raise Http404
    return batch


@login_required
@require_http_methods(["GET", "POST"])
def upload(request, kind: str = ImportBatch.Kind.LEDGER):
    _require_importer(request.user)
    master = kind != ImportBatch.Kind.LEDGER
    error = ""
    if request.method == "POST":
        if master:
            kind = request.POST.get("kind", "")
            if kind not in MASTER_KINDS:
                error = _("请选择导入内容。")
        upload_file = request.FILES.get("file")
        if not error and upload_file is None:
            error = _("请选择要导入的文件。")
        if not error:
            try:
                size_check(upload_file.size)
            except ReadRefused as refusal:
                error = refusal.message
        if not error:
            batch = ImportBatch(
                kind=kind,
                original_name=upload_file.name[:200],
                size=upload_file.size,
                uploaded_by=request.user,
            )
            batch.file.save(upload_file.name, upload_file, save=False)
            batch.save()
            outcome = _run(batch, dry_run=True)
            if not outcome.refused:
                _store_preview(batch, outcome)
                return redirect("exchange:import_preview", pk=batch.pk)
            # a file that cannot be read (not a spreadsheet, damaged, a zip bomb) leaves no
            # import behind: neither the batch nor the stored file; the page says why
            batch.file.delete(save=False)
            batch.delete()
            error = stored_text.shown(outcome.refused)
    batches = ImportBatch.objects.filter(uploaded_by=request.user)
    batches = batches.filter(kind__in=MASTER_KINDS) if master else batches.filter(kind=kind)
    return render(
        request,
        "exchange/import_upload.html",
        {
            "master": master,
            "kinds": [(k.value, k.label) for k in MASTER_KINDS],
            "chosen_kind": request.POST.get("kind", ""),
            "error": error,
            "batches": batches[:10],
            "max_bytes": settings.EXCHANGE["IMPORT_MAX_BYTES"],
            "max_rows": settings.EXCHANGE["IMPORT_MAX_ROWS"],
        },
        status=400 if error else 200,
    )


def _choices(kind: str) -> list[tuple[str, str]]:
    """What an unknown name of `kind` may be mapped to, as (value, label)."""
    if kind == "leader":
        return [(f"leader:{x.pk}", str(x)) for x in Leader.objects.select_related("user")]
    if kind == "department":
        return [(f"department:{x.pk}", x.name) for x in Department.objects.filter(is_active=True)]
    enterprises = [(f"enterprise:{x.pk}", x.name) for x in Enterprise.objects.only("name")]
    projects = [(f"project:{x.pk}", x.name) for x in KeyProject.objects.only("name")]
    if kind == "enterprise":
        return enterprises
    if kind == "project":
        return projects
    if kind == "subject":
        return enterprises + projects
    model = {"category": Category, "source": Source}[kind]
    return [(f"{kind}:{x.pk}", x.name) for x in model.objects.filter(is_active=True)]


def _unknown_rows(batch: ImportBatch) -> list[dict]:
    chosen = batch.mappings or {}
    rows = []
    choices: dict[str, list] = {}  # one query per kind, however many names are unknown
    for i, unknown in enumerate(batch.preview.get("unknown", [])):
        if unknown["kind"] not in choices:
            choices[unknown["kind"]] = _choices(unknown["kind"])
        current = chosen.get(unknown["kind"], {}).get(unknown["key"], "")
        rows.append(
            {
                **unknown,
                "field": f"map-{i}",
                "code_field": f"code-{i}",
                "choices": choices[unknown["kind"]],
                "can_create": unknown["kind"] in ("enterprise", "subject"),
                "current": current,
                "shown_rows": "、".join(str(r) for r in unknown["rows"][:10])
                + ("…" if len(unknown["rows"]) > 10 else ""),
            }
        )
    return rows


# a column's select: "" = as its header says, "skip" = not used, else a field key
_AUTO, _SKIP = "", "skip"


def _column_rows(batch: ImportBatch) -> list[dict]:
    """Every column of the sheet as the preview lists it, with the choice a person can make."""
    rows = []
    for column in (batch.preview or {}).get("columns", []):
        chosen = column.get("chosen")
        rows.append(
            {
                **column,
                "field_name": f"col-{column['index']}",
                "current": _AUTO if chosen is None else (chosen or _SKIP),
                # a column without a header cannot be named in a choice
                "can_choose": bool(column.get("header_key")),
            }
        )
    return rows


def _columns_chosen(request, batch: ImportBatch, columns: list[dict], errors: dict) -> dict:
    """The column choices after this form: the earlier ones, changed where the form says."""
    chosen = dict((batch.mappings or {}).get("columns", {}))
    fields = {key for key, _label in importing.COLUMN_FIELDS}
    for column in columns:
        value = request.POST.get(column["field_name"])
        if value is None or not column["can_choose"]:
            continue
        if value == _AUTO:
            chosen.pop(column["header_key"], None)
        elif value == _SKIP:
            chosen[column["header_key"]] = ""
        elif value in fields:
            chosen[column["header_key"]] = value
        else:
            errors[column["field_name"]] = _("请从列表中选择。")
    described = request.POST.get("description_column", "")
    if described:
        column = next((c for c in columns if str(c["index"]) == described), None)
        if column is None or not column["can_choose"]:
            errors["description_column"] = _("请从列表中选择。")
        else:
            chosen[column["header_key"]] = "description"
    return chosen


@login_required
@require_http_methods(["GET", "POST"])
def preview(request, pk: int):
    batch = _batch_for(request.user, pk)
    previewed = batch.state == ImportBatch.State.PREVIEWED
    unknown = _unknown_rows(batch) if previewed else []
    columns = _column_rows(batch) if batch.kind == ImportBatch.Kind.LEDGER else []
    form_errors = {}
    if request.method == "POST":
        if batch.state != ImportBatch.State.PREVIEWED:
            messages.error(request, _("该文件已导入或无法读取，不能再修改对应关系。"))
            return redirect("exchange:import_preview", pk=batch.pk)
        # the names mapped in earlier rounds are no longer unknown, so they are not on the
        # form: keep them, and change only the names this form asked about
        mappings = {kind: dict(chosen) for kind, chosen in (batch.mappings or {}).items()}
        for row in unknown:
            value = request.POST.get(row["field"], "")
            mappings.get(row["kind"], {}).pop(row["key"], None)
            if not value:
                continue
            if value == "new":
                code = credit_code_normalize(request.POST.get(row["code_field"], ""))
                try:
                    validate_credit_code(code)
                except ValidationError as error:
                    form_errors[row["field"]] = " ".join(error.messages)
                    continue
                value = f"new:{code}|{row['text']}"
            elif value not in {v for v, _label in row["choices"]}:
                form_errors[row["field"]] = _("请从列表中选择。")
                continue
            mappings.setdefault(row["kind"], {})[row["key"]] = value
        if columns:
            mappings["columns"] = _columns_chosen(request, batch, columns, form_errors)
        if not form_errors:
            batch.mappings = {kind: chosen for kind, chosen in mappings.items() if chosen}
            batch.save(update_fields=["mappings"])
            _store_preview(batch, _run(batch, dry_run=True))
            messages.success(request, _("已按您的选择重新检查。"))
            return redirect("exchange:import_preview", pk=batch.pk)
        for row in unknown:
            row["error"] = form_errors.get(row["field"], "")
            row["current"] = request.POST.get(row["field"], "")
        for column in columns:
            column["error"] = form_errors.get(column["field_name"], "")
            column["current"] = request.POST.get(column["field_name"], column["current"])
    data = batch.preview or {}
    problems = data.get("problems", [])
    return render(
        request,
        "exchange/import_preview.html",
        {
            "batch": batch,
            "data": data,
            "counts": batch.counts,
            "problems": problems[:PAGE_PROBLEMS],
            "more_problems": max(len(problems) - PAGE_PROBLEMS, 0),
            "unknown": unknown,
            "columns": columns,
            "unused_count": sum(1 for c in columns if not c["field"]),
            "column_fields": [(key, str(label)) for key, label in importing.COLUMN_FIELDS],
            "can_choose": previewed,
            "description_error": form_errors.get("description_column", ""),
            "can_commit": previewed
            and not problems
            and not data.get("refused")
            and not data.get("missing"),
            "is_ledger": batch.kind == ImportBatch.Kind.LEDGER,
            "upload_url": reverse("exchange:issue_import")
            if batch.kind == ImportBatch.Kind.LEDGER
            else reverse("exchange:master_import"),
        },
        status=400 if form_errors else 200,
    )


@login_required
@require_POST
def commit(request, pk: int):
    batch = _batch_for(request.user, pk)
    with transaction.atomic():
        # the lock makes a second post of the same preview wait, then find it committed
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.state == ImportBatch.State.COMMITTED:
            messages.info(
                request,
                _("该文件已于 %(time)s 导入，未重复导入。")
                % {"time": timezone.localtime(batch.committed_at).strftime("%Y-%m-%d %H:%M")},
            )
            return redirect("exchange:import_preview", pk=batch.pk)
        if batch.state != ImportBatch.State.PREVIEWED:
            raise Http404
        outcome = _run(batch, dry_run=False)
        if not outcome.committed:
            _store_preview(batch, outcome)
        auditing.record(
            auditing.Kind.IMPORTED,
            actor=request.user,
            request=request,
            target=f"import {batch.kind} #{batch.pk}",
            outcome=auditing.Outcome.SUCCESS if outcome.committed else auditing.Outcome.FAILURE,
            detail={
                "kind": batch.kind,
                "file": batch.original_name,
                "counts": outcome.counts() if outcome.committed else {},
            },
        )
    if outcome.committed:
        counts = outcome.counts()
        messages.success(
            request,
            _("导入完成：新建 %(create)s 条，更新 %(update)s 条，未变 %(same)s 条。")
            % {
                "create": counts["to_create"],
                "update": counts["to_update"],
                "same": counts["unchanged"],
            },
        )
        if batch.kind == ImportBatch.Kind.LEDGER:
            return redirect("issue_list")
        return redirect("exchange:import_preview", pk=batch.pk)
    messages.error(request, _("检查发现问题，未导入任何数据。请查看下列错误。"))
    return redirect("exchange:import_preview", pk=batch.pk)


@login_required
def problems_text(request, pk: int):
    batch = _batch_for(request.user, pk)
    lines = [
        str(importing.Problem(row, column, message))
        for row, column, message in (batch.preview or {}).get("problems", [])
    ]
    refused = (batch.preview or {}).get("refused")
    body = "\n".join([refused] if refused else lines) + "\n"
    return excel.download(
        body.encode(),
        filename=f"import-{batch.pk}-errors.txt",
        content_type="text/plain; charset=utf-8",
    )


_ALIAS_TARGETS = {
    "leader": Leader.objects.select_related("user"),
    "department": Department.objects,
    "enterprise": Enterprise.objects,
    "project": KeyProject.objects,
    "category": Category.objects,
    "source": Source.objects,
}


@login_required
@require_http_methods(["GET", "POST"])
def aliases(request):
    """The names mapped in previews: a wrong mapping is removed here (the name is then
    unknown again and asked for in the next preview)."""
    _require_importer(request.user)
    if request.method == "POST":
        alias = NameAlias.objects.filter(pk=_int(request.POST.get("delete"))).first()
        if alias is not None:
            alias.delete()
            messages.success(request, _("已删除别名“%(alias)s”。") % {"alias": alias.alias})
        choice = ColumnChoice.objects.filter(pk=_int(request.POST.get("delete_column"))).first()
        if choice is not None:
            choice.delete()
            messages.success(request, _("已删除列“%(header)s”的对应。") % {"header": choice.header})
        return redirect("exchange:import_aliases")
    rows = list(NameAlias.objects.select_related("created_by").order_by("kind", "alias"))
    wanted: dict[str, set] = {}
    for alias in rows:
        wanted.setdefault(alias.kind, set()).add(alias.target_id)
    targets = {
        kind: {obj.pk: str(obj) for obj in _ALIAS_TARGETS[kind].filter(pk__in=ids)}
        for kind, ids in wanted.items()
    }
    for alias in rows:
        alias.target = targets.get(alias.kind, {}).get(alias.target_id, "—")
    fields = dict(importing.COLUMN_FIELDS)
    column_choices = list(ColumnChoice.objects.select_related("created_by"))
    for choice in column_choices:
        choice.target = str(fields.get(choice.field, "")) if choice.field else _("不使用")
    return render(
        request,
        "exchange/import_aliases.html",
        {"aliases": rows, "column_choices": column_choices},
    )


def _int(value) -> int | None:
    value = str(value or "")
    return int(value) if value.isdigit() and len(value) < 18 else None


urlpatterns = [
    path("imports/aliases/", aliases, name="import_aliases"),
    path("issues/import/", upload, name="issue_import"),
    path("directory/import/", upload, {"kind": "master"}, name="master_import"),
    path("imports/<int:pk>/", preview, name="import_preview"),
    path("imports/<int:pk>/commit/", commit, name="import_commit"),
    path("imports/<int:pk>/errors.txt", problems_text, name="import_problems"),
]
