"""The change list (/changes/): queue tabs, filters (the API's ChangeFilterSet), sorting, htmx
results, the person's saved filters and CSV export."""

from urllib.parse import urlencode

from django.db.models import Prefetch
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config_items.models import ConfigurationItem
from incidents import selectors as incident_selectors
from incidents.views.queue import SavedFilterCreateView, SavedFilterDeleteView
from itsm.exports import Column
from itsm.forms import offer_rows
from itsm.permissions import permitted
from itsm.views.lists import FilteredListView
from itsm.widgets import SearchSelect

from .. import selectors
from ..filtersets import QUEUE_CHOICES, ChangeFilterSet
from ..workflow import CHANGE_MANAGERS
from .records_common import ChangeMixin, url_if_any

# The person's own queues are offered to those who work changes; the rest to every reader.
OWN_QUEUES = ("mine", "implementing")
ALL_TAB = ("", gettext_lazy("All changes"))
SAVED_FILTERS = "changes"  # the incident queue's saved filters, on a list of their own


EXPORT_COLUMNS = [
    Column(gettext_lazy("Number"), "number"),
    Column(gettext_lazy("Short description"), "short_description"),
    Column(gettext_lazy("Model"), lambda c: c.get_change_model_display()),
    Column(gettext_lazy("State"), lambda c: c.get_state_display()),
    Column(gettext_lazy("Risk"), lambda c: c.get_risk_display()),
    Column(gettext_lazy("Impact"), lambda c: c.get_impact_display()),
    Column(gettext_lazy("Category"), "category.name"),
    Column(gettext_lazy("Source"), lambda c: c.get_source_display()),
    Column(gettext_lazy("Requester"), "requester.username"),
    Column(gettext_lazy("Assignment group"), "assignment_group.name"),
    Column(gettext_lazy("Implementer"), "implementer.username"),
    Column(gettext_lazy("Affected services"), lambda c: "; ".join(s.name for s in c.service_list)),
    Column(gettext_lazy("Affected CIs"), lambda c: "; ".join(ci.name for ci in c.ci_list)),
    Column(gettext_lazy("Impacted services"), lambda c: "; ".join(s.name for s in c.impacted_service_list)),
    Column(gettext_lazy("Customers of the impacted services"), "impacted_customer_count"),
    Column(gettext_lazy("Planned start"), "planned_start"),
    Column(gettext_lazy("Planned end"), "planned_end"),
    Column(gettext_lazy("Actual start"), "actual_start"),
    Column(gettext_lazy("Actual end"), "actual_end"),
    Column(gettext_lazy("Close code"), lambda c: c.get_close_code_display()),
    Column(gettext_lazy("Opened"), "opened_at"),
    Column(gettext_lazy("Authorised"), "authorised_at"),
    Column(gettext_lazy("Closed"), "closed_at"),
    Column(gettext_lazy("Updated"), "updated_at"),
]


class ChangeListView(ChangeMixin, FilteredListView):
    template_name = "changes/records/list.html"
    results_template_name = "changes/records/_results.html"
    filterset_class = ChangeFilterSet
    filter_fields = ("q", "state", "change_model", "risk", "assignment_group", "service", "ci", "category",
                     "planned_from", "planned_to")
    sort_fields = {"number": "number", "state": "state", "model": "change_model", "risk": "risk",
                   "opened": "opened_at", "updated": "updated_at", "planned": "planned_start",
                   "group": "assignment_group__name", "short_description": "short_description"}
    default_sort = "-opened"
    paginate_by = 50
    export_name = "changes"
    export_columns = EXPORT_COLUMNS

    def get_base_queryset(self):
        return selectors.change_list(self.request.user)

    @cached_property
    def filter_data(self):
        """The query; a bare /changes/ opens the person's standing queue: the open changes for
        change managers and auditors, their own for everyone else."""
        query = self.request.GET
        if set(query) - {"page", "export", "sort"}:
            return query
        query = query.copy()
        user = self.request.user
        query["queue"] = "mine" if self.may_write(user) and not permitted(user, CHANGE_MANAGERS) else "open"
        return query

    def get_queryset(self):
        self.filterset = self.filterset_class(self.filter_data, queryset=self.get_base_queryset(),
                                              request=self.request)
        queryset = self.filterset.qs if self.filterset.is_valid() else self.filterset.queryset.none()
        if self.request.GET.get("export") == "csv":
            queryset = selectors.with_details(queryset)
        else:  # a row names its affected services
            queryset = queryset.prefetch_related(Prefetch("services", to_attr="service_list"))
        return queryset.order_by(*self.order_by_fields())

    def prepare_filter_form(self, form) -> None:
        super().prepare_filter_form(form)
        for name in ("state", "change_model", "risk"):
            form.fields[name].widget.attrs.update({"data-tom-select": "multiple", "placeholder": "—"})
        offer_rows(form.fields["assignment_group"],
                   form.fields["assignment_group"].queryset.filter(is_active=True).order_by("name")
                   .values_list("pk", "name"))
        offer_rows(form.fields["category"], form.fields["category"].queryset.filter(is_active=True)
                   .order_by("name").values_list("pk", "name"))
        self._ci_picker(form, "service", "?service=1")
        self._ci_picker(form, "ci", "")
        form.fields["service"].label, form.fields["ci"].label = _("Affected service"), _("Affected CI")
        for name in ("planned_from", "planned_to"):
            form.fields[name].widget.input_type = "datetime-local"

    def _ci_picker(self, form, name: str, query: str) -> None:
        """A server-searched CI picker on an id filter: only the chosen CI is in the page."""
        widget = SearchSelect(search_url=reverse("ci_search") + query)
        value = form.data.get(name, "")
        chosen = ConfigurationItem.objects.filter(pk=value).values_list("pk", "number", "name")[:1] \
            if str(value).isdigit() and not form.errors.get(name) else []
        widget.choices = [("", ""), *[(pk, f"{number} {label}") for pk, number, label in chosen]]
        form.fields[name].widget = widget

    def visible_tabs(self, user) -> list:
        writer = self.may_write(user)
        tabs = [(value, label) for value, label in QUEUE_CHOICES if writer or value not in OWN_QUEUES]
        return [*tabs, ALL_TAB]

    def get_context_data(self, **kwargs):
        user = self.request.user
        queue = self.filter_data.get("queue", "")
        query = self.filter_data.copy()
        for key in ("page", "export"):
            query.pop(key, None)
        tabs = self.visible_tabs(user)
        counts = {} if self.partial else selectors.queue_counts(user, [value for value, _ in tabs if value])
        writer = self.may_write(user) and not self.partial
        kwargs.update(
            queue=queue, query_string=query.urlencode(),
            saved_filters=list(incident_selectors.saved_filters_of(user, SAVED_FILTERS)) if writer else [],
            queue_tabs=[{"value": value, "label": label, "active": value == queue, "count": counts.get(value),
                         "url": "?" + urlencode({"queue": value})} for value, label in tabs],
            awaiting_approval_url=url_if_any("change_approval_awaiting"),
            catalogue_url=url_if_any("change_catalogue"),
        )
        return super().get_context_data(**kwargs)


class ChangeSavedFilterCreateView(ChangeMixin, SavedFilterCreateView):
    list_name, list_url_name = SAVED_FILTERS, "change_list"


class ChangeSavedFilterDeleteView(ChangeMixin, SavedFilterDeleteView):
    list_name, list_url_name = SAVED_FILTERS, "change_list"
