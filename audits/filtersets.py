"""One filter vocabulary for the trail page and the API: user, record type, record, period."""

import django_filters
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from itsm.filtersets import IdFilter, InstantFilter

from .models import AuditEntry


def _record_types(request):
    # The types that can appear: every model of the project's apps (a few dozen rows).
    return ContentType.objects.order_by("app_label", "model")


class AuditEntryFilterSet(django_filters.FilterSet):
    user = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.all(), label=_("User"))
    record_type = django_filters.ModelChoiceFilter(field_name="content_type", queryset=_record_types,
                                                   label=_("Record type"))
    record = IdFilter(field_name="object_id", label=_("Record id"))
    label = django_filters.CharFilter(field_name="label", lookup_expr="iexact", label=_("Record number"))
    action = django_filters.CharFilter(field_name="action", label=_("Action"))
    after = InstantFilter(field_name="occurred_at", lookup_expr="gte", label=_("From"))
    before = InstantFilter(field_name="occurred_at", lookup_expr="lt", label=_("Until"))

    class Meta:
        model = AuditEntry
        fields = []
