"""GET /api/v1/search/?q=: the header's global search for integrations and scripts (itsm.search).

The same answer as the browser's: a record number gives that record (when the caller may read
it), other text a few hits per record type the caller may read. Staff only, as in the browser.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import search
from ..permissions import STAFF_ROLES


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=200,
                              help_text="A record number (INC0001001) or text (three characters or more).")
    limit = serializers.IntegerField(min_value=1, max_value=20, default=search.HITS_PER_TYPE,
                                     help_text="Hits per record type.")


class SearchHitSerializer(serializers.Serializer):
    number = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField(help_text="The record's page in the browser.")
    detail = serializers.CharField()
    badge = serializers.CharField(help_text="Its state, as the browser shows it.")


class SearchGroupSerializer(serializers.Serializer):
    type = serializers.CharField(source="type.key")
    label = serializers.CharField(source="type.label")
    hits = SearchHitSerializer(many=True)
    more = serializers.BooleanField(help_text="More hits than `limit`: the list at `more_url` has them all.")
    more_url = serializers.CharField()


class SearchResultSerializer(serializers.Serializer):
    query = serializers.CharField()
    record = SearchHitSerializer(allow_null=True, help_text="The record a number names, if the caller may read it.")
    results = SearchGroupSerializer(many=True)


class SearchView(APIView):
    """Search every record type the caller may read: by number, or by text."""

    read_roles = STAFF_ROLES

    @extend_schema(parameters=[OpenApiParameter("q", str, required=True, description="A record number or text."),
                               OpenApiParameter("limit", int, description="Hits per record type (1-20, default 5).")],
                   responses=SearchResultSerializer)
    def get(self, request):
        query = SearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        text, limit = query.validated_data["q"].strip(), query.validated_data["limit"]
        record, _ = search.find_record(request.user, text)
        data = {"query": text, "record": record, "results": search.search(request.user, text, limit=limit)}
        return Response(SearchResultSerializer(data).data)
