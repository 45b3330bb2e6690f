"""Incident data: categories, the priority matrix, incidents, saved queue filters.

An incident is changed only through `incidents.services`; the state through its workflow.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from itsm.history import RecordHistory
from itsm.models import Customer, Team, Versioned
from itsm.records import Record

from .choices import OPEN_STATES, Channel, Impact, IncidentState, OnHoldReason, Priority, ResolutionCode, Urgency
from .workflow import INCIDENT_WORKFLOW


class Category(models.Model):
    """An incident category; a category with a parent is a subcategory (two levels)."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent category"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="subcategories",
    )
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name"),
            models.UniqueConstraint(fields=["name"], condition=Q(parent__isnull=True),
                                    name="category_unique_top_name"),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name

    def clean(self):
        if self.parent_id and self.parent.parent_id:
            raise ValidationError({"parent": _("Subcategories cannot have subcategories.")})


class PriorityRule(models.Model):
    """One cell of the impact × urgency matrix."""

    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)

    history = HistoricalRecords()

    class Meta:
        ordering = ["impact", "urgency"]
        verbose_name = _("priority rule")
        verbose_name_plural = _("priority matrix")
        constraints = [models.UniqueConstraint(fields=["impact", "urgency"], name="priority_rule_unique")]

    def __str__(self) -> str:
        return f"{self.impact}×{self.urgency} → P{self.priority}"


