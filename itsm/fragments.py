"""Autoescaped Jinja2 fragments for the rows of lists read all day.

Django's template engine costs about 0.2 ms per queue row of a dozen cells (13 ms for the 50
rows of a page); Jinja2 compiles a template to Python and renders the same rows about as fast
as markup written in Python (bench/queue_rows.py measures the three side by side). So a list
that must be fast renders its rows here, from a template, with every value escaped
(`autoescape=True`: safe markup, anything with `__html__`, is kept as it is), rather than
writing HTML in Python. Pages stay Django templates; a fragment is rendered in the view and
printed into the page as one safe string.

Fragments live under templates/ with the suffix `.jinja` (so `makemessages` and Django's
loaders leave them alone) and take no translations of their own: the view passes the
translated words in, looked up once per page.
"""

from functools import cache

from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from jinja2 import Environment, FileSystemLoader, StrictUndefined


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader([str(directory) for directory in settings.TEMPLATES[0]["DIRS"]]),
        autoescape=True,
        undefined=StrictUndefined,  # a misspelt name fails loudly instead of printing nothing
        auto_reload=settings.DEBUG,  # production: compiled once per process
    )


def render_fragment(name: str, context: dict) -> SafeString:
    """The fragment `name` (a path under templates/, e.g. "incidents/_queue_rows.jinja"), escaped."""
    return mark_safe(environment().get_template(name).render(context))
