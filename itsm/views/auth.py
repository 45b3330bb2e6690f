"""Sign in, sign out, password change, and the answer to throttled sign-ins."""

from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from ..forms import SignInForm, StyledPasswordChangeForm
from ..permissions import ALL_ROLES
from .mixins import RoleRequiredMixin


class SignInView(auth_views.LoginView):
    # Django rotates the session key at sign-in (no session fixation).
    form_class = SignInForm
    redirect_authenticated_user = True


class PasswordChangeView(RoleRequiredMixin, auth_views.PasswordChangeView):
    read_roles = write_roles = ALL_ROLES
    auditors_may_write = True  # their own password, not a record
    form_class = StyledPasswordChangeForm
    success_url = reverse_lazy("password_change_done")


class PasswordChangeDoneView(RoleRequiredMixin, auth_views.PasswordChangeDoneView):
    read_roles = ALL_ROLES


def lockout_response(request, credentials=None, *args, **kwargs):
    # The same answer whether or not the account exists, so it reveals nothing.
    return render(
        request, "registration/locked_out.html",
        {"message": _("Too many failed sign-in attempts. Wait a few minutes and try again.")},
        status=429,
    )
