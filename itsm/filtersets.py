"""Filter vocabulary shared by the kernel's list pages and API."""

import django_filters
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import FilterSet as RestFilterSet

from .inputs import IdField, InstantField
from .models import Customer, Team


class InstantFilter(django_filters.IsoDateTimeFilter):
    """The date-time filter of every filterset (pages and API): an ISO 8601 instant, refused
    with a field message when its offset or range is out of bounds (itsm.inputs.InstantField)."""

    field_class = InstantField


class IdFilter(django_filters.NumberFilter):
    """The number filter of every filterset (ids, priorities): a whole number within a database
    integer's range, else a field error (itsm.inputs.IdField)."""

    field_class = IdField


class FilterSet(RestFilterSet):
    """Base of the filtersets the API builds from `filterset_fields`: date-time columns get
    InstantFilter, integer columns IdFilter. Declared filtersets use them for their date-time
    and number filters (tests/itsm/test_fuzz_inputs.py checks every filterset)."""

    FILTER_DEFAULTS = {
        **RestFilterSet.FILTER_DEFAULTS,
        models.DateTimeField: {"filter_class": InstantFilter},
        **{column: {"filter_class": IdFilter} for column in (
            models.AutoField, models.BigAutoField, models.SmallAutoField, models.IntegerField,
            models.BigIntegerField, models.SmallIntegerField, models.PositiveIntegerField,
            models.PositiveBigIntegerField, models.PositiveSmallIntegerField)},
    }


class CustomerFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = Customer
        fields = ["is_active", "code"]

    def search(self, queryset, name, value):
        return queryset.filter(name__icontains=value) | queryset.filter(code__icontains=value)


class TeamFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Search"))
    member = IdFilter(field_name="members", label=_("Member (user id)"))

    class Meta:
        model = Team
        fields = ["is_active", "lead"]
