"""The form renderer of the project (settings.FORM_RENDERER).

Django renders a <select> through a template that includes one more template per option: a
list page with a few filter selects of a hundred options each spent most of its time there
(bench/results.md, 2026-11-23). Selects are therefore written in Python here, with exactly
the markup of Django's templates; every other widget keeps its template.
"""

import html

from django.forms.renderers import TemplatesSetting
from django.utils.safestring import SafeString, mark_safe

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


def fill(template: str, /, **values) -> SafeString:
    """format_html for markup written in Python on a hot path (list rows): each value escaped
    unless it is safe markup already, without the lazy-string check Django's escaping makes
    per argument (two thirds of the time of a row built with format_html)."""
    return mark_safe(template.format(**{name: escape(value) for name, value in values.items()}))
