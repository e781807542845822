"""QuickSelect writes the same HTML as Django's template-rendered Select."""

import pytest
from django import forms

from ledger.filters import DEPARTMENT_SELECTS, IssueFilter
from ledger.models import Issue
from ledger.widgets import QuickCheckboxSelectMultiple, QuickSelect, SharedChoices, quicken
from tests import factories as f

CHOICES = [
    ("", "全部"),
    ("1", 'A & B <"单位">'),
    ("2", "财政局"),
    ("群组", [("3", "住建局"), ("4", "<script>x</script>")]),
]


def _same(choices, value, attrs):
    plain = forms.Select(attrs=dict(attrs), choices=choices)
    quick = QuickSelect(attrs=dict(attrs), choices=choices)
    expected = plain.render("lead_department", value, {"id": "id_lead"})
    got = quick.render("lead_department", value, {"id": "id_lead"})
    assert got == expected
    return got


def test_quick_select_matches_django_with_escaping_groups_and_a_choice():
    html = _same(CHOICES, "4", {"class": "form-select", "required": True, "disabled": False})
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert '<option value="4" selected>' in html
    assert " disabled" not in html


def test_quick_select_matches_django_without_a_choice():
    html = _same(CHOICES, None, {})
    assert '<option value="" selected>' in html and html.count("selected") == 1


@pytest.mark.django_db
def test_quicken_keeps_a_model_choice_fields_queryset_and_choice():
    chosen = f.DepartmentFactory(name="发改委")
    f.DepartmentFactory(name="财政局")
    field = forms.ModelChoiceField(queryset=type(chosen).objects.order_by("name"))
    field.widget.attrs["class"] = "form-select"
    plain = field.widget.render("d", chosen.pk)
    quicken(field)
    assert type(field.widget) is QuickSelect
    assert field.widget.render("d", chosen.pk) == plain
    assert f'<option value="{chosen.pk}" selected>发改委</option>' in plain


@pytest.mark.parametrize("kind", [forms.SelectMultiple, forms.RadioSelect, forms.HiddenInput])
def test_quicken_leaves_other_widgets_alone(kind):
    field = forms.MultipleChoiceField(choices=CHOICES[:3], widget=kind)
    widget = field.widget
    quicken(field)
    assert field.widget is widget


# -- the checkboxes of the ledger's status and health filters --------------------------

CHECKS = [("a", 'A & B <"x">'), ("b", "办理中"), ("", "空"), (3, "三")]


def _same_checks(choices, value, attrs, widget_attrs=None):
    plain = forms.CheckboxSelectMultiple(attrs=dict(widget_attrs or {}), choices=choices)
    quick = QuickCheckboxSelectMultiple(attrs=dict(widget_attrs or {}), choices=choices)
    expected = plain.render("status", value, attrs)
    got = quick.render("status", value, attrs)
    assert got == expected
    return got


def test_quick_checkboxes_match_django_with_escaping_and_several_choices():
    html = _same_checks(CHECKS, ["a", "3"], {"id": "id_status"})
    assert 'value="a" id="id_status_0" checked' in html
    assert 'value="3" id="id_status_3" checked' in html
    assert "&lt;&quot;x&quot;&gt;" in html and '<"x">' not in html


def test_quick_checkboxes_match_django_without_an_id_or_a_choice_and_with_a_class():
    _same_checks(CHECKS, None, {})
    _same_checks(CHECKS, [], {"id": "id_s"}, widget_attrs={"class": "form-check", "x": True})


def test_quick_checkboxes_leave_grouped_choices_to_django():
    grouped = [("g", [("1", "一"), ("2", "二")]), ("3", "三")]
    html = _same_checks(grouped, ["2"], {"id": "id_g"})
    assert 'id="id_g_0_1" checked' in html


def test_quicken_gives_checkboxes_the_quick_widget():
    field = forms.MultipleChoiceField(choices=CHECKS, widget=forms.CheckboxSelectMultiple)
    plain = field.widget.render("s", ["b"], {"id": "id_s"})
    quicken(field)
    assert type(field.widget) is QuickCheckboxSelectMultiple
    assert field.widget.render("s", ["b"], {"id": "id_s"}) == plain


# -- selects over the same rows: one query ----------------------------------------------


@pytest.mark.django_db
def test_shared_choices_read_the_rows_once_for_every_select_and_render_the_same(
    django_assert_num_queries,
):
    f.DepartmentFactory(name="发改委")
    chosen = f.DepartmentFactory(name="A & B")
    field = forms.ModelChoiceField(queryset=type(chosen).objects.order_by("name"))
    plain = field.widget.render("d", chosen.pk)
    shared = SharedChoices(field)
    widgets = [QuickSelect(choices=shared) for _ in range(3)]
    with django_assert_num_queries(0):
        SharedChoices(field)  # lazy: nothing read until a widget renders
    with django_assert_num_queries(1):
        rendered = [w.render("d", chosen.pk) for w in widgets]
    assert rendered == [plain] * 3
    assert "A &amp; B" in plain


@pytest.mark.django_db
def test_the_ledger_filter_form_reads_the_departments_once(rf, django_assert_num_queries):
    for name in ("发改委", "财政局"):
        f.DepartmentFactory(name=name)
    form = IssueFilter(None, queryset=Issue.objects.none()).form
    with django_assert_num_queries(1):
        html = [str(form[name]) for name in DEPARTMENT_SELECTS]
    assert all("财政局</option>" in part for part in html)
