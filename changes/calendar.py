"""Reads of the change calendar (forward schedule of change): the changes whose planned window
meets a range, the blackout and maintenance windows expanded over it, and each person's
iCalendar feed behind a signed URL.

Staff read the calendar (auditors included); requesters see nothing. A range read is two
queries whatever it holds: the changes (range on the chg_window index, filters as EXISTS on the
m2m tables) and the active windows.

The feed (`feed_key`, `feed_user`, `feed_ical`): a calendar application cannot sign in, so the
URL carries a key signed with FEED_SALT naming the person and a digest of their password hash:
changing the password ends every feed URL given out before. The feed holds the person's own
changes (requested or implemented, any state but cancelled) and every change of their teams in
SCHEDULING_STATES, with a planned window from FEED_PAST before now to FEED_AHEAD after it.
"""

from datetime import datetime, timedelta

from django.core import signing
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from icalendar import Calendar, Event

from itsm.models import User

from .choices import SCHEDULING_STATES, ChangeModel, ChangeState, RiskLevel, WindowKind
from .models import Change, ScheduleWindow
from .selectors import may_read_changes
from .services.collisions import window_occurrences

CIS, SERVICES, IMPACTED = Change.cis.through, Change.services.through, Change.impacted_services.through
MAX_RANGE = timedelta(days=100)  # a month view asks for six weeks; a list view for a month
MAX_CHANGES = 20_000  # a range holding more is cut (the page says so)
WINDOW_OCCURRENCES = 400  # of one window in one range (an hourly window over 100 days: 2,400)
FEED_SALT = "changes.calendar.feed"
FEED_PAST, FEED_AHEAD, FEED_LIMIT = timedelta(days=30), timedelta(days=365), 2000
ROW = ("pk", "number", "short_description", "state", "risk", "change_model", "planned_start", "planned_end")


def window_list(user):
    """The blackout and maintenance windows `user` may read (staff), with their service or CI."""
    if not may_read_changes(user):
        return ScheduleWindow.objects.none()
    return ScheduleWindow.objects.select_related("service", "ci")


