"""The unauthorised-changes exceptions report (filters by state, CI and period, CSV export), an
exception's page with the resolve form (change managers), and the exempt discovery sources
(administrators, under /changes/settings/)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View

from itsm.exceptions import DomainError, messages_of
from itsm.exports import Column
from itsm.forms import add_error_to_form
from itsm.history import history_rows
from itsm.permissions import ADMIN_ROLES
from itsm.views.lists import FilteredListView
from itsm.views.mixins import RoleRequiredMixin, ServiceFormView
from itsm.widgets import SearchSelect, chosen, limit_to_chosen

from .. import selectors_cmdb
from ..choices import ExceptionState
from ..filtersets_cmdb import UnauthorisedFilterSet
from ..forms_cmdb import ExemptSourceForm, ResolveForm
from ..services.unauthorised import (
    exempt_source_create,
    exempt_source_delete,
    exempt_source_update,
    unauthorised_resolve,
)
from ..workflow import CHANGE_MANAGERS


def _fields_text(exception) -> str:
    return "; ".join(f"{name}: {_shown(old)} → {_shown(new)}" for name, (old, new) in exception.fields.items())


def _shown(value) -> str:
    return "—" if value in (None, "", []) else str(value)


class UnauthorisedListView(FilteredListView):
    template_name = "changes/cmdb/unauthorised_list.html"
    results_template_name = "changes/cmdb/_unauthorised_results.html"
    filterset_class = UnauthorisedFilterSet
    filter_fields = ("q", "state", "ci", "changed_after", "changed_before")
    sort_fields = {"changed": "changed_at", "detected": "detected_at", "state": "state"}
    default_sort = "-changed"
    paginate_by = 50
    export_name = "unauthorised-changes"
    export_columns = [
        Column(gettext_lazy("CI"), "ci.number"),
        Column(gettext_lazy("CI name"), "ci.name"),
        Column(gettext_lazy("Changed"), "changed_at"),
        Column(gettext_lazy("Changed by"), "changed_by.username"),
        Column(gettext_lazy("What changed"), _fields_text),
        Column(gettext_lazy("State"), lambda e: e.get_state_display()),
        Column(gettext_lazy("Change"), "change.number"),
        Column(gettext_lazy("Reason"), "reason"),
        Column(gettext_lazy("Resolved"), "resolved_at"),
        Column(gettext_lazy("Resolved by"), "resolved_by.username"),
        Column(gettext_lazy("Detected"), "detected_at"),
    ]

    def get_base_queryset(self):
        return selectors_cmdb.unauthorised_list(self.request.user)

    def get_queryset(self):
        data = self.request.GET.copy()
        if not set(data) - {"page", "sort", "export"}:
            data.setlist("state", [ExceptionState.OPEN])  # the work to do, unless filtered otherwise
        self.filterset = self.filterset_class(data, queryset=self.get_base_queryset(), request=self.request)
        queryset = self.filterset.qs if self.filterset.is_valid() else self.filterset.queryset.none()
        return queryset.order_by(*self.order_by_fields())

    def prepare_filter_form(self, form) -> None:
        super().prepare_filter_form(form)
        form.fields["state"].widget.attrs.update({"data-tom-select": "multiple", "placeholder": "—"})
        form.fields["ci"].widget = SearchSelect(search_url=reverse("ci_search"))
        limit_to_chosen(form.fields["ci"], chosen(form, "ci"))
        form.fields["ci"].widget.attrs["class"] = "form-select"

    def get_context_data(self, **kwargs):
        kwargs["state_colours"] = {state.value: state.colour for state in ExceptionState}
        return super().get_context_data(**kwargs)


class UnauthorisedPageMixin(RoleRequiredMixin):
    write_roles = CHANGE_MANAGERS

    def render_page(self, exception, form=None, status=200):
        context = {
            "exception": exception,
            "rows": [{"field": name, "before": _shown(old), "after": _shown(new)}
                     for name, (old, new) in exception.fields.items()],
            "state_colour": ExceptionState(exception.state).colour,
            "may_resolve": exception.state == ExceptionState.OPEN and self.may_write(self.request.user),
            "form": form or ResolveForm(),
            "history": history_rows(exception, limit=20),
        }
        return render(self.request, "changes/cmdb/unauthorised_detail.html", context, status=status)


class UnauthorisedDetailView(UnauthorisedPageMixin, View):
    def get(self, request, pk):
        return self.render_page(selectors_cmdb.unauthorised_get_for_user(request.user, pk))


class UnauthorisedResolveView(UnauthorisedPageMixin, View):
    def post(self, request, pk):
        exception = selectors_cmdb.unauthorised_get_for_user(request.user, pk)
        form = ResolveForm(request.POST)
        if form.is_valid():
            try:
                unauthorised_resolve(actor=request.user, exception=exception, change=form.cleaned_data["change"],
                                     reason=form.cleaned_data["reason"])
            except (ValidationError, DomainError) as exc:
                add_error_to_form(form, exc)
            else:
                messages.success(request, _("Unauthorised change resolved."))
                return redirect("change_unauthorised_detail", pk=exception.pk)
        return self.render_page(exception, form, status=400)


# --- exempt discovery sources (administrators) -------------------------------------------------

class ExemptSourceListView(RoleRequiredMixin, View):
    write_roles = ADMIN_ROLES

    def get(self, request):
        return render(request, "changes/cmdb/exempt_sources.html", {
            "sources": selectors_cmdb.exempt_source_list(request.user),
            "can_write": self.may_write(request.user)})


class ExemptSourceFormMixin:
    read_roles = write_roles = ADMIN_ROLES
    form_class = ExemptSourceForm
    template_name = "changes/cmdb/exempt_source_form.html"

    def get_success_url(self):
        return reverse("change_exempt_source_list")


class ExemptSourceCreateView(ExemptSourceFormMixin, ServiceFormView):
    success_message = gettext_lazy("Exempt source %(object)s added.")

    def perform(self, form):
        return exempt_source_create(actor=self.request.user, data=form.cleaned_data)


class ExemptSourceUpdateView(ExemptSourceFormMixin, ServiceFormView):
    success_message = gettext_lazy("Exempt source %(object)s saved.")

    @property
    def exempt(self):
        return selectors_cmdb.exempt_source_get_for_user(self.request.user, self.kwargs["pk"])

    def get_initial(self):
        exempt = self.exempt
        return {"source": exempt.source, "reason": exempt.reason}

    def get_context_data(self, **kwargs):
        return super().get_context_data(exempt=self.exempt, **kwargs)

    def perform(self, form):
        return exempt_source_update(actor=self.request.user, exempt=self.exempt, data=form.cleaned_data)


class ExemptSourceDeleteView(RoleRequiredMixin, View):
    write_roles = ADMIN_ROLES

    def post(self, request, pk):
        exempt = selectors_cmdb.exempt_source_get_for_user(request.user, pk)
        try:
            exempt_source_delete(actor=request.user, exempt=exempt)
        except (ValidationError, DomainError) as exc:
            messages.error(request, " ".join(messages_of(exc, field_names=False)))
        else:
            messages.success(request, _("%(source)s is no longer exempt.") % {"source": exempt.source})
        return redirect("change_exempt_source_list")


urlpatterns = [
    path("unauthorised/", UnauthorisedListView.as_view(), name="change_unauthorised_list"),
    path("unauthorised/<int:pk>/", UnauthorisedDetailView.as_view(), name="change_unauthorised_detail"),
    path("unauthorised/<int:pk>/resolve/", UnauthorisedResolveView.as_view(), name="change_unauthorised_resolve"),
    path("settings/exempt-sources/", ExemptSourceListView.as_view(), name="change_exempt_source_list"),
    path("settings/exempt-sources/new/", ExemptSourceCreateView.as_view(), name="change_exempt_source_create"),
    path("settings/exempt-sources/<int:pk>/edit/", ExemptSourceUpdateView.as_view(),
         name="change_exempt_source_update"),
    path("settings/exempt-sources/<int:pk>/delete/", ExemptSourceDeleteView.as_view(),
         name="change_exempt_source_delete"),
]
