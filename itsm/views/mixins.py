"""Access and form handling shared by every browser view of every app."""

from django.contrib import messages
from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import FormView

from ..exceptions import DomainError, NotPermitted
from ..forms import add_error_to_form
from ..permissions import STAFF_ROLES, is_read_only, may

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class RoleRequiredMixin(AccessMixin):
    """Roles per method, as on the API: `read_roles` for safe methods, `write_roles` for the rest.

    Anonymous people are sent to sign in; signed-in people without the role get 403, and so do
    auditors on any unsafe method. A view that changes only the person's own settings (language,
    password) sets `auditors_may_write`. `NotPermitted` from a service also becomes 403.
    """

    read_roles: tuple[str, ...] = STAFF_ROLES
    write_roles: tuple[str, ...] = ()
    auditors_may_write = False
    # A page about the person's own account (password, preferences): everyone signed in may
    # read and write it, with a role or without one, auditors included.
    own_account = False

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not self.has_access(request.user, request.method):
            raise PermissionDenied
        try:
            return super().dispatch(request, *args, **kwargs)
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc

    def has_access(self, user, method: str) -> bool:
        if self.own_account:
            return user.is_authenticated
        if method in SAFE_METHODS:
            return may(user, self.read_roles)
        return self.may_write(user)

    def may_write(self, user) -> bool:
        if self.own_account:
            return user.is_authenticated
        if is_read_only(user) and not self.auditors_may_write:
            return False
        return may(user, self.write_roles)

    def get_context_data(self, **kwargs):
        # Templates show create/edit buttons only to people whose click would be accepted.
        kwargs.setdefault("can_write", self.may_write(self.request.user))
        return super().get_context_data(**kwargs)


class ServiceFormView(RoleRequiredMixin, FormView):
    """A form whose valid input goes to one service call (`perform`), never to `form.save()`.

    Refusals (ValidationError, DomainError such as StaleRecord) come back as form errors with
    the input kept (`add_error_to_form`).
    """

    success_message = ""
    success_url_name = ""  # a URL taking the saved object's pk

    def perform(self, form):
        """Call the service; return the saved object."""
        raise NotImplementedError(f"{type(self).__name__} must define perform(form) (abstract hook)")

    def form_valid(self, form):
        try:
            self.object = self.perform(form)
        except (ValidationError, DomainError) as exc:
            add_error_to_form(form, exc)
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message % {"object": self.object})
        return redirect(self.get_success_url())

    def get_success_url(self):
        return reverse(self.success_url_name, args=[self.object.pk])
