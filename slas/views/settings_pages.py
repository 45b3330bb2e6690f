"""SLA settings (/slas/settings/): calendars, agreements and their targets.

Staff read them (auditors too, without buttons); administrators change them, always through
slas.services. Requesters get 403.
"""

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import TemplateView, View

from itsm.exceptions import DomainError
from itsm.forms import add_error_to_form
from itsm.permissions import ADMIN_ROLES, STAFF_ROLES
from itsm.views.mixins import RoleRequiredMixin, ServiceFormView

from .. import selectors, services
from ..choices import WEEKDAYS
from ..forms import (
    WEEKDAY_LABELS,
    AgreementForm,
    CalendarDayForm,
    CalendarForm,
    IcsImportForm,
    RecomputeForm,
    TargetForm,
    format_escalations,
    format_hours,
)
from ..models import Agreement, Calendar, CalendarDay, CalendarVersion, Target


class SettingsMixin(RoleRequiredMixin):
    read_roles = STAFF_ROLES
    write_roles = ADMIN_ROLES


# --- calendars ----------------------------------------------------------------------------------

class CalendarListView(SettingsMixin, TemplateView):
    template_name = "slas/settings/calendar_list.html"

    def get_context_data(self, **kwargs):
        calendars = list(selectors.calendar_list(self.request.user).order_by("name"))
        latest = {}
        for calendar_id, number in (CalendarVersion.objects.filter(calendar__in=calendars)
                                    .values_list("calendar_id", "number")):
            latest[calendar_id] = max(latest.get(calendar_id, 0), number)
        kwargs["calendars"] = [(calendar, latest.get(calendar.pk)) for calendar in calendars]
        return super().get_context_data(**kwargs)


def week_grid(weekly_hours: dict) -> list[dict]:
    """One row per weekday: its label, its hours as text, and 48 half-hour cells (worked or
    not) drawn as a table (no inline styles under the strict CSP)."""
    rows = []
    for day in WEEKDAYS:
        minutes = [(int(start[:2]) * 60 + int(start[3:]), int(end[:2]) * 60 + int(end[3:]))
                   for start, end in weekly_hours.get(day, [])]
        cells = [any(first < slot * 30 + 30 and slot * 30 < last for first, last in minutes) for slot in range(48)]
        rows.append({"label": WEEKDAY_LABELS[day], "hours": format_hours(weekly_hours.get(day, [])),
                     "cells": cells})
    return rows


class CalendarDetailView(SettingsMixin, TemplateView):
    template_name = "slas/settings/calendar_detail.html"

    @cached_property
    def calendar(self) -> Calendar:
        return selectors.calendar_get_for_user(self.request.user, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        calendar = self.calendar
        versions = list(calendar.versions.select_related("created_by").order_by("-number"))
        today = timezone.localdate()
        horizon = today + timedelta(days=366)
        own = list(calendar.days.order_by("date"))
        own_dates = {day.date.isoformat() for day in own}
        holidays = []
        if versions:
            closed = versions[0].definition.get("closed", {})
            if isinstance(closed, dict):
                items = closed.items()
            else:
                items = ((day, "") for day in closed)
            holidays = sorted((date.fromisoformat(day), name) for day, name in items
                              if today.isoformat() <= day <= horizon.isoformat() and day not in own_dates)
        kwargs.update(
            calendar=calendar, week=week_grid(calendar.weekly_hours), hour_marks=range(0, 24, 3),
            holidays=holidays, own_days=own,
            holiday_years=(versions[0].definition.get("years") or []) if versions and calendar.country else [],
            estimated_years=(versions[0].definition.get("estimated") or []) if versions and calendar.country else [],
            versions=versions, current=versions[0] if versions else None,
            day_form=kwargs.get("day_form") or CalendarDayForm(),
            import_form=kwargs.get("import_form") or IcsImportForm(),
            recompute_form=RecomputeForm(), stale_timers=services.outdated_timers(calendar=calendar).count(),
        )
        return super().get_context_data(**kwargs)


class CalendarCreateView(SettingsMixin, ServiceFormView):
    template_name = "slas/settings/calendar_form.html"
    form_class = CalendarForm
    read_roles = ADMIN_ROLES
    success_message = gettext_lazy("Calendar “%(object)s” created.")
    success_url_name = "sla_calendar_detail"

    def perform(self, form):
        return services.calendar_create(actor=self.request.user, data=form.service_data())


class CalendarUpdateView(SettingsMixin, ServiceFormView):
    template_name = "slas/settings/calendar_form.html"
    form_class = CalendarForm
    read_roles = ADMIN_ROLES
    success_message = gettext_lazy("Calendar “%(object)s” saved.")
    success_url_name = "sla_calendar_detail"

    @cached_property
    def calendar(self) -> Calendar:
        return selectors.calendar_get_for_user(self.request.user, self.kwargs["pk"])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "calendar": self.calendar}

    def perform(self, form):
        return services.calendar_update(actor=self.request.user, calendar=self.calendar, data=form.service_data(),
                                        expected_version=form.cleaned_data["version"])

    def get_context_data(self, **kwargs):
        kwargs["calendar"] = self.calendar
        return super().get_context_data(**kwargs)


