"""Customers: staff read them, administrators create and change them."""

import copy

from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView

from .. import selectors, services
from ..exports import Column
from ..filtersets import CustomerFilterSet
from ..forms import CustomerForm
from ..permissions import ADMIN_ROLES
from .lists import FilteredListView
from .mixins import RoleRequiredMixin, ServiceFormView


class CustomerListView(FilteredListView):
    template_name = "itsm/customers/list.html"
    results_template_name = "itsm/customers/_results.html"
    filterset_class = CustomerFilterSet
    filter_fields = ("q", "is_active")
    sort_fields = {"name": "name", "code": "code", "updated": "updated_at"}
    default_sort = "name"
    write_roles = ADMIN_ROLES
    export_name = "customers"
    export_columns = [
        Column(_("Code"), "code"),
        Column(_("Name"), "name"),
        Column(_("Contact email"), "email"),
        Column(_("Active"), "is_active"),
        Column(_("Updated"), "updated_at"),
    ]

    def get_base_queryset(self):
        return selectors.customer_list(self.request.user)


class CustomerDetailView(RoleRequiredMixin, DetailView):
    template_name = "itsm/customers/detail.html"
    context_object_name = "customer"
    write_roles = ADMIN_ROLES

    def get_queryset(self):
        return selectors.customer_list(self.request.user)


class CustomerFormView(ServiceFormView):
    template_name = "itsm/customers/form.html"
    form_class = CustomerForm
    read_roles = write_roles = ADMIN_ROLES
    success_url_name = "customer_detail"
    customer = None

    def get_form_kwargs(self):
        # The form writes the input onto its instance; the page keeps showing the saved record.
        return {**super().get_form_kwargs(), "instance": copy.copy(self.customer)}

    def get_context_data(self, **kwargs):
        return super().get_context_data(customer=self.customer, **kwargs)


class CustomerCreateView(CustomerFormView):
    success_message = _("Customer “%(object)s” created.")

    def perform(self, form):
        return services.customer_create(actor=self.request.user, data=form.service_data())


class CustomerUpdateView(CustomerFormView):
    success_message = _("Customer “%(object)s” saved.")

    @cached_property
    def customer(self):
        return get_object_or_404(selectors.customer_list(self.request.user), pk=self.kwargs["pk"])

    def perform(self, form):
        return services.customer_update(
            actor=self.request.user, customer=self.customer, data=form.service_data(),
            expected_version=form.cleaned_data["version"],
        )
