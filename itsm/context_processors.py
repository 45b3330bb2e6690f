from django.conf import settings

from .navigation import menu_for
from .search import may_search


def shell(request):
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    match = getattr(request, "resolver_match", None)
    return {
        "main_menu": menu_for(user) if signed_in else [],
        "search_enabled": signed_in and may_search(user),
        # The header's box keeps the text on the results page.
        "search_text": request.GET.get("q", "") if match and match.url_name == "search" else "",
        "debug_mode": settings.DEBUG,
    }
