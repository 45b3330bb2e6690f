"""JSON parser that refuses bodies above DATA_UPLOAD_MAX_MEMORY_SIZE.

DRF reads the request stream directly, which bypasses Django's own size check on `body`.
"""

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        if limit and declared > limit:
            raise ParseError(f"Request body too large: at most {limit} bytes are accepted.")
        return super().parse(stream, media_type, parser_context)
