"""The CMDB in the browser: thin views over config_items.selectors and config_items.services.

Staff read the CMDB; team leads and administrators (CMDB_WRITERS) change CIs, relationships
and baselines; administrators define CI types and relationship types.
"""

import copy
import io
import json

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, ListView, TemplateView, View

from itsm.exceptions import GuardFailed, TransitionNotAllowed, messages_of
from itsm.exports import Column
from itsm.history import history_rows as field_history
from itsm.journal import journal_for
from itsm.permissions import ADMIN_ROLES
from itsm.views.lists import FilteredListView
from itsm.views.mixins import RoleRequiredMixin, ServiceFormView
from itsm.workflow import transition_apply

from . import importing, selectors, services
from .choices import CIStatus
from .filtersets import CIFilterSet
from .forms import BaselineForm, CIForm, CITypeForm, ImportForm, RelationshipForm, RelationshipTypeForm
from .models import CIType, ConfigurationItem, Relationship, RelationshipType
from .workflow import CMDB_WRITERS

IMPACT_DEPTHS = (1, 2, 3, 4, 5, 6, 8, 10)
HISTORY_ROWS = 50
SEARCH_RESULTS = 20
SECTION_ROWS = 50  # rows shown per data-quality section; the count covers all


def status_colour(status: str) -> str:
    try:
        return CIStatus(status).colour
    except ValueError:
        return "secondary"


class CMDBMixin(RoleRequiredMixin):
    write_roles = CMDB_WRITERS


# CIs -------------------------------------------------------------------------------------------

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
        # The API takes a service's id; the page offers the services by name.
        services = selectors.ci_list(self.request.user).services().order_by("name").values_list("pk", "number", "name")
        form.fields["service"].widget = forms.Select(
            choices=[("", _("Any"))] + [(pk, f"{number} {name}") for pk, number, name in services],
            attrs={"class": "form-select", "data-tom-select": "single"},
        )


class CIGateMixin:
    """The CI of the URL, through the one access gate (404 for missing and forbidden alike)."""

    @cached_property
    def ci(self):
        try:
            return selectors.ci_get_for_user(self.request.user, self.kwargs["pk"])
        except (ConfigurationItem.DoesNotExist, Http404):
            raise Http404 from None


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
    """Autocomplete of CIs: {"results": [{"value": id, "text": "CI0000001 name"}]}."""

    def get(self, request):
        query = request.GET.get("q", "").strip()
        cis = selectors.ci_list(request.user)
        if query:
            cis = cis.filter(Q(name__icontains=query) | Q(number__icontains=query))
        exclude = request.GET.get("exclude", "")
        if exclude.isdigit():
            cis = cis.exclude(pk=int(exclude))
        rows = cis.order_by("name", "pk").values("pk", "number", "name", "ci_type__name")[:SEARCH_RESULTS]
        return JsonResponse({"results": [
            {"value": row["pk"], "text": f"{row['number']} {row['name']} ({row['ci_type__name']})"} for row in rows
        ]})


# Baselines -------------------------------------------------------------------------------------

def baselines_for(user):
    return selectors.baseline_list(user)


