"""Sign-in throttling answer (django-axes calls `lockout_response`)."""

from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_response(request, credentials=None, *args, **kwargs):
    # The same answer whether or not the account exists, so it reveals nothing.
    return render(
        request, "registration/locked_out.html",
        {"message": _("Too many failed sign-in attempts. Wait a few minutes and try again.")},
        status=429,
    )
