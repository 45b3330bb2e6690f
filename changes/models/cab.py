"""The change advisory board: a recurring board with members, its meetings, their agendas and the
decisions minuted per change (a meeting's decision is the board's approval of the change)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from itsm.models import Team, Versioned

from ..choices import AgendaDecision, MeetingState
from .change import Change


class CabBoard(Versioned):
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("members"), blank=True,
                                     related_name="cab_boards")
    chair = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("chair"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    # When it meets: the first meeting and an RRULE in `time_zone` (blank: meetings are set one by one).
    first_meeting = models.DateTimeField(_("first meeting"), null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), default=60)
    rrule = models.CharField(_("recurrence (RRULE)"), max_length=500, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    location = models.CharField(_("location"), max_length=200, blank=True)
    is_emergency = models.BooleanField(_("emergency CAB"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords(m2m_fields=[members])

    class Meta:
        ordering = ["name"]
        verbose_name = _("change advisory board")
        verbose_name_plural = _("change advisory boards")

    def __str__(self) -> str:
        return self.name


class CabMeeting(Versioned):
    board = models.ForeignKey(CabBoard, verbose_name=_("board"), on_delete=models.PROTECT, related_name="meetings")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    state = models.CharField(_("state"), max_length=20, choices=MeetingState.choices, default=MeetingState.PLANNED)
    # The period whose changes (awaiting authorisation, or scheduled in it) make the agenda.
    period_start = models.DateTimeField(_("changes from"))
    period_end = models.DateTimeField(_("changes until"))
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("attendees"), blank=True,
                                       related_name="+")
    minutes = models.TextField(_("minutes"), blank=True)
    held_at = models.DateTimeField(_("held"), null=True, blank=True)

    history = HistoricalRecords(m2m_fields=[attendees])

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("CAB meeting")
        verbose_name_plural = _("CAB meetings")
        constraints = [models.UniqueConstraint(fields=["board", "starts_at"], name="cabmeeting_one_per_start")]
        indexes = [models.Index(fields=["starts_at"], name="cabmeeting_starts")]

    def __str__(self) -> str:
        return f"{self.board} {self.starts_at:%Y-%m-%d %H:%M}"


class CabAgendaItem(models.Model):
    meeting = models.ForeignKey(CabMeeting, verbose_name=_("meeting"), on_delete=models.CASCADE,
                                related_name="items")
    change = models.ForeignKey(Change, verbose_name=_("change"), on_delete=models.PROTECT, related_name="cab_items")
    position = models.PositiveIntegerField(_("position"), default=0)
    decision = models.CharField(_("decision"), max_length=20, choices=AgendaDecision.choices, blank=True)
    notes = models.TextField(_("minutes of this change"), blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    history = HistoricalRecords()

    class Meta:
        ordering = ["meeting", "position", "id"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        constraints = [models.UniqueConstraint(fields=["meeting", "change"], name="cabitem_once_per_meeting")]

    def __str__(self) -> str:
        return f"{self.meeting_id}: {self.change_id}"
