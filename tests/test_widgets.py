"""QuickSelect writes the same HTML as Django's template-rendered Select."""

import pytest
from django import forms

from ledger.widgets import QuickSelect, quicken
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


def test_quicken_leaves_other_widgets_alone():
    field = forms.MultipleChoiceField(choices=CHOICES[:3], widget=forms.CheckboxSelectMultiple)
    widget = field.widget
    quicken(field)
    assert field.widget is widget
