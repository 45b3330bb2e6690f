"""Filter vocabulary shared by the kernel's list pages and API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from .models import Customer, Team


class CustomerFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = Customer
        fields = ["is_active", "code"]

    def search(self, queryset, name, value):
        return queryset.filter(name__icontains=value) | queryset.filter(code__icontains=value)


class TeamFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Search"))
    member = django_filters.NumberFilter(field_name="members", label=_("Member (user id)"))

    class Meta:
        model = Team
        fields = ["is_active", "lead"]
