from rest_framework.pagination import PageNumberPagination


class StablePageNumberPagination(PageNumberPagination):
    """Page numbers over a total order (the ordering filter always ends with the primary key)."""

    page_size_query_param = "page_size"
    max_page_size = 500
