"""The import wizard: who may use it, upload → preview with errors → map names → commit once."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ledger.exchange.models import ImportBatch, NameAlias
from ledger.models import Enterprise, Issue
from tests import factories as f
from tests.exchange.import_sheets import csv_bytes, file_of, messy_rows, xlsx_bytes


@pytest.fixture
def lists(world):
    f.SourceFactory(name="12345 热线")
    f.CategoryFactory(name="其他")
    f.SourceFactory(name="其他")
    return world


def _upload(client, data, name, url="exchange:issue_import", **extra):
    return client.post(reverse(url), {"file": SimpleUploadedFile(name, data), **extra})


@pytest.mark.parametrize(
    "who, status",
    [("staff_a", 403), ("leader", 403), ("supervisor", 200), ("admin", 200)],
)
@pytest.mark.parametrize("url", ["exchange:issue_import", "exchange:master_import"])
def test_only_the_oversight_office_and_administrators_may_import(client, lists, who, status, url):
    user = {"staff_a": lists.staff_a, "leader": lists.leader.user}.get(who) or getattr(lists, who)
    client.force_login(user)
    assert client.get(reverse(url)).status_code == status
    response = _upload(client, csv_bytes([["问题描述"], ["路灯不亮"]]), "a.csv", url)
    assert response.status_code in ({403} if status == 403 else {302, 400})
    if status == 403:
        assert not ImportBatch.objects.exists()


def test_preview_lists_every_error_and_commit_is_refused(client, lists):
    client.force_login(lists.supervisor)
    rows, merged, expected = messy_rows(lists, errors=True)
    response = _upload(client, *file_of("xlsx", rows, merged))
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "exchange:import_preview", args=[batch.pk]
    )
    assert batch.file.name.startswith("imports/")
    page = client.get(response["Location"])
    content = page.content.decode()
    for row, column in expected["errors"]:
        assert (
            f'<td class="text-nowrap">第 {row} 行</td><td class="text-nowrap">{column}</td>'
            in content
        )
    assert reverse("exchange:import_commit", args=[batch.pk]) not in content
    assert "张三" in content  # offered for mapping
    client.post(reverse("exchange:import_commit", args=[batch.pk]))
    assert Issue.objects.count() == 0
    problems = client.get(reverse("exchange:import_problems", args=[batch.pk]))
    assert problems["Content-Disposition"] == f'attachment; filename="import-{batch.pk}-errors.txt"'
    text = b"".join(problems.streaming_content).decode()
    assert "第" in text and "张三" in text


def test_map_unknown_names_then_commit_once(client, lists):
    client.force_login(lists.supervisor)
    rows = [
        ["企业名称", "问题描述", "责任领导", "牵头单位", "完成时限"],
        ["新兴材料有限公司", "用地指标不足", "秦区长", "区住建局", "2026-12-30"],
        ["新兴材料有限公司", "用工招聘难", "秦区长", "区住建局", "2026-12-30"],
    ]
    _upload(client, xlsx_bytes(rows), "a.xlsx")
    batch = ImportBatch.objects.get()
    unknown = {u["text"]: i for i, u in enumerate(batch.preview["unknown"])}
    assert set(unknown) == {"新兴材料有限公司", "秦区长"}  # each distinct name once
    code = f.valid_credit_code(999)
    bad = client.post(
        reverse("exchange:import_preview", args=[batch.pk]),
        {f"map-{unknown['新兴材料有限公司']}": "new", f"code-{unknown['新兴材料有限公司']}": "123"},
    )
    assert bad.status_code == 400 and "统一社会信用代码应为 18 位" in bad.content.decode()
    client.post(
        reverse("exchange:import_preview", args=[batch.pk]),
        {
            f"map-{unknown['新兴材料有限公司']}": "new",
            f"code-{unknown['新兴材料有限公司']}": code,
            f"map-{unknown['秦区长']}": f"leader:{lists.leader.pk}",
        },
    )
    batch.refresh_from_db()
    assert batch.counts["errors"] == 0 and batch.counts["to_create"] == 2
    assert not Enterprise.objects.filter(credit_code=code).exists()  # nothing before commit
    page = client.get(reverse("exchange:import_preview", args=[batch.pk])).content.decode()
    assert reverse("exchange:import_commit", args=[batch.pk]) in page
    response = client.post(reverse("exchange:import_commit", args=[batch.pk]))
    assert response.status_code == 302
    again = client.post(reverse("exchange:import_commit", args=[batch.pk]))
    assert again.status_code == 302
    assert Issue.objects.count() == 2
    enterprise = Enterprise.objects.get(credit_code=code)
    assert set(Issue.objects.values_list("enterprise", flat=True)) == {enterprise.pk}
    assert NameAlias.objects.filter(kind="leader", alias="秦区长").exists()
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.COMMITTED


def test_a_refused_file_is_a_clear_message_not_a_500(client, lists):
    """On the upload page, and nothing is kept: no batch, no stored file (issue 18)."""
    client.force_login(lists.supervisor)
    page = _upload(client, b"\x89PNG\r\n\x1a\n\x00\x00", "photo.xlsx")
    assert page.status_code == 400 and "不是电子表格文件" in page.content.decode()
    assert not ImportBatch.objects.exists()


def test_another_persons_batch_is_not_found(client, lists):
    client.force_login(lists.supervisor)
    _upload(client, csv_bytes([["问题描述"], ["路灯不亮"]]), "a.csv")
    batch = ImportBatch.objects.get()
    other = f.SupervisorFactory(username="supervisor2")
    client.force_login(other)
    assert client.get(reverse("exchange:import_preview", args=[batch.pk])).status_code == 404
    assert client.post(reverse("exchange:import_commit", args=[batch.pk])).status_code == 404


def test_preview_page_queries_do_not_grow_with_rows(client, lists, django_assert_max_num_queries):
    client.force_login(lists.supervisor)
    rows, merged, _e = messy_rows(lists)
    _upload(client, *file_of("xlsx", rows, merged))
    batch = ImportBatch.objects.get()
    with django_assert_max_num_queries(12):
        assert client.get(reverse("exchange:import_preview", args=[batch.pk])).status_code == 200


def test_preview_queries_do_not_grow_with_unknown_names(
    client, lists, django_assert_max_num_queries
):
    client.force_login(lists.supervisor)
    rows = [["问题描述", "责任领导"]] + [[f"问题{n}", f"领导{n}"] for n in range(30)]
    _upload(client, csv_bytes(rows), "a.csv")
    batch = ImportBatch.objects.get()
    assert len(batch.preview["unknown"]) == 30
    with django_assert_max_num_queries(12):
        page = client.get(reverse("exchange:import_preview", args=[batch.pk]))
    assert page.status_code == 200 and "领导29" in page.content.decode()


def test_aliases_page_lists_and_deletes_a_wrong_mapping(client, lists):
    alias = NameAlias.objects.create(
        kind="leader", alias="秦区长", target_id=lists.leader.pk, created_by=lists.supervisor
    )
    client.force_login(lists.staff_a)
    assert client.get(reverse("exchange:import_aliases")).status_code == 403
    assert client.post(reverse("exchange:import_aliases"), {"delete": alias.pk}).status_code == 403
    client.force_login(lists.supervisor)
    page = client.get(reverse("exchange:import_aliases")).content.decode()
    assert "秦区长" in page and str(lists.leader) in page
    client.post(reverse("exchange:import_aliases"), {"delete": alias.pk})
    assert not NameAlias.objects.exists()
    assert client.post(reverse("exchange:import_aliases"), {"delete": "x"}).status_code == 302


def test_a_new_enterprise_that_cannot_be_created_is_a_message_and_nothing_is_written(client, lists):
    client.force_login(lists.supervisor)
    rows = [["企业名称", "问题描述"], ["新兴材料有限公司", "用地指标不足"]]
    _upload(client, xlsx_bytes(rows), "a.xlsx")
    batch = ImportBatch.objects.get()
    # chosen in the preview, then the name is taken by someone else before the commit
    batch.mappings = {
        "subject": {"新兴材料有限公司": f"new:{f.valid_credit_code(7)}|{lists.enterprise.name}"}
    }
    batch.save()
    response = client.post(reverse("exchange:import_commit", args=[batch.pk]))
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "无法新建企业" in page
    assert Issue.objects.count() == 0 and not NameAlias.objects.exists()


def test_a_batch_whose_file_is_gone_says_so(client, lists):
    client.force_login(lists.supervisor)
    _upload(client, csv_bytes([["问题描述"], ["路灯不亮"]]), "a.csv")
    batch = ImportBatch.objects.get()
    batch.file.storage.delete(batch.file.name)
    response = client.post(reverse("exchange:import_commit", args=[batch.pk]))
    page = client.get(response["Location"]).content.decode()
    assert "不在服务器上" in page and Issue.objects.count() == 0


def test_an_imported_issue_page_shows_its_import_event(client, lists):
    from ledger.exchange.importing import ledger_import

    rows = [
        ["问题描述", "责任领导", "牵头单位", "完成时限", "办理状态", "办结情况", "满意度"],
        ["路灯不亮", lists.leader.user.name, "区住建局", "2026-06-30", "已销号", "已修复", "满意"],
    ]
    ledger_import(csv_bytes(rows), file_name="旧台账.csv", user=lists.supervisor, dry_run=False)
    issue = Issue.objects.get()
    for user in (lists.supervisor, lists.staff_b, lists.leader.user):
        client.force_login(user)
        page = client.get(issue.get_absolute_url())
        assert page.status_code == 200, user
        assert "导入自《旧台账.csv》" in page.content.decode()
    client.force_login(lists.staff_c)
    assert client.get(issue.get_absolute_url()).status_code == 404


def test_master_data_through_the_wizard(client, lists):
    client.force_login(lists.supervisor)
    code = f.valid_credit_code(555)
    bad = code[:17] + ("0" if code[17] != "0" else "1")
    rows = [["企业名称", "统一社会信用代码", "分包领导"], ["焦作新材料有限公司", bad, "秦区长"]]
    response = _upload(
        client, xlsx_bytes(rows), "企业.xlsx", "exchange:master_import", kind="enterprises"
    )
    batch = ImportBatch.objects.get()
    assert batch.kind == "enterprises"
    page = client.get(response["Location"]).content.decode()
    assert "第 2 行" in page and "统一社会信用代码" in page and "校验位错误" in page
    assert "秦区长" in page  # the unknown leader, offered for mapping
    assert reverse("exchange:import_commit", args=[batch.pk]) not in page
    rows[1][1] = code
    _upload(client, xlsx_bytes(rows), "企业.xlsx", "exchange:master_import", kind="enterprises")
    batch = ImportBatch.objects.latest("pk")
    unknown = batch.preview["unknown"]
    client.post(
        reverse("exchange:import_preview", args=[batch.pk]), {"map-0": f"leader:{lists.leader.pk}"}
    )
    assert len(unknown) == 1
    client.post(reverse("exchange:import_commit", args=[batch.pk]))
    assert Enterprise.objects.get(credit_code=code).leader == lists.leader
    assert NameAlias.objects.filter(kind="leader", alias="秦区长").exists()


def test_mappings_are_kept_across_re_checks(client, lists):
    """Mapping one unknown name, then another, keeps the first (it used to come back)."""
    client.force_login(lists.supervisor)
    rows = [
        ["问题描述", "责任领导", "牵头单位", "完成时限"],
        ["用地指标不足", "秦区长", "区规划所", "2026-12-30"],
    ]
    _upload(client, xlsx_bytes(rows), "a.xlsx")
    batch = ImportBatch.objects.get()
    url = reverse("exchange:import_preview", args=[batch.pk])
    unknown = {u["text"]: i for i, u in enumerate(batch.preview["unknown"])}
    assert set(unknown) == {"秦区长", "区规划所"}
    client.post(url, {f"map-{unknown['秦区长']}": f"leader:{lists.leader.pk}"})
    batch.refresh_from_db()
    assert [u["text"] for u in batch.preview["unknown"]] == ["区规划所"]
    client.post(url, {"map-0": f"department:{lists.dept_a.pk}"})
    batch.refresh_from_db()
    assert batch.preview["unknown"] == []
    assert batch.counts["errors"] == 0
    assert batch.mappings == {
        "leader": {"秦区长": f"leader:{lists.leader.pk}"},
        "department": {"区规划所": f"department:{lists.dept_a.pk}"},
    }
    page = client.get(url).content.decode()
    assert reverse("exchange:import_commit", args=[batch.pk]) in page


def test_preview_lists_every_column_and_asks_which_is_the_description(client, lists):
    from ledger.exchange.matching import header_key
    from ledger.exchange.models import ColumnChoice
    from tests.exchange.import_sheets import HOTLINE_HEADER, hotline_rows

    f.CategoryFactory(name="投诉")
    client.force_login(lists.supervisor)
    rows, _expected = hotline_rows(12, content_header="反映内容摘要")
    _upload(client, xlsx_bytes(rows, extra_sheet=False), "12345.xlsx")
    batch = ImportBatch.objects.get()
    url = reverse("exchange:import_preview", args=[batch.pk])
    page = client.get(url).content.decode()
    assert "没有识别出“问题描述”列" in page and "哪一列是问题描述？" in page
    assert "没有找到可识别的表头" not in page
    assert '<option value="5">F 反映内容摘要</option>' in page
    for header in HOTLINE_HEADER[:5]:
        assert f'<th scope="row" class="fw-normal">{header}</th>' in page
    assert reverse("exchange:import_commit", args=[batch.pk]) not in page
    client.post(url, {"description_column": "5"})
    batch.refresh_from_db()
    assert batch.mappings == {"columns": {header_key("反映内容摘要"): "description"}}
    assert batch.counts["to_create"] == 12 and batch.counts["errors"] == 0
    page = client.get(url).content.decode()
    assert "未使用" in page and reverse("exchange:import_commit", args=[batch.pk]) in page
    # a second round keeps the first round's choice
    client.post(url, {"col-1": "skip"})
    batch.refresh_from_db()
    assert batch.mappings["columns"] == {
        header_key("反映内容摘要"): "description",
        header_key("河流"): "",
    }
    river = next(c for c in batch.preview["columns"] if c["header"] == "河流")
    assert river["note"] == "已选择不使用"
    bad = client.post(url, {"col-1": "colour"})
    assert bad.status_code == 400 and "请从列表中选择" in bad.content.decode()
    client.post(reverse("exchange:import_commit", args=[batch.pk]))
    assert Issue.objects.count() == 12
    assert ColumnChoice.objects.get(header=header_key("反映内容摘要")).field == "description"
    aliases = client.get(reverse("exchange:import_aliases")).content.decode()
    assert "反映内容摘要" in aliases and "问题描述" in aliases
    choice = ColumnChoice.objects.get(header=header_key("河流"))
    client.post(reverse("exchange:import_aliases"), {"delete_column": choice.pk})
    assert not ColumnChoice.objects.filter(pk=choice.pk).exists()
