"""The list page every app builds on: filter, sort, paginate and export the same rows.

Filters come from the app's FilterSet (the API uses the same one). Changing a filter with
htmx re-renders only the results part; `?export=csv` streams every row of the current filter.
"""

from urllib.parse import urlencode

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.generic import ListView

from .. import exports
from ..forms import style_widgets
from ..pagination import CappedPaginator
from .mixins import RoleRequiredMixin


class FilteredListView(RoleRequiredMixin, ListView):
    filterset_class = None
    filter_fields: tuple[str, ...] = ("q",)  # offered on the page; URLs may use every filter
    sort_fields: dict[str, str] = {}  # value of ?sort= (without "-") -> model field
    default_sort = ""
    export_columns: list[exports.Column] = []
    export_name = ""  # file name stem: "teams" -> teams-2026-01-31.csv
    results_template_name = ""  # the part of the page that htmx swaps
    paginate_by = 25
    paginator_class = CappedPaginator  # counts up to 10,000 rows, then says "more"

    def get_base_queryset(self):
        """The permission-restricted rows, from the app's selector."""
        raise NotImplementedError(f"{type(self).__name__} must define get_base_queryset() (abstract hook)")

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "csv":
            return self.export()
        response = super().get(request, *args, **kwargs)
        patch_vary_headers(response, ("HX-Request",))
        return response

    def get_queryset(self):
        self.filterset = self.filterset_class(
            self.request.GET, queryset=self.get_base_queryset(), request=self.request
        )
        queryset = self.filterset.qs if self.filterset.is_valid() else self.filterset.queryset.none()
        return queryset.order_by(*self.order_by_fields())

    def current_sort(self) -> str:
        sort = self.request.GET.get("sort", "")
        return sort if sort.lstrip("-") in self.sort_fields else self.default_sort

    def order_by_fields(self) -> list[str]:
        sort = self.current_sort()
        direction = "-" if sort.startswith("-") else ""
        # The primary key last, so that pages never repeat or skip rows with equal values.
        return [direction + self.sort_fields[sort.lstrip("-")], direction + "pk"]

    def export(self):
        filename = f"{self.export_name}-{timezone.localdate():%Y-%m-%d}.csv"
        return exports.csv_response(self.get_queryset(), self.export_columns, filename)

    @property
    def partial(self) -> bool:
        """htmx swaps the results only (a filter, sort or page change): no filters, no tabs."""
        htmx = getattr(self.request, "htmx", None)
        return bool(htmx and not htmx.history_restore_request)

    def get_template_names(self):
        if self.partial:
            return [self.results_template_name]
        return super().get_template_names()

    def prepare_filter_form(self, form) -> None:
        """Style the filters, and say "Any" where a filter is not set (Django says "Unknown", "-----")."""
        style_widgets(form)
        for field in form.fields.values():
            if isinstance(field.widget, forms.NullBooleanSelect):
                field.widget.choices = [("unknown", _("Any")), ("true", _("Yes")), ("false", _("No"))]
            elif isinstance(field, forms.ModelChoiceField):
                field.empty_label = _("Any")
        if "q" in form.fields:
            form.fields["q"].widget.input_type = "search"
            form.fields["q"].widget.attrs.update({"placeholder": _("Search…"), "data-search-shortcut": ""})

    def get_context_data(self, **kwargs):
        form = self.filterset.form
        if not self.partial:  # the results part shows no filter: its choice lists are not read
            self.prepare_filter_form(form)
        kwargs.update(
            filter_fields=[form[name] for name in self.filter_fields],
            filter_errors=form.errors,
            # A refused filter the bar has no field for (?opened_after= from a link): said above the list.
            other_filter_errors=[f"{form[name].label if name in form.fields else name}: {error}"
                                 for name, errors in form.errors.items() if name not in self.filter_fields
                                 for error in errors],
            current_sort=self.current_sort(),
            results_template_name=self.results_template_name,
        )
        return super().get_context_data(**kwargs)


def clean_query(query: str) -> str:
    """A list's query worth saving as a filter: without empty filters, the page number or an export."""
    pairs = [(key, value) for key, values in QueryDict(query.lstrip("?")).lists() for value in values if value]
    return urlencode([(key, value) for key, value in pairs if key not in ("page", "export")])
