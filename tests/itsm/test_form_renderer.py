"""Markup written in Python by itsm.renderers: selects (the project's form renderer, same markup as
Django's templates) and fill() for list rows."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.test.html import parse_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from itsm.renderers import FormRenderer, fill


class Everything(forms.Form):
    single = forms.ChoiceField(choices=[("", "Any"), ("a", "Alpha & Co"), (1, '"One"')], required=False)
    multiple = forms.MultipleChoiceField(choices=[("x", "X"), ("y", "<Y>")], required=False,
                                         widget=forms.SelectMultiple(attrs={"data-tom-select": "multiple",
                                                                            "disabled": True, "hidden": False}))
    grouped = forms.ChoiceField(choices=[("Fruit", [("apple", "Apple"), ("pear", "Pear")]), ("none", "None")])
    flag = forms.NullBooleanField()


@pytest.mark.parametrize("data", [{}, {"single": "a", "multiple": ["x", "y"], "grouped": "pear", "flag": "true"}])
def test_selects_render_as_with_django_templates(data):
    ours, django_s = Everything(data or None, renderer=FormRenderer()), Everything(data or None,
                                                                                  renderer=DjangoTemplates())
    for name in Everything.base_fields:
        assert parse_html(str(ours[name])) == parse_html(str(django_s[name])), name


def test_a_selected_option_and_escaped_labels_reach_the_page():
    html = str(Everything({"single": "a"}, renderer=FormRenderer())["single"])
    assert '<option value="a" selected>Alpha &amp; Co</option>' in html
    assert '&quot;One&quot;' in html


def test_fill_escapes_each_value_but_keeps_safe_markup():
    html = fill('<a title="{title}">{text}</a>{badge}', title='"quoted" & <b>', text=gettext_lazy("Major"),
                badge=mark_safe("<span>1</span>"))

    assert html == '<a title="&quot;quoted&quot; &amp; &lt;b&gt;">Major</a><span>1</span>'
    assert hasattr(html, "__html__")  # safe itself: a template prints it as it is
