"""The problem list (/problems/): queue tabs, filters (the API's ProblemFilterSet), htmx
results, CSV export."""

from urllib.parse import urlencode

from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy

from incidents import selectors as incident_selectors
from incidents.views.queue import SavedFilterCreateView, SavedFilterDeleteView
from itsm.exports import Column
from itsm.forms import offer_rows, people_rows
from itsm.views.lists import FilteredListView

from .. import selectors
from ..filtersets import ProblemFilterSet
from ..forms import people_with
from ..workflow import PROBLEM_MANAGERS, PROBLEM_WORKERS
from .common import ProblemMixin

QUEUE_TABS = (
    ("mine", gettext_lazy("My problems")),
    ("unassigned", gettext_lazy("My teams' unassigned")),
    ("open", gettext_lazy("All open")),
    ("known_errors", gettext_lazy("Known errors")),
    ("managed", gettext_lazy("I manage")),
    ("", gettext_lazy("All problems")),
)
WORKER_QUEUES = ("mine", "unassigned")


def queue_counts(user, names) -> dict[str, int]:
    """How many problems each queue of `names` holds for `user` (one count per queue)."""
    base = selectors.problem_list(user).select_related(None)
    return {name: selectors.queue(base, name, user).count() for name in names}


class ProblemListView(ProblemMixin, FilteredListView):
    template_name = "problems/problem_list.html"
    results_template_name = "problems/_problem_results.html"
    filterset_class = ProblemFilterSet
    filter_fields = ("q", "state", "priority", "assignment_group", "assignee", "source")
    sort_fields = {"number": "number", "priority": "priority", "state": "state", "opened": "opened_at",
                   "updated": "updated_at", "group": "assignment_group__name", "assignee": "assignee__username",
                   "short_description": "short_description"}
    default_sort = "priority"
    paginate_by = 50
    export_name = "problems"
    export_columns = [
        Column(gettext_lazy("Number"), "number"),
        Column(gettext_lazy("Short description"), "short_description"),
        Column(gettext_lazy("State"), lambda p: p.get_state_display()),
        Column(gettext_lazy("Priority"), lambda p: p.get_priority_display()),
        Column(gettext_lazy("Impact"), lambda p: p.get_impact_display()),
        Column(gettext_lazy("Urgency"), lambda p: p.get_urgency_display()),
        Column(gettext_lazy("Source"), lambda p: p.get_source_display()),
        Column(gettext_lazy("Service"), "service.name"),
        Column(gettext_lazy("Category"), "category.name"),
        Column(gettext_lazy("Assignment group"), "assignment_group.name"),
        Column(gettext_lazy("Assignee"), "assignee.username"),
        Column(gettext_lazy("Problem manager"), "problem_manager.username"),
        Column(gettext_lazy("Root-cause category"), "root_cause_category.name"),
        Column(gettext_lazy("Known error"), "is_known_error"),
        Column(gettext_lazy("Opened"), "opened_at"),
        Column(gettext_lazy("Root cause found"), "root_cause_found_at"),
        Column(gettext_lazy("Known error since"), "known_error_at"),
        Column(gettext_lazy("Resolved"), "resolved_at"),
        Column(gettext_lazy("Closed"), "closed_at"),
        Column(gettext_lazy("Resolution code"), lambda p: p.get_resolution_code_display()),
        Column(gettext_lazy("Updated"), "updated_at"),
    ]

    def get_base_queryset(self):
        return selectors.problem_list(self.request.user)

    @cached_property
    def filter_data(self):
        """The query; a bare /problems/ opens the person's standing queue."""
        query = self.request.GET
        if set(query) - {"page", "export", "sort"}:
            return query
        query = query.copy()
        query["queue"] = "mine" if self.may_write(self.request.user) else "open"
        return query

    def get_queryset(self):
        self.filterset = self.filterset_class(self.filter_data, queryset=self.get_base_queryset(),
                                              request=self.request)
        queryset = self.filterset.qs if self.filterset.is_valid() else self.filterset.queryset.none()
        if self.request.GET.get("export") == "csv":
            queryset = selectors.with_details(queryset)
        return queryset.order_by(*self.order_by_fields())

    def order_by_fields(self) -> list:
        fields = super().order_by_fields()
        if self.current_sort().lstrip("-") == "priority":
            return [fields[0], "opened_at", "pk"]  # equal priorities: the oldest first
        return fields

    def prepare_filter_form(self, form) -> None:
        super().prepare_filter_form(form)
        for name in ("state", "priority"):
            form.fields[name].widget.attrs.update({"data-tom-select": "multiple", "placeholder": "—"})
        offer_rows(form.fields["assignment_group"],
                   form.fields["assignment_group"].queryset.filter(is_active=True).order_by("name")
                   .values_list("pk", "name"))
        offer_rows(form.fields["assignee"], people_rows(people_with(PROBLEM_WORKERS)))
        form.fields["assignee"].widget.attrs["data-tom-select"] = "single"

    def visible_tabs(self, user) -> list:
        can_write = self.may_write(user)
        manager = user.has_role(*PROBLEM_MANAGERS)
        return [(value, label) for value, label in QUEUE_TABS
                if (value not in WORKER_QUEUES or can_write) and (value != "managed" or manager)]

    def get_context_data(self, **kwargs):
        user = self.request.user
        queue = self.filter_data.get("queue", "")
        query = self.filter_data.copy()
        for key in ("page", "export"):
            query.pop(key, None)
        tabs = self.visible_tabs(user)
        counts = {} if self.partial else queue_counts(user, [value for value, _ in tabs if value])
        kwargs.update(
            queue=queue, query_string=query.urlencode(),
            saved_filters=list(incident_selectors.saved_filters_of(user, SAVED_FILTERS))
            if self.may_write(user) and not self.partial else [],
            queue_tabs=[{"value": value, "label": label, "active": value == queue, "count": counts.get(value),
                         "url": "?" + urlencode({"queue": value})} for value, label in tabs],
        )
        return super().get_context_data(**kwargs)


# The problem list's saved filters are the incident queue's mechanism, on a list of their own.
SAVED_FILTERS = "problems"


class ProblemSavedFilterCreateView(ProblemMixin, SavedFilterCreateView):
    list_name, list_url_name = SAVED_FILTERS, "problem_list"


class ProblemSavedFilterDeleteView(ProblemMixin, SavedFilterDeleteView):
    list_name, list_url_name = SAVED_FILTERS, "problem_list"
