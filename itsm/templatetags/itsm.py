"""Template helpers of the shell: icons, sortable column headers, roles, the active menu item."""

from django import template
from django.templatetags.static import static
from django.urls import get_script_prefix

from ..choices import Role

register = template.Library()

SPRITE = "vendor/tabler-icons/sprite.svg"


@register.inclusion_tag("itsm/includes/icon.html")
def icon(name: str, css: str = ""):
    """An icon from the vendored sprite (scripts/vendor.mjs lists the ones available)."""
    return {"css": f"icon {css}".strip(), "sprite": static(SPRITE), "name": name}


@register.inclusion_tag("itsm/includes/sort_header.html", takes_context=True)
def sort_header(context, field: str, label: str):
    """A column header that sorts by `field`; a second click reverses the order."""
    current = context.get("current_sort", "")
    ascending = current == field
    descending = current == f"-{field}"
    query = context["request"].GET.copy()
    query["sort"] = f"-{field}" if ascending else field
    for key in ("page", "export"):
        query.pop(key, None)
    return {
        "label": label,
        "url": f"?{query.urlencode()}",
        "aria_sort": "ascending" if ascending else "descending" if descending else "none",
        "sorted": ascending or descending,
        "ascending": ascending,
    }


@register.filter
def role_labels(user) -> list[str]:
    """The person's roles, translated, in the order of `Role`."""
    return [role.label for role in Role if role in user.role_names]


def _matches(item, path: str, query) -> bool:
    """The page is the item's section (its path, or below it; the home page only itself) and
    has the item's query parameters, if it has any (?queue=triage)."""
    url = item.path
    if not (path == url if url == get_script_prefix() else path.startswith(url)):
        return False
    return all(set(values) <= set(query.getlist(name)) for name, values in item.params.items())


def _specificity(item) -> tuple[int, int]:
    return len(item.path), len(item.params)


@register.filter
def is_current(item, request) -> bool:
    """Whether a menu item is the section of the request's page (a request, or a bare path).
    Of nested sections (/cmdb/ and /cmdb/catalogue/, /incidents/ and /incidents/?queue=triage)
    only the most specific one is current."""
    from django.http import QueryDict

    from ..navigation import _menu

    path, query = (request, QueryDict()) if isinstance(request, str) else (request.path, request.GET)
    if not _matches(item, path, query):
        return False
    mine = _specificity(item)
    return not any(_specificity(other) > mine and _matches(other, path, query) for other in _menu)


@register.filter
def current_item(section, request):
    """The item of a menu section (a group) that is the section of the request's page, or None."""
    return next((item for item in section.items if is_current(item, request)), None)
