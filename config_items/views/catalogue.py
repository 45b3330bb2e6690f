"""The service catalogue, the data-quality report and the CSV import."""

import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from .. import importing, selectors
from ..forms import ImportForm
from ..models import ConfigurationItem
from ..workflow import CMDB_WRITERS
from .common import CMDBMixin

SECTION_ROWS = 50  # rows shown per data-quality section; the count covers all


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
