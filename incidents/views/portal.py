"""The self-service portal (/portal/): requesters report incidents and follow their own.

Only requesters use it; the service desk has its own pages (staff get 403 here). A requester
sees only the incidents they are the caller of: any other incident is "not found" (404),
through `incidents.selectors.incident_get_for_user` plus the caller check below (a person who
is both requester and staff still sees only their own incidents in the portal). Writes go
through `incidents.services`, which checks the caller again.
"""

from django import forms
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import ListView, TemplateView, View

from config_items.models import ConfigurationItem
from itsm.attachments import attachment_response
from itsm.choices import JournalKind, Role
from itsm.exceptions import DomainError, messages_of
from itsm.forms import StyledForm
from itsm.journal import journal_for
from itsm.models import Attachment
from itsm.views.mixins import RoleRequiredMixin, ServiceFormView

from .. import selectors, services
from ..choices import OPEN_STATES, IncidentState, Urgency
from ..models import Incident

PORTAL_ROLES = (Role.REQUESTER,)
PAGE_SIZE = 20
# The list's tabs: ?show=open (default), resolved (waiting for the requester), closed, all.
SHOWS = {
    "open": OPEN_STATES,
    "resolved": (IncidentState.RESOLVED,),
    "closed": (IncidentState.CLOSED, IncidentState.CANCELLED),
    "all": None,
}


def live_services():
    """The services a requester may report against: live in the service catalogue."""
    return ConfigurationItem.objects.offered().order_by("name", "pk")


def own_incidents(user):
    """The requester's own incidents (also for someone who is staff as well)."""
    return selectors.incident_list(user).filter(caller=user)


def portal_incident(user, pk) -> Incident:
    """The requester's incident `pk`; 404 when missing or someone else's."""
    incident = selectors.incident_get_for_user(user, pk)
    if incident.caller_id != user.pk:
        raise Http404
    return incident


class PortalMixin(RoleRequiredMixin):
    read_roles = PORTAL_ROLES
    write_roles = PORTAL_ROLES


def timeline(incident, user) -> list:
    """Public entries only, even for someone who also holds a staff role; states by label."""
    entries = list(journal_for(incident, user).filter(is_public=True))
    for entry in entries:
        if entry.kind == JournalKind.STATE_CHANGE:
            to = entry.data.get("to", "")
            entry.state_label = IncidentState(to).label if to in IncidentState.values else to
    return entries


class PortalIncidentMixin(PortalMixin):
    @cached_property
    def incident(self) -> Incident:
        return portal_incident(self.request.user, self.kwargs["pk"])

    def back(self, anchor: str = ""):
        return redirect(reverse("portal_incident_detail", args=[self.incident.pk]) + anchor)

    def refused(self, exc) -> None:
        messages.error(self.request, " ".join(messages_of(exc, field_names=False)))


# --- forms --------------------------------------------------------------------------------------

class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name  # requesters know services by name, not by CMDB number


