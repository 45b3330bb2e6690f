from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from ..pagination import CappedPaginator


class StablePageNumberPagination(PageNumberPagination):
    """Page numbers over a total order (the ordering filter always ends with the primary key).

    The total is counted up to itsm.pagination.CAP rows: past it, `count` is that cap and
    `count_exact` is false (there are more), and `next` leads on as long as rows follow.
    """

    page_size_query_param = "page_size"
    max_page_size = 500
    django_paginator_class = CappedPaginator

    def get_page_size(self, request):
        """`page_size`: a whole number from 1 (more than max_page_size gives max_page_size);
        anything else is refused (400) rather than silently replaced by the default."""
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        try:
            size = int(value.strip())
        except ValueError:
            size = 0
        if size < 1:
            raise ValidationError({self.page_size_query_param: [
                _("Enter a whole number from 1 to %(max)s.") % {"max": self.max_page_size}]})
        return min(size, self.max_page_size)

    def get_paginated_response(self, data):
        paginator = self.page.paginator
        return Response({
            "count": min(paginator.count, paginator.cap),
            "count_exact": paginator.exact,
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            "results": data,
        })

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        properties = schema["properties"]
        properties["count"]["description"] = (
            "Matching rows, counted up to 10,000; when count_exact is false there are more.")
        schema["properties"] = {"count": properties["count"], "count_exact": {
            "type": "boolean", "example": True,
            "description": "False when the list holds more rows than count says (counting stops at 10,000)."},
            **{k: v for k, v in properties.items() if k != "count"}}
        schema["required"] = [*schema.get("required", []), "count_exact"]
        return schema
