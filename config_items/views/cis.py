"""CIs: the list, a CI's page, its form, lifecycle steps, relationships and the search box."""

import copy
import json

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View

from itsm.exceptions import GuardFailed, TransitionNotAllowed, messages_of
from itsm.exports import Column
from itsm.history import history_rows as field_history
from itsm.journal import journal_for
from itsm.views.lists import FilteredListView
from itsm.views.mixins import ServiceFormView
from itsm.workflow import transition_apply

from .. import selectors, services
from ..choices import CatalogueStatus
from ..filtersets import CIFilterSet
from ..forms import BaselineForm, CIForm, RelationshipForm
from ..models import ConfigurationItem, Relationship
from ..workflow import CMDB_WRITERS
from .common import CIGateMixin, CMDBMixin, status_colour

IMPACT_DEPTHS = (1, 2, 3, 4, 5, 6, 8, 10)
HISTORY_ROWS = 50
SEARCH_RESULTS = 20


class CIListView(CMDBMixin, FilteredListView):
    template_name = "config_items/ci_list.html"
    results_template_name = "config_items/_ci_results.html"
    filterset_class = CIFilterSet
    filter_fields = ("q", "ci_type", "status", "environment", "service", "owner_team", "customer")
    sort_fields = {"number": "number", "name": "name", "type": "ci_type__name", "status": "status",
                   "environment": "environment", "team": "owner_team__name", "updated": "updated_at"}
    default_sort = "name"
    export_name = "configuration-items"
    export_columns = [
        Column(gettext_lazy("Number"), "number"),
        Column(gettext_lazy("Name"), "name"),
        Column(gettext_lazy("Type"), "ci_type.name"),
        Column(gettext_lazy("Status"), lambda ci: ci.get_status_display()),
        Column(gettext_lazy("Environment"), lambda ci: ci.get_environment_display()),
        Column(gettext_lazy("Owner team"), "owner_team.name"),
        Column(gettext_lazy("Customers"), lambda ci: "; ".join(c.code for c in ci.customers.all())),
        Column(gettext_lazy("Description"), "description"),
        Column(gettext_lazy("Attributes"), lambda ci: json.dumps(ci.attributes, ensure_ascii=False, sort_keys=True)),
        Column(gettext_lazy("Source"), "source"),
        Column(gettext_lazy("External ID"), "external_id"),
        Column(gettext_lazy("Service owner"), "service_owner.username"),
        Column(gettext_lazy("Hours of service"), "hours_of_service"),
        Column(gettext_lazy("Updated"), "updated_at"),
    ]

    def get_base_queryset(self):
        return selectors.ci_list(self.request.user)

    def prepare_filter_form(self, form) -> None:
        super().prepare_filter_form(form)
        form.fields["status"].widget.attrs["data-tom-select"] = "multiple"
        form.fields["environment"].choices = [("", _("Any")), *list(form.fields["environment"].choices)[1:]]
        form.fields["service"].label = _("Service")
        form.fields["owner_team"].queryset = form.fields["owner_team"].queryset.order_by("name")
        form.fields["customer"].queryset = form.fields["customer"].queryset.order_by("name")
        # The API takes a service's id; the page offers the services by name. They grow with the
        # CMDB: the page holds only the chosen one, Tom Select searches the rest.
        chosen = str(form["service"].value() or "")
        services = (selectors.ci_list(self.request.user).services().filter(pk=int(chosen)).values_list(
            "pk", "number", "name") if chosen.isdigit() else [])
        form.fields["service"].widget = forms.Select(
            choices=[("", _("Any"))] + [(pk, f"{number} {name}") for pk, number, name in services],
            attrs={"class": "form-select", "data-tom-select": "search", "placeholder": _("Any"),
                   "data-search-url": reverse("ci_search") + "?service=1"},
        )


HISTORY_HIDDEN_FIELDS = ["customers", "version", "updated_at", "updated_by"]


def history_rows(ci, limit=HISTORY_ROWS):
    return field_history(ci, hidden_fields=HISTORY_HIDDEN_FIELDS, limit=limit)


