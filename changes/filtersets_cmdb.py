"""Filters of the unauthorised-changes report and its API (one vocabulary for both)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from config_items.models import ConfigurationItem
from itsm.filtersets import IdFilter, InstantFilter

from .choices import ExceptionState
from .models import UnauthorisedChange


class UnauthorisedFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    state = django_filters.MultipleChoiceFilter(choices=ExceptionState.choices, label=_("State"), distinct=False)
    ci = django_filters.ModelChoiceFilter(queryset=ConfigurationItem.objects.all(), label=_("CI"))
    change = IdFilter(field_name="change_id", label=_("Linked change (change id)"))
    changed_after = InstantFilter(field_name="changed_at", lookup_expr="gte", label=_("Changed from"))
    changed_before = InstantFilter(field_name="changed_at", lookup_expr="lt", label=_("Changed before"))

    class Meta:
        model = UnauthorisedChange
        fields = []

    def search(self, queryset, name, value):
        """By the CI's number (exactly, any case) or name."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(ci__number=value.upper()) | Q(ci__name__icontains=value))
