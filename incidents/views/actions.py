"""The actions of the incident page (POST): on success back to the page, on refusal the page
again with the form, its errors and the input kept; and the attachments' download."""


from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.generic import View

from itsm.attachments import attachment_response
from itsm.exceptions import DomainError, TransitionNotAllowed, messages_of
from itsm.models import Attachment
from itsm.permissions import STAFF_ROLES
from itsm.views.mixins import RoleRequiredMixin
from itsm.views.record_actions import AttachActionMixin, CommentActionMixin, RecordActionMixin

from .. import selectors, services
from ..forms import (
    AssignForm,
    AttachmentForm,
    CommentForm,
    CommunicationForm,
    MajorForm,
    TransitionForm,
)
from ..models import Incident
from ..workflow import CALLERS
from .common import posted_version
from .detail import IncidentDetailView


class IncidentActionView(RecordActionMixin, IncidentDetailView):
    """A POST from the incident page (itsm.views.record_actions)."""

    detail_url_name = "incident_detail"

    @property
    def record(self):
        return self.incident


class IncidentTransitionView(IncidentActionView):
    def post(self, request, pk):
        incident = self.incident
        name = request.POST.get("transition", "")
        try:
            step = incident.workflow.get(name)
        except TransitionNotAllowed as exc:
            messages.error(request, exc.message)
            return self.done()
        form = TransitionForm(request.POST, step=step)
        panel, form_name = f"transition-{step.name}", f"transition_{step.name}"
        if not form.is_valid():
            return self.render_page(status=400, open_panel=panel, **{form_name: form})
        try:
            incident = services.incident_transition(
                actor=request.user, incident=incident, name=name, data=form.step_data(),
                reason=form.cleaned_data.get("reason", ""), expected_version=form.cleaned_data.get("version"))
        except TransitionNotAllowed as exc:
            messages.error(request, exc.message)
            return self.done()
        except (ValidationError, DomainError) as exc:
            return self.refuse(form, exc, panel, form_name)
        return self.done(_("%(number)s is now %(state)s.") % {
            "number": incident.number, "state": incident.get_state_display()})


class IncidentAssignView(IncidentActionView):
    def post(self, request, pk):
        form = AssignForm(request.POST)
        if not form.is_valid():
            return self.render_page(status=400, open_panel="assign", assign_form=form)
        try:
            incident = services.incident_assign(
                actor=request.user, incident=self.incident, group=form.cleaned_data["assignment_group"],
                assignee=form.cleaned_data.get("assignee"), expected_version=form.cleaned_data.get("version"))
        except (ValidationError, DomainError) as exc:
            return self.refuse(form, exc, "assign", "assign_form")
        who = " / ".join(str(x) for x in (incident.assignment_group, incident.assignee) if x)
        return self.done(_("%(number)s assigned to %(who)s.") % {"number": incident.number, "who": who})


class IncidentAssignToMeView(IncidentActionView):
    def post(self, request, pk):
        try:
            incident = services.incident_assign_to_me(actor=request.user, incident=self.incident,
                                                      expected_version=posted_version(request))
        except (ValidationError, DomainError) as exc:
            messages.error(request, " ".join(messages_of(exc, field_names=False)))
            return self.done()
        return self.done(_("%(number)s is yours now.") % {"number": incident.number})


class IncidentCommentView(CommentActionMixin, IncidentActionView):
    comment_form_class = CommentForm

    def comment(self, body, internal):
        return services.incident_comment(actor=self.request.user, incident=self.incident, body=body,
                                         internal=internal)


class IncidentAttachView(AttachActionMixin, IncidentActionView):
    attachment_form_class = AttachmentForm

    def attach(self, upload):
        return services.incident_attach(actor=self.request.user, incident=self.incident, upload=upload)


class IncidentMajorView(IncidentActionView):
    """Promote to major incident (with the reason), or end the major status."""

    def post(self, request, pk):
        form = MajorForm(request.POST)
        demote = request.POST.get("action") == "demote"
        if not form.is_valid():
            return self.render_page(status=400, open_panel="major", major_form=form)
        service = services.incident_demote_major if demote else services.incident_promote_major
        try:
            incident = service(actor=request.user, incident=self.incident, reason=form.cleaned_data["reason"],
                               expected_version=form.cleaned_data.get("version"))
        except (ValidationError, DomainError) as exc:
            return self.refuse(form, exc, "major", "major_form")
        if demote:
            return self.done(_("%(number)s is no longer a major incident.") % {"number": incident.number})
        return self.done(_("%(number)s is a major incident.") % {"number": incident.number})


class IncidentCommunicateView(IncidentActionView):
    def post(self, request, pk):
        if not self.incident.is_major:
            # The service refuses it too; said here first because the page of an incident that is
            # not major has no communication panel to show a form error on.
            messages.error(request, _("Communications are for major incidents."))
            return self.done()
        form = CommunicationForm(request.POST)
        if not form.is_valid():
            return self.render_page(status=400, open_panel="communication", communication_form=form)
        try:
            services.incident_communicate(actor=request.user, incident=self.incident,
                                          body=form.cleaned_data["body"], audience=form.cleaned_data["audience"])
        except (ValidationError, DomainError) as exc:
            return self.refuse(form, exc, "communication", "communication_form")
        return self.done(_("Communication recorded."))


class AttachmentDownloadView(RoleRequiredMixin, View):
    """An incident's attachment, for whoever may see the incident (the portal's callers too)."""

    read_roles = (*STAFF_ROLES, *CALLERS)

    def get(self, request, pk):
        attachment = get_object_or_404(Attachment, pk=pk,
                                       content_type=ContentType.objects.get_for_model(Incident))
        selectors.incident_get_for_user(request.user, attachment.object_id, details=False)
        return attachment_response(attachment)