class CIDetailView(CIGateMixin, CMDBMixin, TemplateView):
    template_name = "config_items/ci_detail.html"

    def impact_options(self):
        direction = self.request.GET.get("direction", "upstream")
        if direction not in ("upstream", "downstream"):
            direction = "upstream"
        try:
            depth = int(self.request.GET.get("depth", 3))
        except ValueError:
            depth = 3
        depth = depth if depth in IMPACT_DEPTHS else 3
        return direction, depth

    def get_context_data(self, **kwargs):
        ci, user = self.ci, self.request.user
        direction, depth = self.impact_options()
        impact = selectors.impact(ci, direction=direction, depth=depth)
        schema = {d["name"]: d for d in ci.ci_type.attribute_schema}
        attributes = [(schema.get(name, {}).get("label", name), value) for name, value in ci.attributes.items()]
        outgoing = Relationship.objects.filter(source=ci).select_related("type", "target__ci_type")
        incoming = Relationship.objects.filter(target=ci).select_related("type", "source__ci_type")
        groups = {}
        for rel in outgoing:
            groups.setdefault(rel.type.forward_label, []).append((rel, rel.target))
        for rel in incoming:
            groups.setdefault(rel.type.reverse_label, []).append((rel, rel.source))
        can_write = self.may_write(user)
        graph = {
            "start": ci.pk, "direction": direction, "truncated": impact.truncated,
            "nodes": impact.nodes, "edges": impact.edges,
            "labels": {"service": _("Service"), "component": _("Component"), "start": _("This CI")},
        }
        kwargs.update(
            ci=ci, status_colour=status_colour(ci.status),
            transitions=ci.workflow.available(ci, user) if can_write else [],
            attributes=attributes, relationship_groups=sorted(groups.items()),
            relationship_count=sum(len(v) for v in groups.values()),
            relationship_form=RelationshipForm(user=user, search_url=f"{reverse('ci_search')}?exclude={ci.pk}"),
            baseline_form=BaselineForm(),
            impact=impact, impact_graph=graph, impact_direction=direction, impact_depth=depth,
            impact_depths=IMPACT_DEPTHS, impact_rows=impact_table(impact),
            impact_count=max(len(impact.nodes) - 1, 0),  # the CI itself is depth 0
            history=history_rows(ci), journal=list(journal_for(ci, user)[:50]),
            baselines=list(ci.baselines.select_related("created_by")[:20]),
            customers=list(ci.customers.all()),
        )
        return super().get_context_data(**kwargs)


def impact_table(impact):
    """The graph's nodes as table rows, with the path spelled out in CI numbers."""
    numbers = {node["id"]: node["number"] for node in impact.nodes}
    rows = []
    for node in sorted(impact.nodes, key=lambda n: (n["depth"], n["number"])):
        rows.append({**node, "path_numbers": [numbers.get(pk, str(pk)) for pk in node.get("path", [])],
                     "colour": status_colour(node.get("status", ""))})
    return rows


class CIFormView(ServiceFormView):
    template_name = "config_items/ci_form.html"
    form_class = CIForm
    read_roles = write_roles = CMDB_WRITERS
    success_url_name = "ci_detail"
    ci = None

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "instance": copy.copy(self.ci) or ConfigurationItem(),
                  "user": self.request.user}
        if self.ci is None and "ci_type" in self.request.GET:
            kwargs["initial"] = {"ci_type": self.request.GET["ci_type"]}
        return kwargs

    def get_context_data(self, **kwargs):
        return super().get_context_data(ci=self.ci, **kwargs)


class CICreateView(CIFormView):
    success_message = gettext_lazy("CI “%(object)s” created.")

    def perform(self, form):
        return services.ci_create(actor=self.request.user, data=form.service_data())


class CIUpdateView(CIGateMixin, CIFormView):
    success_message = gettext_lazy("CI “%(object)s” saved.")

    def perform(self, form):
        return services.ci_update(actor=self.request.user, ci=self.ci, data=form.service_data(),
                                  expected_version=form.cleaned_data["version"])


