"""Django template comments `{# … #}` end on their line: one spread over lines is printed as text
on the page (use {% comment %} for more)."""

from pathlib import Path

from django.conf import settings


def test_no_django_template_comment_spans_lines():
    spread = []
    for template in (Path(settings.BASE_DIR) / "templates").rglob("*.html"):
        for number, line in enumerate(template.read_text().splitlines(), start=1):
            if "{#" in line and "#}" not in line[line.index("{#"):]:
                spread.append(f"{template.relative_to(settings.BASE_DIR)}:{number}")
    assert not spread, f"these comments are printed on the page: {spread}"