def window_get_for_user(user, pk) -> ScheduleWindow:
    try:
        return window_list(user).get(pk=pk)
    except (ScheduleWindow.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def calendar_changes(user, start: datetime, end: datetime, *, service=None, group=None, ci=None):
    """Changes (not cancelled) whose planned window meets [start, end), earliest first, as ROW
    tuples; `service` (affected or impacted), `group` (assignment group) and `ci` are ids."""
    if not may_read_changes(user):
        return Change.objects.none().values_list(*ROW)
    changes = Change.objects.filter(planned_start__lt=end, planned_end__gt=start).exclude(
        state=ChangeState.CANCELLED)
    if group is not None:
        changes = changes.filter(assignment_group_id=group)
    if service is not None:
        changes = changes.filter(
            Exists(SERVICES.objects.filter(change_id=OuterRef("pk"), configurationitem_id=service))
            | Exists(IMPACTED.objects.filter(change_id=OuterRef("pk"), configurationitem_id=service)))
    if ci is not None:
        changes = changes.filter(Exists(CIS.objects.filter(change_id=OuterRef("pk"), configurationitem_id=ci)))
    return changes.order_by("planned_start", "pk").values_list(*ROW)


def calendar_windows(user, start: datetime, end: datetime, *, service=None, ci=None) -> list[dict]:
    """The active windows' occurrences meeting [start, end): every window without a filter; with
    one, the global blackouts and the windows of that service or CI. One query."""
    if not may_read_changes(user):
        return []
    windows = ScheduleWindow.objects.filter(is_active=True).select_related("service", "ci").order_by("kind", "name")
    if service is not None or ci is not None:
        place = Q(kind=WindowKind.BLACKOUT, service__isnull=True)
        if service is not None:
            place |= Q(service_id=service)
        if ci is not None:
            place |= Q(ci_id=ci)
        windows = windows.filter(place)
    shown = []
    for window in windows:
        item = window.service or window.ci
        place = item.name if item else ""
        for begins, ends in window_occurrences(window, start, end, limit=WINDOW_OCCURRENCES):
            shown.append({"window": window, "place": place, "start": begins, "end": ends})
    return shown


CHANGE_COLUMNS = ("id", "number", "short_description", "state", "risk", "change_model", "start", "end")
WINDOW_COLUMNS = ("id", "name", "kind", "place", "start", "end")


def _ms(instant: datetime) -> int:
    """Milliseconds since the epoch (FullCalendar reads them as instants): written far faster
    than ISO 8601 text for a month of changes (bench/change_calendar.py)."""
    return int(instant.timestamp() * 1000)


def calendar_labels() -> dict:
    """The words of the codes the rows carry (state, risk, model, window kind), once per response."""
    return {"state": {s.value: str(s.label) for s in ChangeState}, "risk": {r.value: str(r.label) for r in RiskLevel},
            "model": {m.value: str(m.label) for m in ChangeModel},
            "kind": {k.value: str(k.label) for k in WindowKind}}


def calendar_events(user, start: datetime, end: datetime, *, service=None, group=None, ci=None) -> dict:
    """The calendar's data for [start, end): rows, not objects, so that a month of 10^4 changes is
    read, written and sent in a fraction of the time (static/js/changes-calendar.js makes the
    FullCalendar events: a change coloured by its state and risk, a window as a background event):

    {"changes": [[CHANGE_COLUMNS...], ...], "windows": [[WINDOW_COLUMNS...], ...],
     "columns": {"changes": CHANGE_COLUMNS, "windows": WINDOW_COLUMNS}, "labels": calendar_labels(),
     "change_url": "/changes/{id}/", "truncated": more changes than MAX_CHANGES}

    Instants are milliseconds since the epoch; risk is "" when not assessed."""
    rows = list(calendar_changes(user, start, end, service=service, group=group, ci=ci)[:MAX_CHANGES + 1])
    changes = [(pk, number, title, state, risk, model, _ms(begins), _ms(ends))
               for pk, number, title, state, risk, model, begins, ends in rows[:MAX_CHANGES]]
    windows = [(item["window"].pk, item["window"].name, item["window"].kind, item["place"], _ms(item["start"]),
                _ms(item["end"])) for item in calendar_windows(user, start, end, service=service, ci=ci)]
    return {"changes": changes, "windows": windows, "columns": {"changes": CHANGE_COLUMNS, "windows": WINDOW_COLUMNS},
            "labels": calendar_labels(), "change_url": reverse("change_detail", args=[0]).replace("/0/", "/{id}/"),
            "truncated": len(rows) > MAX_CHANGES}


# --- the iCalendar feed ---------------------------------------------------------------------------

def _password_mark(user) -> str:
    return salted_hmac(FEED_SALT, user.password or "").hexdigest()[:16]


def feed_key(user) -> str:
    """The signed key of `user`'s feed URL (stable until their password changes)."""
    return signing.dumps({"u": user.pk, "p": _password_mark(user)}, salt=FEED_SALT)


def feed_user(key: str):
    """The person a feed key names, or None: a bad or outdated signature, an inactive or expired
    account, or someone who may no longer read changes."""
    try:
        value = signing.loads(key or "", salt=FEED_SALT)
        user = User.objects.get(pk=int(value["u"]), is_active=True)
    except (signing.BadSignature, User.DoesNotExist, KeyError, TypeError, ValueError):
        return None
    if value.get("p") != _password_mark(user) or user.access_expired or not may_read_changes(user):
        return None
    return user


def feed_changes(user, now: datetime | None = None):
    """The changes of `user`'s feed (see the module's docstring), earliest first, at most FEED_LIMIT."""
    now = now or timezone.now()
    own = (Q(requester=user) | Q(implementer=user)) & ~Q(state=ChangeState.CANCELLED)
    teams = Q(assignment_group__in=user.teams.values("pk"), state__in=[s.value for s in SCHEDULING_STATES])
    return (Change.objects.filter(own | teams, planned_end__gt=now - FEED_PAST, planned_start__lt=now + FEED_AHEAD)
            .order_by("planned_start", "pk")[:FEED_LIMIT])


def feed_ical(user, *, base_url: str) -> bytes:
    """`user`'s feed as an iCalendar file; `base_url` ("https://itsm.example.com") makes the links."""
    calendar = Calendar()
    calendar.add("prodid", "-//ITSM//Change calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Changes — {user.get_full_name() or user.get_username()}")
    stamp = timezone.now()
    for change in feed_changes(user):
        event = Event()
        event.add("uid", f"{change.number}@changes.itsm")
        event.add("summary", f"{change.number} {change.short_description}")
        event.add("dtstart", change.planned_start)
        event.add("dtend", change.planned_end)
        event.add("dtstamp", stamp)
        event.add("last-modified", change.updated_at)
        event.add("sequence", change.version)
        confirmed = change.state in (ChangeState.SCHEDULED, ChangeState.IMPLEMENTATION)
        event.add("status", "CONFIRMED" if confirmed else "TENTATIVE")
        url = f"{base_url}{reverse('change_detail', args=[change.pk])}"
        event.add("url", url)
        event.add("description", f"{change.get_state_display()} · {change.get_change_model_display()}"
                                 f"{' · ' + change.get_risk_display() if change.risk else ''}\n{url}")
        calendar.add_component(event)
    return calendar.to_ical()