class CIAttributeFieldsView(CMDBMixin, View):
    """The attribute (and catalogue) fields of the chosen type: htmx swaps them into the form."""

    read_roles = CMDB_WRITERS

    def get(self, request):
        instance = ConfigurationItem()
        ci_pk = request.GET.get("ci")
        if ci_pk:
            try:
                instance = selectors.ci_get_for_user(request.user, int(ci_pk))
            except (ValueError, ConfigurationItem.DoesNotExist, Http404):
                instance = ConfigurationItem()
        form = CIForm(instance=instance, user=request.user, initial={"ci_type": request.GET.get("ci_type")})
        # Values typed before the type changed stay where the new type has the same attribute.
        for field in form.attribute_fields():
            if field.html_name in request.GET:
                form.initial[field.name] = request.GET[field.html_name]
        return render(request, "config_items/_ci_type_fields.html", {"form": form})


class CITransitionView(CIGateMixin, CMDBMixin, View):
    def post(self, request, pk):
        ci = self.ci
        name = request.POST.get("transition", "")
        try:
            ci = transition_apply(actor=request.user, record=ci, name=name, reason=request.POST.get("reason", ""))
        except (TransitionNotAllowed, GuardFailed) as exc:
            messages.error(request, " ".join(messages_of(exc, field_names=False)))
        else:
            messages.success(request, _("%(number)s is now %(status)s.") % {
                "number": ci.number, "status": ci.get_status_display()})
        return redirect("ci_detail", pk=ci.pk)


class RelationshipCreateView(CIGateMixin, CMDBMixin, View):
    def post(self, request, pk):
        ci = self.ci
        form = RelationshipForm(request.POST, user=request.user, search_url=reverse("ci_search"))
        if form.is_valid():
            other = form.cleaned_data["other"]
            source, target = (ci, other) if form.cleaned_data["direction"] == "outgoing" else (other, ci)
            try:
                services.relationship_create(actor=request.user, source=source, target=target,
                                             type=form.cleaned_data["type"])
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Relationship added."))
        else:
            messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(reverse("ci_detail", args=[ci.pk]) + "#relationships")


class RelationshipDeleteView(CMDBMixin, View):
    """Remove a relationship; back to the CI page it was removed from (`ci`), else its source."""

    def post(self, request, pk):
        relationship = get_object_or_404(selectors.relationship_list(request.user), pk=pk)
        back = request.POST.get("ci", "")
        back = int(back) if back.isdigit() and int(back) in (relationship.source_id, relationship.target_id) \
            else relationship.source_id
        try:
            services.relationship_delete(actor=request.user, relationship=relationship)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Relationship removed."))
        return redirect(reverse("ci_detail", args=[back]) + "#relationships")


class CISearchView(CMDBMixin, View):
    """Autocomplete of CIs (`?service=1`: services only; `?service=live`: services live in the
    catalogue): {"results": [{"value": id, "text": "CI0000001 name (type)"}]}, at most
    SEARCH_RESULTS a query (Tom Select asks again as one types)."""

    def get(self, request):
        query = request.GET.get("q", "").strip()
        cis = selectors.ci_list(request.user)
        if request.GET.get("service") in ("1", "live"):
            cis = cis.services()
        if request.GET.get("service") == "live":
            cis = cis.filter(catalogue_status=CatalogueStatus.LIVE)
        if query:
            cis = cis.filter(Q(name__icontains=query) | Q(number__icontains=query))
        exclude = request.GET.get("exclude", "")
        if exclude.isdigit():
            cis = cis.exclude(pk=int(exclude))
        rows = cis.order_by("name", "pk").values("pk", "number", "name", "ci_type__name")[:SEARCH_RESULTS]
        return JsonResponse({"results": [
            {"value": row["pk"], "text": f"{row['number']} {row['name']} ({row['ci_type__name']})"} for row in rows
        ]})
