"""The change calendar (forward schedule of change): the page (FullCalendar, month, week and
list views, filters by service, group and CI; its events come from the API's calendar/events/)
and each person's iCalendar feed at a signed URL (no sign-in: calendar applications cannot)."""

from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView, View

from itsm.permissions import STAFF_ROLES
from itsm.views.mixins import RoleRequiredMixin

from ..calendar import feed_ical, feed_key, feed_user
from ..choices import ChangeState, RiskLevel, WindowKind
from ..forms_schedule import CalendarFilterForm

VIEWS = ("dayGridMonth", "timeGridWeek", "listMonth")  # FullCalendar's names: month, week, list


class CalendarView(RoleRequiredMixin, TemplateView):
    template_name = "changes/calendar/calendar.html"
    read_roles = STAFF_ROLES

    def get_context_data(self, **kwargs):
        form = CalendarFilterForm(self.request.GET or None)
        query = form.query() if form.is_bound else {}
        events_url = reverse("api:changes:calendar-events")
        user = self.request.user
        feed = self.request.build_absolute_uri(reverse("change_calendar_feed") + "?" + urlencode(
            {"key": feed_key(user)}))
        view = self.request.GET.get("view", "")
        kwargs.update(form=form, events_url=events_url, filters=urlencode(query), feed_url=feed,
                      initial_view=view if view in VIEWS else VIEWS[0],
                      states=list(ChangeState), risks=list(RiskLevel), window_kinds=list(WindowKind))
        return super().get_context_data(**kwargs)


class CalendarFeedView(View):
    """GET ?key=<signed key>: the person's changes as text/calendar; 404 for any bad key."""

    def get(self, request):
        user = feed_user(request.GET.get("key", ""))
        if user is None:
            raise Http404
        body = feed_ical(user, base_url=f"{request.scheme}://{request.get_host()}")
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="changes.ics"'
        response["Cache-Control"] = "private, max-age=300"
        return response


def register_menu() -> None:
    """The change calendar in the Changes & releases menu, for every reader of changes."""
    from itsm.navigation import CHANGES, MenuItem
    from itsm.navigation import register as register_item

    register_item(MenuItem(_("Change calendar"), "change_calendar", icon="calendar", order=86, roles=STAFF_ROLES,
                           group=CHANGES))


urlpatterns = [
    path("calendar/", CalendarView.as_view(), name="change_calendar"),
    path("calendar/feed.ics", CalendarFeedView.as_view(), name="change_calendar_feed"),
]