class AssignmentRule(Versioned):
    """Which assignment group an incident logged without one goes to, by its service and/or
    category (incidents.assignment.default_group_for: the most specific active rule wins)."""

    name = models.CharField(_("name"), max_length=100)
    service = models.ForeignKey(
        "config_items.ConfigurationItem", verbose_name=_("service"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
        help_text=_("Empty: any service."),
    )
    category = models.ForeignKey(Category, verbose_name=_("category or subcategory"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+", help_text=_("Empty: any category."))
    assignment_group = models.ForeignKey(Team, verbose_name=_("assignment group"), on_delete=models.PROTECT,
                                         related_name="+")
    order = models.PositiveSmallIntegerField(
        _("order"), default=100,
        help_text=_("Among equally specific rules, the lowest order wins."))
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "name", "id"]
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")

    def __str__(self) -> str:
        return self.name


class IncidentQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state__in=OPEN_STATES)


OPEN = Q(state__in=[s.value for s in OPEN_STATES])


class Incident(Record):
    NUMBER_PREFIX = "INC"

    short_description = models.CharField(_("short description"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # The caller is usually a user; an outside caller is named by the contact fields alone.
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("caller"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="called_incidents", db_index=False,  # inc_caller_state leads with it
    )
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=50, blank=True)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+", db_index=False)  # inc_customer_state
    service = models.ForeignKey(
        "config_items.ConfigurationItem", verbose_name=_("affected service"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="service_incidents", db_index=False,  # inc_service_state
    )
    cis = models.ManyToManyField("config_items.ConfigurationItem", verbose_name=_("affected CIs"), blank=True,
                                 related_name="incidents")
    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    subcategory = models.ForeignKey(Category, verbose_name=_("subcategory"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices, default=Impact.LOW)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices, default=Urgency.LOW)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.P5)
    assignment_group = models.ForeignKey(Team, verbose_name=_("assignment group"), null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="assigned_incidents", db_index=False,  # inc_assignee_state leads with it
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.PHONE)
    state = models.CharField(_("state"), max_length=20, choices=IncidentState.choices, default=IncidentState.NEW)
    on_hold_reason = models.CharField(_("on-hold reason"), max_length=30, choices=OnHoldReason.choices,
                                      blank=True)
    resolution_code = models.CharField(_("resolution code"), max_length=30, choices=ResolutionCode.choices,
                                       blank=True)
    resolution_notes = models.TextField(_("resolution notes"), blank=True)
    opened_at = models.DateTimeField(_("opened"))
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    reopen_count = models.PositiveIntegerField(_("reopen count"), default=0)
    reassignment_count = models.PositiveIntegerField(_("reassignment count"), default=0)
    parent = models.ForeignKey("self", verbose_name=_("parent incident"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    is_major = models.BooleanField(_("major incident"), default=False)
    major_reason = models.TextField(_("major incident reason"), blank=True)
    # Monitoring: alerts with the same key while the incident is open join it (see services).
    correlation_key = models.CharField(_("correlation key"), max_length=200, blank=True)
    alert_count = models.PositiveIntegerField(_("alerts"), default=0)
    # Historical import: the number the incident had in the tool it came from.
    external_id = models.CharField(_("external ID"), max_length=100, blank=True)

    history = RecordHistory(m2m_fields=[cis])
    workflow = INCIDENT_WORKFLOW
    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        constraints = [
            # One open incident per correlation key: concurrent alerts cannot both create one.
            models.UniqueConstraint(
                fields=["correlation_key"], name="incident_open_correlation_key",
                condition=OPEN & ~Q(correlation_key=""),
            ),
            models.UniqueConstraint(fields=["external_id"], condition=~Q(external_id=""),
                                    name="incident_unique_external_id"),
        ]
        # A foreign key that leads one of these has no index of its own (db_index=False): one index
        # fewer to write per row and for the planner to weigh in every query (30 were too many).
        indexes = [
            # Queues sort by priority, then the oldest first; the API by the newest first. Each
            # default view below is one index range read in its sort order (bench/results.md).
            models.Index(fields=["state", "assignment_group", "priority", "opened_at", "id"], name="inc_state_group"),
            models.Index(fields=["state", "assignment_group", "opened_at", "id"], name="inc_state_group_opened"),
            models.Index(fields=["priority", "opened_at", "id"], name="inc_open_queue", condition=OPEN),
            models.Index(fields=["assignee", "priority", "opened_at", "id"], name="inc_open_assignee", condition=OPEN),
            models.Index(fields=["assignment_group", "priority", "opened_at", "id"], name="inc_open_unassigned",
                         condition=OPEN & Q(assignee__isnull=True)),
            # The triage queue (open, no group): its rows and its tab's count on every queue page.
            models.Index(fields=["priority", "opened_at", "id"], name="inc_open_no_group",
                         condition=OPEN & Q(assignment_group__isnull=True)),
            models.Index(fields=["assignee", "state", "priority"], name="inc_assignee_state"),
            models.Index(fields=["state", "priority", "opened_at"], name="inc_state_priority"),
            models.Index(fields=["state", "opened_at"], name="inc_state_opened"),
            models.Index(fields=["opened_at"], name="inc_opened"),
            models.Index(fields=["caller", "state"], name="inc_caller_state"),
            models.Index(fields=["is_major", "state"], name="inc_major_state"),
            models.Index(fields=["state", "resolved_at"], name="inc_state_resolved"),
            models.Index(fields=["service", "state"], name="inc_service_state"),
            models.Index(fields=["customer", "state"], name="inc_customer_state"),
            models.Index(fields=["updated_at"], name="inc_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.short_description}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def state_colour(self) -> str:
        return IncidentState(self.state).colour

    @property
    def priority_colour(self) -> str:
        return Priority(self.priority).colour

    @property
    def caller_display(self) -> str:
        return str(self.caller) if self.caller_id else self.contact_name


class SavedFilter(models.Model):
    """A person's named filter of a list page (its query string): the incident queue's, and the
    lists of later apps, each under its own `list_name` (problems: "problems")."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE,
                              related_name="incident_filters")
    list_name = models.CharField(_("list"), max_length=30, default="incidents")
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("filter"), max_length=1000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        constraints = [models.UniqueConstraint(fields=["owner", "list_name", "name"], name="saved_filter_unique_name")]

    def __str__(self) -> str:
        return self.name
