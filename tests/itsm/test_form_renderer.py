"""Markup written in Python, which only itsm.renderers does: selects (the project's form renderer,
same markup as Django's templates), every value escaped; and the Jinja2 fragments of itsm.fragments,
autoescaped."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.test.html import parse_html
from django.utils.safestring import mark_safe

from itsm.fragments import environment
from itsm.renderers import FormRenderer

NASTY = '<script>"\'&'  # each character HTML gives a meaning
ESCAPED = ("&lt;script&gt;&quot;&#x27;&amp;", "&lt;script&gt;&#34;&#39;&amp;")  # Django's, Jinja2's


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


def test_every_value_a_select_writes_is_escaped():
    class Nasty(forms.Form):
        pick = forms.ChoiceField(choices=[(NASTY, NASTY), (NASTY, [("x", NASTY)])], required=False,
                                 widget=forms.Select(attrs={"title": NASTY, "data-x": NASTY}))

    form = Nasty({"pick": NASTY}, prefix=NASTY, renderer=FormRenderer())
    html = str(form["pick"])

    assert "<script>" not in html and '"\'' not in html
    # name, id, two attributes, an option's value and label, a group's label, the label of its option
    assert html.count(ESCAPED[0]) == 8
    assert parse_html(html) == parse_html(str(Nasty({"pick": NASTY}, prefix=NASTY, renderer=DjangoTemplates())["pick"]))


def test_a_fragment_escapes_every_value_but_keeps_safe_markup():
    template = environment().from_string('<a title="{{ title }}">{{ text }}</a>{{ badge }}')

    html = template.render(title=NASTY, text=NASTY, badge=mark_safe("<span>1</span>"))

    assert html == f'<a title="{ESCAPED[1]}">{ESCAPED[1]}</a><span>1</span>'
