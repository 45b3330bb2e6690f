"""CI types and relationship types: administrators define them."""

import copy

from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, ListView

from itsm.permissions import ADMIN_ROLES
from itsm.views.mixins import ServiceFormView

from .. import services
from ..forms import CITypeForm, RelationshipTypeForm
from ..models import CIType, RelationshipType
from .common import CMDBMixin


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