class ReportForm(StyledForm):
    short_description = forms.CharField(
        label=gettext_lazy("What is wrong?"), max_length=200,
        help_text=gettext_lazy("One line, for example “I cannot print on the 3rd floor”."),
    )
    description = forms.CharField(
        label=gettext_lazy("Details"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("What did you try, since when, error messages you saw."),
    )
    service = ServiceChoiceField(
        label=gettext_lazy("Service"), queryset=ConfigurationItem.objects.none(), required=False,
        empty_label=gettext_lazy("I don't know"),
    )
    urgency = forms.TypedChoiceField(
        label=gettext_lazy("How urgent is it for you?"), choices=Urgency.choices, coerce=int,
        initial=Urgency.LOW,
    )
    contact_phone = forms.CharField(label=gettext_lazy("Phone number to reach you"), max_length=50,
                                    required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = live_services()
        self.fields["urgency"].choices = [
            (Urgency.HIGH, _("High: I cannot work")),
            (Urgency.MEDIUM, _("Medium: I can work, but slowly")),
            (Urgency.LOW, _("Low: it can wait")),
        ]


class CommentForm(StyledForm):
    body = forms.CharField(label=gettext_lazy("Add a comment"), widget=forms.Textarea(attrs={"rows": 3}))


class ReopenForm(StyledForm):
    reason = forms.CharField(label=gettext_lazy("Why is it not solved?"), widget=forms.Textarea(attrs={"rows": 3}))


class AttachForm(StyledForm):
    file = forms.FileField(label=gettext_lazy("Attach a file"))


# --- pages --------------------------------------------------------------------------------------

class PortalIncidentListView(PortalMixin, ListView):
    template_name = "incidents/portal/list.html"
    paginate_by = PAGE_SIZE
    context_object_name = "incidents"

    def show(self) -> str:
        show = self.request.GET.get("show", "open")
        return show if show in SHOWS else "open"

    def get_queryset(self):
        queryset = own_incidents(self.request.user)
        states = SHOWS[self.show()]
        if states is not None:
            queryset = queryset.filter(state__in=states)
        return queryset.order_by("-opened_at", "-pk")

    def get_context_data(self, **kwargs):
        kwargs.update(
            show=self.show(),
            tabs=[("open", _("Open")), ("resolved", _("Awaiting your confirmation")), ("closed", _("Closed")),
                  ("all", _("All"))],
            awaiting=own_incidents(self.request.user).filter(state=IncidentState.RESOLVED).count(),
        )
        return super().get_context_data(**kwargs)


class PortalIncidentCreateView(PortalMixin, ServiceFormView):
    template_name = "incidents/portal/create.html"
    form_class = ReportForm
    success_url_name = "portal_incident_detail"

    def perform(self, form):
        data = {key: value for key, value in form.cleaned_data.items() if value not in (None, "")}
        incident = services.incident_create(actor=self.request.user, data=data)
        messages.success(self.request, _("Thank you. Your incident %(number)s has been recorded; the service desk "
                                         "will be in touch.") % {"number": incident.number})
        return incident


class PortalIncidentDetailView(PortalIncidentMixin, TemplateView):
    template_name = "incidents/portal/detail.html"

    def get_context_data(self, **kwargs):
        incident, user = self.incident, self.request.user
        steps = {step.name for step in incident.workflow.available(incident, user)}
        can_write = self.may_write(user)
        kwargs.update(
            incident=incident,
            # Public entries only, even for someone who also holds a staff role.
            journal=timeline(incident, user),
            attachments=list(selectors.incident_attachments(incident)),
            can_comment=can_write and incident.state not in incident.workflow.final_states,
            can_confirm=can_write and "confirm" in steps,
            can_reopen=can_write and "reopen" in steps,
            comment_form=CommentForm(), reopen_form=ReopenForm(), attach_form=AttachForm(),
        )
        return super().get_context_data(**kwargs)


class PortalIncidentCommentView(PortalIncidentMixin, View):
    def post(self, request, pk):
        form = CommentForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Write something first."))
            return self.back("#comment")
        try:
            services.incident_comment(actor=request.user, incident=self.incident, body=form.cleaned_data["body"])
        except (ValidationError, DomainError) as exc:
            self.refused(exc)
        else:
            messages.success(request, _("Your comment has been added."))
        return self.back("#timeline")


class PortalIncidentConfirmView(PortalIncidentMixin, View):
    def post(self, request, pk):
        try:
            services.incident_transition(actor=request.user, incident=self.incident, name="confirm",
                                         reason=_("Resolution confirmed by the caller"))
        except (ValidationError, DomainError) as exc:
            self.refused(exc)
        else:
            messages.success(request, _("Thank you for confirming. The incident is closed."))
        return self.back()


class PortalIncidentReopenView(PortalIncidentMixin, View):
    def post(self, request, pk):
        form = ReopenForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Say why the problem is not solved, so the service desk can continue."))
            return self.back("#reopen")
        try:
            services.incident_transition(actor=request.user, incident=self.incident, name="reopen",
                                         reason=form.cleaned_data["reason"].strip())
        except (ValidationError, DomainError) as exc:
            self.refused(exc)
        else:
            messages.success(request, _("The incident has been reopened; the service desk will continue."))
        return self.back()


class PortalIncidentAttachView(PortalIncidentMixin, View):
    def post(self, request, pk):
        form = AttachForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, _("Choose a file first."))
            return self.back("#attachments")
        try:
            services.incident_attach(actor=request.user, incident=self.incident, upload=form.cleaned_data["file"])
        except (ValidationError, DomainError) as exc:
            self.refused(exc)
        else:
            messages.success(request, _("The file has been attached."))
        return self.back("#attachments")


class PortalAttachmentView(PortalMixin, View):
    """Download an attachment of one's own incident (`pk` is the attachment's)."""

    def get(self, request, pk):
        attachment = (Attachment.objects.filter(pk=pk, content_type=ContentType.objects.get_for_model(Incident))
                      .first() if str(pk).isdigit() else None)
        if attachment is None:
            raise Http404
        portal_incident(request.user, attachment.object_id)
        return attachment_response(attachment)


urlpatterns = [
    path("incidents/", PortalIncidentListView.as_view(), name="portal_incident_list"),
    path("incidents/new/", PortalIncidentCreateView.as_view(), name="portal_incident_create"),
    path("incidents/<int:pk>/", PortalIncidentDetailView.as_view(), name="portal_incident_detail"),
    path("incidents/<int:pk>/comment/", PortalIncidentCommentView.as_view(), name="portal_incident_comment"),
    path("incidents/<int:pk>/confirm/", PortalIncidentConfirmView.as_view(), name="portal_incident_confirm"),
    path("incidents/<int:pk>/reopen/", PortalIncidentReopenView.as_view(), name="portal_incident_reopen"),
    path("incidents/<int:pk>/attachments/", PortalIncidentAttachView.as_view(), name="portal_incident_attach"),
    path("attachments/<int:pk>/", PortalAttachmentView.as_view(), name="portal_attachment_download"),
]
