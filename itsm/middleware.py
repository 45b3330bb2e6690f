"""Per-user language and time zone for signed-in people; query parameters without NUL characters."""

import zoneinfo

from django.http import QueryDict
from django.utils import timezone, translation


class UserPreferencesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


class QueryTextMiddleware:
    """Every query parameter without NUL characters (itsm.inputs): no column can store one, so
    a filter, search or autocomplete query holding it could only fail in the database
    (PostgreSQL refuses the statement). A search for such text finds what it would without
    them; a value that was only NULs is empty. (A query string cannot carry lone surrogates:
    Django decodes it with replacement characters.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            # Re-encoded, a NUL is "%00" and nothing else is ("%" itself is "%25").
            request.GET = QueryDict(request.GET.urlencode().replace("%00", ""))
        return self.get_response(request)
