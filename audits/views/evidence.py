"""Evidence bundles: ask for one (period, scope), follow its progress (the row polls itself with
htmx while the worker builds), download it when ready."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView, View

from itsm.exceptions import DomainError, messages_of
from itsm.forms import add_error_to_form
from itsm.views.mixins import RoleRequiredMixin

from .. import bundles, selectors
from ..evidence import keys
from ..forms import BundleForm
from ..selectors import AUDIT_READERS

LISTED = 50


class BundleListView(RoleRequiredMixin, FormView):
    """The form and the latest bundles; the installation's public key to note."""

    template_name = "audits/evidence.html"
    form_class = BundleForm
    read_roles = write_roles = AUDIT_READERS
    auditors_may_write = True  # asking for evidence changes nothing that was recorded

    def get_context_data(self, **kwargs):
        kwargs.update(bundles=selectors.bundle_list(self.request.user)[:LISTED],
                      public_key=keys.public_key_text(), fingerprint=keys.fingerprint())
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        start, end = form.period()
        customers, services = form.scope()
        try:
            bundle = bundles.bundle_request(actor=self.request.user, period_start=start, period_end=end,
                                            processes=form.cleaned_data["processes"], customers=customers,
                                            services=services, include_files=form.cleaned_data["include_files"])
        except (ValidationError, DomainError) as exc:
            add_error_to_form(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Bundle EVB%(pk)s is being built.") % {"pk": bundle.pk})
        return redirect("audit_evidence_list")


class BundleProgressView(RoleRequiredMixin, TemplateView):
    """One bundle's row (htmx): it keeps polling while the bundle is queued or building."""

    template_name = "audits/_bundle_row.html"
    read_roles = AUDIT_READERS

    def get_context_data(self, **kwargs):
        kwargs["bundle"] = selectors.bundle_get_for_user(self.request.user, self.kwargs["pk"])
        return super().get_context_data(**kwargs)


class BundleDownloadView(RoleRequiredMixin, View):
    read_roles = AUDIT_READERS

    def get(self, request, pk):
        bundle = selectors.bundle_get_for_user(request.user, pk)
        try:
            stream = bundles.bundle_download(actor=request.user, bundle=bundle)
        except DomainError as exc:
            messages.error(request, " ".join(messages_of(exc, field_names=False)))
            return redirect("audit_evidence_list")
        return FileResponse(stream, as_attachment=True, filename=bundle.file_name, content_type="application/zip")
