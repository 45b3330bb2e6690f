"""Reproducible samples: draw one (type, period, filters, size, seed), see it frozen, open each
sampled record on one printable page (timeline, history, SLA timers), which is put on the
trail as viewed (the access log)."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import FormView, TemplateView

from itsm import evidence
from itsm.exceptions import DomainError
from itsm.forms import add_error_to_form
from itsm.views.mixins import RoleRequiredMixin

from .. import sampling, selectors
from ..forms import SampleForm
from ..selectors import AUDIT_READERS

LISTED = 50


class SampleListView(RoleRequiredMixin, FormView):
    template_name = "audits/samples.html"
    form_class = SampleForm
    read_roles = write_roles = AUDIT_READERS
    auditors_may_write = True  # drawing a sample changes nothing that was recorded

    def get_initial(self):
        # "Draw again": the form filled in with a sample's parameters and seed.
        again = self.request.GET.get("again", "")
        if not again.isdigit():
            return {}
        sample = selectors.sample_get_for_user(self.request.user, int(again))
        return {"source": sample.source, "start": timezone.localdate(sample.period_start), "size": sample.size,
                "end": timezone.localdate(sample.period_end) - timedelta(days=1), "seed": sample.seed,
                "priorities": sample.priorities, "customers": sample.customers, "services": sample.services}

    def get_context_data(self, **kwargs):
        labels = {source.key: source.label for source in evidence.sources()}
        samples = list(selectors.sample_list(self.request.user)[:LISTED])
        for sample in samples:
            sample.source_label = labels.get(sample.source, sample.source)
        kwargs["samples"] = samples
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        start, end = form.period()
        customers, services = form.scope()
        data = form.cleaned_data
        try:
            sample = sampling.sample_draw(actor=self.request.user, source_key=data["source"], period_start=start,
                                          period_end=end, size=data["size"], seed=data["seed"],
                                          priorities=data["priorities"], customers=customers, services=services)
        except (ValidationError, DomainError) as exc:
            add_error_to_form(form, exc)
            return self.form_invalid(form)
        return redirect("audit_sample_detail", pk=sample.pk)


class SampleDetailView(RoleRequiredMixin, TemplateView):
    template_name = "audits/sample_detail.html"
    read_roles = AUDIT_READERS

    def get_context_data(self, **kwargs):
        sample = selectors.sample_get_for_user(self.request.user, self.kwargs["pk"])
        source = evidence.source(sample.source)
        kwargs.update(sample=sample, items=sample.items.all(), label=source.label if source else sample.source)
        return super().get_context_data(**kwargs)


class SampleItemView(RoleRequiredMixin, TemplateView):
    """One sampled record on one page that prints well; opening it is recorded in the trail."""

    template_name = "audits/sample_item.html"
    read_roles = AUDIT_READERS

    def get_context_data(self, **kwargs):
        item = selectors.sample_item_get_for_user(self.request.user, self.kwargs["pk"])
        sample = item.sample
        sampling.item_viewed(actor=self.request.user, item=item)
        kwargs.update(sample=sample, item=item, **selectors.record_dossier(item.content_type, item.object_id))
        return super().get_context_data(**kwargs)
