"""One filter vocabulary for the CMDB list pages and the API."""

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from itsm.filtersets import IdFilter
from itsm.models import Customer, Team

from .choices import CatalogueStatus, CIStatus, Environment
from .models import CIType, ConfigurationItem, Relationship, RelationshipType


class CIFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    ci_type = django_filters.ModelChoiceFilter(queryset=CIType.objects.all(), to_field_name="slug", label=_("Type"))
    status = django_filters.MultipleChoiceFilter(choices=CIStatus.choices, label=_("Status"), distinct=False)
    environment = django_filters.ChoiceFilter(choices=Environment.choices, label=_("Environment"))
    owner_team = django_filters.ModelChoiceFilter(queryset=Team.objects.all(), label=_("Owner team"))
    customer = django_filters.ModelChoiceFilter(queryset=Customer.objects.all(), field_name="customers",
                                                label=_("Customer"))
    service = IdFilter(method="related_to_service", label=_("Related to service (CI id)"))
    is_service = django_filters.BooleanFilter(field_name="ci_type__is_service", label=_("Is a service"))
    catalogue_status = django_filters.ChoiceFilter(choices=CatalogueStatus.choices, label=_("Catalogue status"))
    source = django_filters.CharFilter(label=_("Source"))
    external_id = django_filters.CharFilter(label=_("External ID"))

    class Meta:
        model = ConfigurationItem
        fields = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(name__icontains=value))

    def related_to_service(self, queryset, name, value):
        """CIs directly linked to the service, in either direction (kept simple on purpose:
        `impact()` answers the transitive question)."""
        linked = Relationship.objects.filter(
            Q(source_id=value, target_id=OuterRef("pk")) | Q(target_id=value, source_id=OuterRef("pk"))
        )
        return queryset.filter(Exists(linked))


class RelationshipFilterSet(django_filters.FilterSet):
    source = IdFilter(field_name="source_id", label=_("Source (CI id)"))
    target = IdFilter(field_name="target_id", label=_("Target (CI id)"))
    type = django_filters.ModelChoiceFilter(queryset=RelationshipType.objects.all(), to_field_name="slug",
                                            label=_("Type"))
    ci = IdFilter(method="either_end", label=_("CI at either end (CI id)"))

    class Meta:
        model = Relationship
        fields = []

    def either_end(self, queryset, name, value):
        return queryset.filter(Q(source_id=value) | Q(target_id=value))