class CalendarDayAddView(SettingsMixin, View):
    def post(self, request, pk):
        calendar = selectors.calendar_get_for_user(request.user, pk)
        form = CalendarDayForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                day = services.calendar_day_set(actor=request.user, calendar=calendar, date=data["date"],
                                                kind=data["kind"], name=data["name"], hours=data["hours"])
            except ValidationError as exc:
                add_error_to_form(form, exc)
            else:
                messages.success(request, _("%(date)s saved: %(kind)s.") % {
                    "date": day.date, "kind": day.get_kind_display()})
                return redirect("sla_calendar_detail", pk=calendar.pk)
        view = CalendarDetailView(request=request, kwargs={"pk": pk}, args=())
        return view.render_to_response(view.get_context_data(day_form=form), status=400)


class CalendarDayDeleteView(SettingsMixin, View):
    def post(self, request, pk):
        day = get_object_or_404(CalendarDay.objects.filter(calendar__in=selectors.calendar_list(request.user)),
                                pk=pk)
        calendar_id, when = day.calendar_id, day.date
        services.calendar_day_delete(actor=request.user, day=day)
        messages.success(request, _("%(date)s follows the usual hours again.") % {"date": when})
        return redirect("sla_calendar_detail", pk=calendar_id)


class CalendarImportView(SettingsMixin, View):
    def post(self, request, pk):
        calendar = selectors.calendar_get_for_user(request.user, pk)
        form = IcsImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                count = services.calendar_import_ics(actor=request.user, calendar=calendar,
                                                     content=form.cleaned_data["file"].read())
            except ValidationError as exc:
                add_error_to_form(form, exc)
            else:
                messages.success(request, ngettext("%(count)s closed day imported.",
                                                   "%(count)s closed days imported.", count) % {"count": count})
                return redirect("sla_calendar_detail", pk=calendar.pk)
        view = CalendarDetailView(request=request, kwargs={"pk": pk}, args=())
        return view.render_to_response(view.get_context_data(import_form=form), status=400)


class RecomputeMixin(SettingsMixin, View):
    def recompute(self, request, back, **scope):
        form = RecomputeForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Say why the timers are recomputed."))
            return redirect(back)
        count = services.timers_recompute_outdated(actor=request.user, reason=form.cleaned_data["reason"], **scope)
        messages.success(request, ngettext("%(count)s running timer recomputed.",
                                           "%(count)s running timers recomputed.", count) % {"count": count})
        return redirect(back)


class CalendarRecomputeView(RecomputeMixin):
    def post(self, request, pk):
        calendar = selectors.calendar_get_for_user(request.user, pk)
        return self.recompute(request, reverse("sla_calendar_detail", args=[pk]), calendar=calendar)


# --- agreements and targets -----------------------------------------------------------------------

class AgreementListView(SettingsMixin, TemplateView):
    template_name = "slas/settings/agreement_list.html"

    def get_context_data(self, **kwargs):
        kwargs["agreements"] = selectors.agreement_list(self.request.user).order_by("name")
        return super().get_context_data(**kwargs)


class AgreementDetailView(SettingsMixin, TemplateView):
    template_name = "slas/settings/agreement_detail.html"

    @cached_property
    def agreement(self) -> Agreement:
        return selectors.agreement_get_for_user(self.request.user, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        targets = list(self.agreement.targets.filter(is_current=True).select_related("calendar", "service", "team")
                       .order_by("record_type", "kind", "metric", "name"))
        for target in targets:
            target.escalation_text = format_escalations(target.escalations)
        kwargs.update(agreement=self.agreement, targets=targets)
        return super().get_context_data(**kwargs)


class AgreementCreateView(SettingsMixin, ServiceFormView):
    template_name = "slas/settings/agreement_form.html"
    form_class = AgreementForm
    read_roles = ADMIN_ROLES
    success_message = gettext_lazy("Agreement “%(object)s” created.")
    success_url_name = "sla_agreement_detail"

    def perform(self, form):
        return services.agreement_create(actor=self.request.user, data=form.service_data())


class AgreementUpdateView(SettingsMixin, ServiceFormView):
    template_name = "slas/settings/agreement_form.html"
    form_class = AgreementForm
    read_roles = ADMIN_ROLES
    success_message = gettext_lazy("Agreement “%(object)s” saved.")
    success_url_name = "sla_agreement_detail"

    @cached_property
    def agreement(self) -> Agreement:
        return selectors.agreement_get_for_user(self.request.user, self.kwargs["pk"])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "agreement": self.agreement}

    def perform(self, form):
        return services.agreement_update(actor=self.request.user, agreement=self.agreement,
                                         data=form.service_data(), expected_version=form.cleaned_data["version"])

    def get_context_data(self, **kwargs):
        kwargs["agreement"] = self.agreement
        return super().get_context_data(**kwargs)


