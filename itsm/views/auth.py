"""Sign in, sign out, password change, and the answer to throttled sign-ins."""

from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from ..forms import SignInForm, StyledPasswordChangeForm
from .mixins import RoleRequiredMixin


class SignInView(auth_views.LoginView):
    # Django rotates the session key at sign-in (no session fixation).
    form_class = SignInForm
    redirect_authenticated_user = True


class PasswordChangeView(RoleRequiredMixin, auth_views.PasswordChangeView):
    own_account = True  # everyone signed in, with a role or not; auditors too (not a record)
    form_class = StyledPasswordChangeForm
    success_url = reverse_lazy("password_change_done")


class PasswordChangeDoneView(RoleRequiredMixin, auth_views.PasswordChangeDoneView):
    own_account = True


def lockout_response(request, credentials=None, *args, **kwargs):
    # The same answer whether or not the account exists, so it reveals nothing.
    return render(
        request, "registration/locked_out.html",
        {"message": _("Too many failed sign-in attempts. Wait a few minutes and try again.")},
        status=429,
    )
