"""The signed-in person's own settings: language, time zone, API tokens."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import FormView

from .. import selectors, services
from ..forms import PreferencesForm, TokenCreateForm, add_error_to_form
from ..permissions import ALL_ROLES
from .mixins import RoleRequiredMixin


def remember_language(response, language: str):
    """Activate `language` now and keep it in the cookie, which also serves after sign-out."""
    translation.activate(language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


class PreferencesView(RoleRequiredMixin, FormView):
    template_name = "itsm/preferences.html"
    form_class = PreferencesForm
    own_account = True  # everyone signed in, with a role or not; auditors too (not a record)

    def get_initial(self):
        return {"language": self.request.user.language, "time_zone": self.request.user.time_zone}

    def form_valid(self, form):
        user = self.request.user
        try:
            user = services.user_preferences_update(actor=user, user=user, **form.cleaned_data)
        except ValidationError as exc:
            add_error_to_form(form, exc)
            return self.form_invalid(form)
        response = remember_language(redirect("preferences"), user.language)
        messages.success(self.request, _("Your preferences are saved."))
        return response


class LanguageSwitchView(View):
    """The navbar's language menu. Signed-in people keep the choice in their preferences."""

    http_method_names = ["post"]

    def post(self, request):
        language = request.POST.get("language", "")
        if language not in dict(settings.LANGUAGES):
            return redirect(self.next_url())
        user = request.user
        if user.is_authenticated:
            services.user_preferences_update(actor=user, user=user, language=language, time_zone=user.time_zone)
        return remember_language(redirect(self.next_url()), language)

    def next_url(self) -> str:
        url = self.request.POST.get("next", "")
        safe = url_has_allowed_host_and_scheme(
            url, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        )
        return url if safe else reverse("home")


@method_decorator(never_cache, name="dispatch")
class TokenListView(RoleRequiredMixin, FormView):
    """Own tokens, and a form for a new one whose secret is shown once, in the POST's answer.

    The secret is never stored (only its digest), put in a URL, a message or the session.
    """

    template_name = "itsm/tokens.html"
    form_class = TokenCreateForm
    read_roles = write_roles = ALL_ROLES

    def form_valid(self, form):
        user = self.request.user
        try:
            token, secret = services.token_create(actor=user, user=user, **form.cleaned_data)
        except ValidationError as exc:
            add_error_to_form(form, exc)
            return self.form_invalid(form)
        return self.render_to_response(
            self.get_context_data(form=self.form_class(), new_token=token, secret=secret)
        )

    def get_context_data(self, **kwargs):
        kwargs["tokens"] = selectors.token_list_for(self.request.user)
        return super().get_context_data(**kwargs)


class TokenRevokeView(RoleRequiredMixin, View):
    http_method_names = ["post"]
    read_roles = write_roles = ALL_ROLES

    def post(self, request, pk):
        token = get_object_or_404(selectors.token_list_for(request.user), pk=pk)
        services.token_revoke(actor=request.user, token=token)
        messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
        return redirect("tokens")
