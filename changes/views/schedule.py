"""Schedule pages: blackout and maintenance windows (/changes/settings/windows/: staff read,
administrators write), scheduling a change with an override reason for its conflicts, re-checking
its conflicts, and the conflicts panel of the change page. Writes go through
changes.services.windows, .states and .conflicts."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import TemplateView, View

from itsm.exceptions import DomainError, TransitionNotAllowed, messages_of
from itsm.forms import add_error_to_form
from itsm.permissions import ADMIN_ROLES, STAFF_ROLES, permitted
from itsm.views.mixins import RoleRequiredMixin, ServiceFormView

from .. import selectors
from ..calendar import window_get_for_user, window_list
from ..choices import SCHEDULING_STATES, WindowKind
from ..forms_schedule import ScheduleForm, WindowForm
from ..models import Change, ScheduleWindow
from ..services.collisions import window_occurrences
from ..services.conflicts import conflicts_override, conflicts_preview, conflicts_recheck, current_conflicts
from ..services.states import change_transition
from ..services.windows import window_create, window_update
from ..workflow import CHANGE_MANAGERS, CHANGE_WORKERS
from .panels import Panel, register

SCHEDULE_STEPS = ("schedule", "schedule_standard")
UPCOMING = 10  # occurrences shown on a window's page
AHEAD = timedelta(days=366)
KIND_TABS = ((WindowKind.BLACKOUT, gettext_lazy("Blackout windows")),
             (WindowKind.MAINTENANCE, gettext_lazy("Maintenance windows")))


class WindowSettingsMixin(RoleRequiredMixin):
    read_roles = STAFF_ROLES
    write_roles = ADMIN_ROLES


def next_occurrence(window: ScheduleWindow, now=None):
    now = now or timezone.now()
    found = window_occurrences(window, now, now + AHEAD, limit=1)
    return found[0] if found else None


class WindowListView(WindowSettingsMixin, TemplateView):
    template_name = "changes/schedule/window_list.html"

    def get_context_data(self, **kwargs):
        kind = self.request.GET.get("kind", "")
        windows = window_list(self.request.user).order_by("kind", "name", "pk")
        if kind in WindowKind.values:
            windows = windows.filter(kind=kind)
        now = timezone.now()
        kwargs.update(windows=[(w, next_occurrence(w, now) if w.is_active else None) for w in windows],
                      kind=kind, kinds=KIND_TABS)
        return super().get_context_data(**kwargs)


class WindowDetailView(WindowSettingsMixin, TemplateView):
    template_name = "changes/schedule/window_detail.html"

    def get_context_data(self, **kwargs):
        window = window_get_for_user(self.request.user, self.kwargs["pk"])
        now = timezone.now()
        upcoming = window_occurrences(window, now, now + AHEAD, limit=UPCOMING)
        kwargs.update(window=window, upcoming=upcoming,
                      history=window.history.select_related("history_user").order_by("-history_date")[:20])
        return super().get_context_data(**kwargs)


class WindowCreateView(WindowSettingsMixin, ServiceFormView):
    template_name = "changes/schedule/window_form.html"
    form_class = WindowForm
    read_roles = ADMIN_ROLES
    success_message = gettext_lazy("Window “%(object)s” created.")
    success_url_name = "change_window_detail"

    def get_initial(self):
        kind = self.request.GET.get("kind")
        return {"kind": kind} if kind in WindowKind.values else {}

    def perform(self, form):
        return window_create(actor=self.request.user, data=form.service_data())


class WindowUpdateView(WindowSettingsMixin, ServiceFormView):
    template_name = "changes/schedule/window_form.html"
    form_class = WindowForm
    read_roles = ADMIN_ROLES
    success_message = gettext_lazy("Window “%(object)s” saved.")
    success_url_name = "change_window_detail"

    @cached_property
    def window(self) -> ScheduleWindow:
        return window_get_for_user(self.request.user, self.kwargs["pk"])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "window": self.window}

    def perform(self, form):
        return window_update(actor=self.request.user, window=self.window, data=form.service_data(),
                             expected_version=form.cleaned_data["version"])

    def get_context_data(self, **kwargs):
        kwargs["window"] = self.window
        return super().get_context_data(**kwargs)


# --- scheduling a change, its conflicts -----------------------------------------------------------

def schedule_step(change: Change, user):
    """The scheduling step `user` may take on `change` now, or None."""
    return next((step for step in change.workflow.available(change, user) if step.name in SCHEDULE_STEPS), None)


def _initial_window(change: Change) -> dict:
    zone = timezone.get_current_timezone()
    return {name: getattr(change, name).astimezone(zone).replace(tzinfo=None)
            for name in ("planned_start", "planned_end") if getattr(change, name)}


class ChangeScheduleView(RoleRequiredMixin, TemplateView):
    """Schedule a change (GET: the form; POST: the step). A refusal shows the conflicts the window
    would have as form errors, with the override reason box."""

    template_name = "changes/schedule/schedule.html"
    read_roles = CHANGE_WORKERS
    write_roles = CHANGE_WORKERS

    @cached_property
    def change(self) -> Change:
        return selectors.change_get_for_user(self.request.user, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        change = self.change
        form = kwargs.get("form") or ScheduleForm(initial=_initial_window(change))
        given = getattr(form, "cleaned_data", {})  # the window asked for, else the change's own
        start, end = (given.get(name, getattr(change, name)) for name in ("planned_start", "planned_end"))
        kwargs.update(change=change, form=form, step=schedule_step(change, self.request.user),
                      preview=conflicts_preview(change, planned_start=start, planned_end=end))
        return super().get_context_data(**kwargs)

    def post(self, request, pk):
        form = ScheduleForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        step = schedule_step(self.change, request.user)
        if step is None:
            form.add_error(None, _("%(number)s cannot be scheduled by you now (it is %(state)s).") % {
                "number": self.change.number, "state": self.change.get_state_display()})
            return self.render_to_response(self.get_context_data(form=form), status=400)
        data = {name: form.cleaned_data[name] for name in ("planned_start", "planned_end")}
        try:
            change = change_transition(actor=request.user, change=self.change, name=step.name, data=data,
                                       override_reason=form.cleaned_data["override_reason"].strip())
        except (ValidationError, DomainError) as exc:
            if isinstance(exc, TransitionNotAllowed):
                form.add_error(None, exc.message)
            else:
                add_error_to_form(form, exc)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, _("%(number)s is scheduled.") % {"number": change.number})
        return redirect(reverse("change_detail", args=[change.pk]) + "#conflicts")


class ConflictsRecheckView(RoleRequiredMixin, View):
    """Check the change's conflicts again now; back to the change page with what was found."""

    read_roles = ()
    write_roles = CHANGE_WORKERS

    def post(self, request, pk):
        change = selectors.change_get_for_user(request.user, pk)
        current = conflicts_recheck(change, actor=request.user)
        if current:
            messages.warning(request, ngettext("One conflict found.", "%(count)d conflicts found.", len(current))
                             % {"count": len(current)})
        else:
            messages.success(request, _("No conflicts found."))
        return redirect(reverse("change_detail", args=[change.pk]) + "#conflicts")


