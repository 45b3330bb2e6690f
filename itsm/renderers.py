"""The form renderer of the project (settings.FORM_RENDERER), and the one module of the
product that writes HTML in Python.

Markup belongs in templates. The exception, kept because a measurement shows it matters: Django
renders a <select> through a template that includes one more template per option, so a list
page with a few filter selects of a hundred options each spent most of its time there
(bench/results.md, 2026-11-23). `bench/queue_rows.py` measures it beside Django's templates
(a select of 200 options: 0.35 against 5.1 ms of CPU, 2026-12-05). Selects are therefore
written here, with exactly the markup of Django's templates (tests/itsm/test_form_renderer.py
compares them and checks that every value is escaped); every other widget keeps its template.
Rows of long lists are no reason to write HTML in Python: an autoescaped Jinja2 fragment
(itsm.fragments) renders them about as fast. Do not add markup anywhere else in Python.
"""

import html

from django.forms.renderers import TemplatesSetting
from django.utils.safestring import mark_safe

SELECT_TEMPLATE = "django/forms/widgets/select.html"


class FormRenderer(TemplatesSetting):
    def render(self, template_name, context, request=None):
        if template_name == SELECT_TEMPLATE:
            return render_select(context["widget"])
        return super().render(template_name, context, request)


def render_select(widget: dict) -> str:
    parts = [f'<select name="{escape(widget["name"])}"', html_attrs(widget["attrs"]), ">"]
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'<optgroup label="{escape(group_name)}">')
        for option in options:
            parts.append(f'<option value="{escape(option["value"])}"{html_attrs(option["attrs"])}>'
                         f'{escape(option["label"])}</option>')
        if group_name:
            parts.append("</optgroup>")
    parts.append("</select>")
    return mark_safe("".join(parts))


def html_attrs(attrs: dict) -> str:
    """As django/forms/widgets/attrs.html: False leaves the attribute out, True writes its name."""
    return "".join(f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"'
                   for name, value in attrs.items() if value is not False)


def escape(value) -> str:
    """Django's conditional_escape without its lazy-string machinery (a few hundred options a page)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))