class BaselineCreateView(CIGateMixin, CMDBMixin, View):
    def post(self, request, pk):
        ci = self.ci
        form = BaselineForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
            return redirect(reverse("ci_detail", args=[ci.pk]) + "#baselines")
        try:
            baseline = services.baseline_create(actor=request.user, root=ci, name=form.cleaned_data["name"],
                                                reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(reverse("ci_detail", args=[ci.pk]) + "#baselines")
        messages.success(request, _("Baseline “%(object)s” created.") % {"object": baseline})
        return redirect("baseline_detail", pk=baseline.pk)


def snapshot_rows(snapshot: dict) -> list[dict]:
    items = (snapshot or {}).get("items", {})
    return sorted(({"id": key, **value} for key, value in items.items()),
                  key=lambda item: (str(item.get("number", "")), str(item.get("name", ""))))


class BaselineDetailView(CMDBMixin, DetailView):
    template_name = "config_items/baseline_detail.html"
    context_object_name = "baseline"

    def get_queryset(self):
        return baselines_for(self.request.user)

    def get_context_data(self, **kwargs):
        baseline = self.object
        others = baselines_for(self.request.user).filter(root=baseline.root).exclude(pk=baseline.pk)
        numbers = {int(k): v.get("number", k) for k, v in (baseline.snapshot.get("items") or {}).items()
                   if str(k).isdigit()}
        relationships = [
            {"source": numbers.get(r[0], r[0]), "target": numbers.get(r[1], r[1]), "type": r[2]}
            for r in baseline.snapshot.get("relationships", [])
        ]
        kwargs.update(items=snapshot_rows(baseline.snapshot), relationships=relationships, others=list(others))
        return super().get_context_data(**kwargs)


def snapshot_field_labels():
    """A function naming a snapshot field as people read it ("attributes.cpu_count" → "CPUs")."""
    fields = {f.name: str(f.verbose_name) for f in ConfigurationItem._meta.concrete_fields}
    fields["type"] = str(ConfigurationItem._meta.get_field("ci_type").verbose_name)
    fields["customers"] = str(ConfigurationItem._meta.get_field("customers").verbose_name)
    attributes = {}
    for schema in CIType.objects.values_list("attribute_schema", flat=True):
        for definition in schema or []:
            attributes.setdefault(definition.get("name"), definition.get("label"))

    def label(name: str) -> str:
        if name.startswith("attributes."):
            key = name.split(".", 1)[1]
            return f"{fields.get('attributes', 'attributes')}: {attributes.get(key) or key}"
        return fields.get(name, name)

    return label


class BaselineCompareView(CMDBMixin, DetailView):
    """A baseline against today's state of its root, or against another baseline of the same root."""

    template_name = "config_items/baseline_compare.html"
    context_object_name = "baseline"

    def get_queryset(self):
        return baselines_for(self.request.user)

    def get_context_data(self, **kwargs):
        baseline = self.object
        others = baselines_for(self.request.user).filter(root=baseline.root).exclude(pk=baseline.pk)
        other = None
        against = self.request.GET.get("with", "")
        if against.isdigit():
            other = get_object_or_404(others, pk=int(against))
        if other is None:
            old, new = baseline, None
            diff = selectors.baseline_diff(baseline.snapshot, selectors.snapshot_of(baseline.root))
        elif other.created_at <= baseline.created_at:
            old, new = other, baseline
            diff = selectors.baseline_diff(other.snapshot, baseline.snapshot)
        else:
            old, new = baseline, other
            diff = selectors.baseline_diff(baseline.snapshot, other.snapshot)
        # Relationships name CIs by id; show their numbers (from either side of the comparison).
        new_snapshot = new.snapshot if new else selectors.snapshot_of(baseline.root)
        numbers = {str(k): v.get("number", k) for snapshot in (old.snapshot, new_snapshot)
                   for k, v in (snapshot.get("items") or {}).items()}
        for change in ("added", "removed"):
            diff["relationships"][change] = [
                [numbers.get(str(s), s), numbers.get(str(t), t), kind] for s, t, kind in diff["relationships"][change]
            ]
        labels = snapshot_field_labels()
        for item in diff["items"]["changed"]:
            item["fields"] = {labels(name): values for name, values in item["fields"].items()}
        kwargs.update(diff=diff, old=old, new=new, others=list(others), other=other,
                      unchanged=not any(diff["items"].values()) and not any(diff["relationships"].values()))
        return super().get_context_data(**kwargs)


# Catalogue, data quality, import ---------------------------------------------------------------

class CatalogueView(CMDBMixin, TemplateView):
    """Live services grouped per customer; a service for several customers appears under each."""

    template_name = "config_items/catalogue.html"

    def get_context_data(self, **kwargs):
        from itsm.models import Customer

        customers = Customer.objects.filter(is_active=True).order_by("name")
        customer = None
        chosen = self.request.GET.get("customer", "")
        if chosen:
            by = {"pk": chosen} if chosen.isdigit() else {"code": chosen}
            customer = customers.filter(**by).first()
        services = selectors.catalogue(self.request.user, customer=customer).annotate(
            underpinning=Count("outgoing", distinct=True))
        groups, without_customer = {}, []
        for service in services:
            service_customers = [c for c in service.customers.all() if customer is None or c.pk == customer.pk]
            for service_customer in service_customers:
                groups.setdefault(service_customer, []).append(service)
            if not service_customers:
                without_customer.append(service)
        catalogue = sorted(groups.items(), key=lambda item: item[0].name)
        if without_customer:
            catalogue.append((None, without_customer))
        kwargs.update(catalogue=catalogue, customers=customers, customer=customer,
                      service_count=len({s.pk for _c, group in catalogue for s in group}))
        return super().get_context_data(**kwargs)


class DataQualityView(CMDBMixin, TemplateView):
    template_name = "config_items/data_quality.html"
    STALE_CHOICES = (30, 60, 90, 180, 365)

    def get_context_data(self, **kwargs):
        try:
            stale_days = int(self.request.GET.get("stale_days", 90))
        except ValueError:
            stale_days = 90
        stale_days = stale_days if stale_days in self.STALE_CHOICES else 90
        report = selectors.data_quality(self.request.user, stale_days=stale_days)
        sections = [
            ("no_owner", _("CIs without an owner team"),
             _("CIs in use (not retired) that no team answers for.")),
            ("services_without_ci", _("Services without underpinning CIs"),
             _("Services that depend on nothing: their impact cannot be analysed.")),
            ("stale", _("Stale CIs"), _("CIs not updated for the chosen number of days.")),
            ("duplicate_names", _("Duplicate names"), _("CIs of the same type that share a name.")),
        ]
        rows = []
        for key, title, hint in sections:
            items = report.get(key)
            if key == "duplicate_names":
                items = list(items or [])
                shown_ids = {pk for *_rest, ids in items[:SECTION_ROWS] for pk in ids}
                numbers = dict(ConfigurationItem.objects.filter(pk__in=shown_ids).values_list("pk", "number"))
                items = [{"ci_type": t, "name": n, "count": c, "cis": [(pk, numbers.get(pk, pk)) for pk in ids]}
                         for t, n, c, ids in items]
                count, shown = len(items), items[:SECTION_ROWS]
            else:
                count, shown = items.count(), list(items[:SECTION_ROWS])
            rows.append({"key": key, "title": title, "hint": hint, "count": count, "items": shown})
        kwargs.update(sections=rows, stale_days=stale_days, stale_choices=self.STALE_CHOICES)
        return super().get_context_data(**kwargs)


class ImportView(CMDBMixin, TemplateView):
    template_name = "config_items/import.html"
    read_roles = CMDB_WRITERS

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", ImportForm())
        return super().get_context_data(**kwargs)

    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        apply = "apply" in request.POST
        kind = form.cleaned_data["kind"]
        importer = importing.import_relationships if kind == "relationships" else importing.import_cis
        content = form.cleaned_data["content"]
        try:
            report = importer(actor=request.user, file=io.StringIO(content), dry_run=not apply,
                              atomic=form.cleaned_data["atomic"])
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.render_to_response(self.get_context_data(form=form))
        apply_form = ImportForm(initial={"kind": form.cleaned_data["kind"], "content": content,
                                         "atomic": form.cleaned_data["atomic"]})
        if apply:
            messages.success(request, _("Import finished: %(created)s created, %(updated)s updated, "
                                        "%(unchanged)s unchanged, %(rejected)s rejected.") % {
                "created": report.created, "updated": report.updated, "unchanged": report.unchanged,
                "rejected": report.rejected})
        return self.render_to_response(self.get_context_data(
            form=ImportForm(initial={"kind": form.cleaned_data["kind"]}), report=report, applied=apply,
            apply_form=apply_form, kind=form.cleaned_data["kind"]))


# Types -----------------------------------------------------------------------------------------

class CITypeListView(CMDBMixin, ListView):
    template_name = "config_items/ci_type_list.html"
    context_object_name = "ci_types"
    write_roles = ADMIN_ROLES

    def get_queryset(self):
        return CIType.objects.annotate(ci_count=Count("items")).order_by("name")


class CITypeDetailView(CMDBMixin, DetailView):
    template_name = "config_items/ci_type_detail.html"
    context_object_name = "ci_type"
    write_roles = ADMIN_ROLES
    queryset = CIType.objects.all()


class CITypeFormView(ServiceFormView):
    template_name = "config_items/ci_type_form.html"
    form_class = CITypeForm
    read_roles = write_roles = ADMIN_ROLES
    success_url_name = "ci_type_detail"
    ci_type = None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": copy.copy(self.ci_type) or CIType()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(ci_type=self.ci_type, **kwargs)


class CITypeCreateView(CITypeFormView):
    success_message = gettext_lazy("CI type “%(object)s” created.")

    def perform(self, form):
        return services.ci_type_create(actor=self.request.user, data=form.service_data())


class CITypeUpdateView(CITypeFormView):
    success_message = gettext_lazy("CI type “%(object)s” saved.")

    @cached_property
    def ci_type(self):
        return get_object_or_404(CIType, pk=self.kwargs["pk"])

    def perform(self, form):
        return services.ci_type_update(actor=self.request.user, ci_type=self.ci_type, data=form.service_data(),
                                       expected_version=form.cleaned_data["version"])


class RelationshipTypeListView(CMDBMixin, ListView):
    template_name = "config_items/relationship_type_list.html"
    context_object_name = "relationship_types"
    write_roles = ADMIN_ROLES
    queryset = RelationshipType.objects.order_by("forward_label")


class RelationshipTypeFormView(ServiceFormView):
    template_name = "config_items/relationship_type_form.html"
    form_class = RelationshipTypeForm
    read_roles = write_roles = ADMIN_ROLES
    success_url_name = "relationship_type_list"
    relationship_type = None

    def get_initial(self):
        rt = self.relationship_type
        if rt is None:
            return {"is_active": True}
        return {"slug": rt.slug, "forward_label": rt.forward_label, "reverse_label": rt.reverse_label,
                "is_active": rt.is_active}

    def get_success_url(self):
        return reverse("relationship_type_list")

    def get_context_data(self, **kwargs):
        return super().get_context_data(relationship_type=self.relationship_type, **kwargs)


class RelationshipTypeCreateView(RelationshipTypeFormView):
    success_message = gettext_lazy("Relationship type “%(object)s” created.")

    def perform(self, form):
        return services.relationship_type_create(actor=self.request.user, data=form.cleaned_data)


class RelationshipTypeUpdateView(RelationshipTypeFormView):
    success_message = gettext_lazy("Relationship type “%(object)s” saved.")

    @cached_property
    def relationship_type(self):
        return get_object_or_404(RelationshipType, pk=self.kwargs["pk"])

    def perform(self, form):
        return services.relationship_type_update(actor=self.request.user, relationship_type=self.relationship_type,
                                                 data=form.cleaned_data)