class ConflictsOverrideView(RoleRequiredMixin, View):
    """Override the conflicts found since the change was scheduled; back to its conflicts."""

    read_roles = ()
    write_roles = CHANGE_MANAGERS

    def post(self, request, pk):
        change = selectors.change_get_for_user(request.user, pk)
        try:
            conflicts_override(change, actor=request.user, reason=request.POST.get("reason", ""))
        except ValidationError as exc:
            messages.error(request, " ".join(messages_of(exc, field_names=False)))
        else:
            messages.success(request, _("The conflicts of %(number)s are overridden.") % {"number": change.number})
        return redirect(reverse("change_detail", args=[change.pk]) + "#conflicts")


def conflicts_panel(change: Change, request):
    """The change page's conflicts card: shown once the change has a window or conflicts."""
    conflicts = list(current_conflicts(change))
    step = schedule_step(change, request.user)
    if not conflicts and change.planned_start is None and step is None:
        return None
    user = request.user
    waiting = any(c.needs_override and c.overridden_at is None for c in conflicts)
    return {
        "conflicts": conflicts,
        "may_override": waiting and step is None and permitted(user, CHANGE_MANAGERS),
        "checked": change.state in SCHEDULING_STATES,
        "schedule_form": ScheduleForm(initial=_initial_window(change)) if step else None,
        "schedule_step": step,
        "may_recheck": permitted(user, CHANGE_WORKERS) and change.planned_start is not None,
    }


register(Panel("conflicts", "changes/schedule/conflicts_panel.html", conflicts_panel, order=40))


def register_menu() -> None:
    """Blackout and maintenance windows in the Settings menu (administrators and change managers)."""
    from itsm.choices import Role
    from itsm.navigation import SETTINGS, MenuItem
    from itsm.navigation import register as register_item

    register_item(MenuItem(gettext_lazy("Change windows"), "change_window_list", icon="calendar-event", order=975,
                           roles=(*ADMIN_ROLES, Role.CHANGE_MANAGER), group=SETTINGS))


urlpatterns = [
    path("settings/windows/", WindowListView.as_view(), name="change_window_list"),
    path("settings/windows/new/", WindowCreateView.as_view(), name="change_window_create"),
    path("settings/windows/<int:pk>/", WindowDetailView.as_view(), name="change_window_detail"),
    path("settings/windows/<int:pk>/edit/", WindowUpdateView.as_view(), name="change_window_update"),
    path("schedule/<int:pk>/", ChangeScheduleView.as_view(), name="change_schedule"),
    path("schedule/<int:pk>/recheck/", ConflictsRecheckView.as_view(), name="change_conflicts_recheck"),
    path("schedule/<int:pk>/override/", ConflictsOverrideView.as_view(), name="change_conflicts_override"),
]
