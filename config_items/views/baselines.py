"""Baselines: taken from a CI's page, shown, and compared with another of the same root."""


from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import DetailView, View

from .. import selectors, services
from ..forms import BaselineForm
from ..models import CIType, ConfigurationItem
from .common import CIGateMixin, CMDBMixin


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