class TargetCreateView(SettingsMixin, ServiceFormView):
    template_name = "slas/settings/target_form.html"
    form_class = TargetForm
    read_roles = ADMIN_ROLES
    success_message = gettext_lazy("Target “%(object)s” created.")
    success_url_name = "sla_target_update"

    @cached_property
    def agreement(self) -> Agreement:
        return selectors.agreement_get_for_user(self.request.user, self.kwargs["pk"])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "agreement": self.agreement}

    def perform(self, form):
        return services.target_create(actor=self.request.user, data={**form.service_data(),
                                                                    "agreement": self.agreement})

    def get_success_url(self):
        return reverse("sla_agreement_detail", args=[self.agreement.pk])

    def get_context_data(self, **kwargs):
        kwargs["agreement"] = self.agreement
        return super().get_context_data(**kwargs)


class TargetUpdateView(SettingsMixin, ServiceFormView):
    """Staff may read a target's page (its versions); administrators save the next version."""

    template_name = "slas/settings/target_form.html"
    form_class = TargetForm
    success_message = gettext_lazy("Target saved as version %(version)s.")

    @cached_property
    def target(self) -> Target:
        return selectors.target_get_for_user(self.request.user, self.kwargs["pk"], current=True)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "agreement": self.target.agreement, "target": self.target}

    def perform(self, form):
        return services.target_update(actor=self.request.user, target=self.target, data=form.service_data())

    def form_valid(self, form):
        try:
            self.object = self.perform(form)
        except (ValidationError, DomainError) as exc:
            add_error_to_form(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message % {"version": self.object.version})
        return redirect("sla_target_update", pk=self.object.pk)

    def get_context_data(self, **kwargs):
        target = self.target
        kwargs.update(target=target, agreement=target.agreement,
                      versions=Target.objects.filter(lineage=target.lineage).select_related("created_by", "calendar",
                                                                                             "team")
                      .order_by("-version"),
                      recompute_form=RecomputeForm(), stale_timers=services.outdated_timers(target=target).count())
        return super().get_context_data(**kwargs)


class TargetRecomputeView(RecomputeMixin):
    def post(self, request, pk):
        target = selectors.target_get_for_user(request.user, pk)
        return self.recompute(request, reverse("sla_target_update", args=[pk]), target=target)


urlpatterns = [
    path("calendars/", CalendarListView.as_view(), name="sla_calendar_list"),
    path("calendars/new/", CalendarCreateView.as_view(), name="sla_calendar_create"),
    path("calendars/<int:pk>/", CalendarDetailView.as_view(), name="sla_calendar_detail"),
    path("calendars/<int:pk>/edit/", CalendarUpdateView.as_view(), name="sla_calendar_update"),
    path("calendars/<int:pk>/days/", CalendarDayAddView.as_view(), name="sla_calendar_day_create"),
    path("calendar-days/<int:pk>/delete/", CalendarDayDeleteView.as_view(), name="sla_calendar_day_delete"),
    path("calendars/<int:pk>/import/", CalendarImportView.as_view(), name="sla_calendar_import"),
    path("calendars/<int:pk>/recompute/", CalendarRecomputeView.as_view(), name="sla_calendar_recompute"),
    path("agreements/", AgreementListView.as_view(), name="sla_agreement_list"),
    path("agreements/new/", AgreementCreateView.as_view(), name="sla_agreement_create"),
    path("agreements/<int:pk>/", AgreementDetailView.as_view(), name="sla_agreement_detail"),
    path("agreements/<int:pk>/edit/", AgreementUpdateView.as_view(), name="sla_agreement_update"),
    path("agreements/<int:pk>/targets/new/", TargetCreateView.as_view(), name="sla_target_create"),
    path("targets/<int:pk>/", TargetUpdateView.as_view(), name="sla_target_update"),
    path("targets/<int:pk>/recompute/", TargetRecomputeView.as_view(), name="sla_target_recompute"),
]
