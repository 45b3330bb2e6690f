"""Pickers whose choices grow with the data (CIs, services, people): remote search.

Such a select holds only its chosen options; Tom Select (static/js/itsm.js) fetches the others
from `data-search-url` as one types, a bounded page of matches at a time (the search views
answer `{"results": [{"value": ..., "text": ...}]}` with a LIMIT). The field's queryset still
validates whatever is posted. Choices that stay small (priorities, states, teams) keep
`data-tom-select="single"` / `"multiple"` with every option in the page.

    self.fields["service"].widget = SearchSelect(search_url=reverse("ci_search") + "?service=1")
    limit_to_chosen(self.fields["service"], chosen(self, "service"))
"""

from django import forms

from .inputs import is_row_id


class SearchSelect(forms.Select):
    def __init__(self, attrs=None, *, search_url=None):
        extra = {"data-search-url": search_url} if search_url else {}
        super().__init__({"data-tom-select": "search", "class": "form-select", **extra, **(attrs or {})})


class SearchSelectMultiple(forms.SelectMultiple):
    def __init__(self, attrs=None, *, search_url=None):
        extra = {"data-search-url": search_url} if search_url else {}
        super().__init__({"data-tom-select": "search", "class": "form-select", **extra, **(attrs or {})})


def chosen(form: forms.BaseForm, name: str):
    """What the field `name` of `form` holds now: the posted value(s), else the initial one."""
    field = form.fields[name]
    if form.is_bound:
        key = form.add_prefix(name)
        if field.widget.allow_multiple_selected:
            return form.data.getlist(key) if hasattr(form.data, "getlist") else form.data.get(key) or []
        return form.data.get(key)
    return form.get_initial_for_field(field, name)


def limit_to_chosen(field: forms.ModelChoiceField, values) -> None:
    """Render only the chosen objects of a search select (one query, whatever the table size;
    none when nothing is chosen). A single select keeps its empty choice."""
    values = list(values) if isinstance(values, (list, tuple)) else [values]
    keys = [str(getattr(v, "pk", v)) for v in values if v not in (None, "")]
    keys = [key for key in keys if is_row_id(key)]
    objects = field.queryset.filter(pk__in=keys) if keys else []
    label = getattr(field, "label_from_instance", str)
    empty = [] if field.widget.allow_multiple_selected else [("", "")]
    field.widget.choices = empty + [(obj.pk, label(obj)) for obj in objects]
