from django.conf import settings

from .navigation import menu_for


def shell(request):
    user = getattr(request, "user", None)
    return {
        "main_menu": menu_for(user) if user is not None and user.is_authenticated else [],
        "debug_mode": settings.DEBUG,
    }
