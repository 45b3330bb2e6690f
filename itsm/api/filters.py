"""Filtering and ordering that accept only declared names, and always give a total order."""

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from ..filtersets import FilterSet

# Query parameters every list endpoint understands besides its filters.
COMMON_PARAMS = {"page", "page_size", "ordering", "format"}


class StrictFilterBackend(DjangoFilterBackend):
    """Refuse query parameters that are neither a declared filter nor a common parameter,
    so a typo or a probe such as `?created_by__password__startswith=` is an error,
    not a silently ignored (or worse, honoured) filter."""

    filterset_base = FilterSet  # `filterset_fields`: the kernel's InstantFilter and IdFilter

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        filters = set(filterset_class.base_filters) if filterset_class is not None else set()
        if getattr(view, "action", None) == "list" or request.method == "GET":
            allowed = COMMON_PARAMS | filters | set(getattr(view, "extra_query_params", ()))
            unknown = sorted(set(request.query_params) - allowed)
            if unknown:
                raise ValidationError({name: [_("Unknown query parameter.")] for name in unknown})
        if getattr(view, "action", None) != "list" and not filters & set(request.query_params):
            # One record's URL (a detail, an action) without a filter: a FilterSet (a deep copy
            # of every filter and its form, about a third of an incident detail's CPU) would
            # narrow nothing.
            return queryset
        return super().filter_queryset(request, queryset, view)


class StrictOrderingFilter(OrderingFilter):
    """`?ordering=` accepts only the view's declared `ordering_fields`; the primary key is
    always appended so that pages never overlap or skip rows."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            requested = [term.strip() for term in params.split(",") if term.strip()]
            allowed = set(getattr(view, "ordering_fields", ()) or ())
            if "__all__" in allowed:
                raise ValueError("ordering_fields='__all__' is not allowed: declare the fields")
            invalid = [term for term in requested if term.lstrip("-") not in allowed]
            if invalid:
                raise ValidationError({self.ordering_param: [
                    _("Unknown ordering field: %(fields)s. Allowed: %(allowed)s.")
                    % {"fields": ", ".join(invalid), "allowed": ", ".join(sorted(allowed))}
                ]})
            ordering = requested
        else:
            ordering = list(self.get_default_ordering(view) or queryset.query.order_by or ())
        if not any(term.lstrip("-") in ("pk", "id") for term in ordering):
            ordering.append("-pk" if ordering and ordering[0].startswith("-") else "pk")
        return ordering
