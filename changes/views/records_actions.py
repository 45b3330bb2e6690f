"""The actions of the change page (POST): on success back to the page with a message, on refusal
the page again with the form, its errors and the input kept; the attachments' download; the
problem and incident pickers of the link forms."""

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.generic import View

from incidents import selectors as incident_selectors
from itsm.attachments import attachment_response
from itsm.exceptions import DomainError, TransitionNotAllowed, messages_of
from itsm.inputs import is_row_id
from itsm.models import Attachment
from itsm.views.record_actions import AttachActionMixin, CommentActionMixin, RecordActionMixin
from problems import selectors as problem_selectors

from .. import selectors
from ..forms import AttachmentForm, CommentForm, LinkIncidentsForm, LinkProblemsForm, TransitionForm
from ..models import Change
from ..services import records as services
from ..services.states import change_transition
from .records_common import ChangeMixin
from .records_detail import ChangeDetailView

SEARCH_RESULTS = 20


class ChangeActionView(RecordActionMixin, ChangeDetailView):
    """A POST from the change page (itsm.views.record_actions)."""

    detail_url_name = "change_detail"

    @property
    def record(self):
        return self.change


class ChangeTransitionView(ChangeActionView):
    def post(self, request, pk):
        change = self.change
        try:
            step = change.workflow.get(request.POST.get("transition", ""))
        except TransitionNotAllowed as exc:
            messages.error(request, exc.message)
            return self.done()
        form = TransitionForm(request.POST, step=step)
        panel, form_name = f"transition-{step.name}", f"transition_{step.name}"
        if not form.is_valid():
            return self.render_page(status=400, open_panel=panel, **{form_name: form})
        try:
            change = change_transition(
                actor=request.user, change=change, name=step.name, data=form.step_data(),
                reason=form.cleaned_data.get("reason", ""), expected_version=form.cleaned_data.get("version"),
                override_reason=(form.cleaned_data.get("override_reason") or "").strip())
        except TransitionNotAllowed as exc:
            messages.error(request, exc.message)
            return self.done()
        except (ValidationError, DomainError) as exc:
            return self.refuse(form, exc, panel, form_name)
        return self.done(_("%(number)s is now %(state)s.") % {
            "number": change.number, "state": change.get_state_display()})


class ChangeCommentView(CommentActionMixin, ChangeActionView):
    comment_form_class = CommentForm

    def comment(self, body, internal):
        return services.change_comment(actor=self.request.user, change=self.change, body=body, internal=internal)


class ChangeAttachView(AttachActionMixin, ChangeActionView):
    attachment_form_class = AttachmentForm

    def attach(self, upload):
        return services.change_attach(actor=self.request.user, change=self.change, upload=upload)


class ChangeLinkProblemsView(ChangeActionView):
    def post(self, request, pk):
        form = LinkProblemsForm(request.POST)
        if not form.is_valid():
            return self.render_page(status=400, open_panel="link-problems", link_problems_form=form)
        try:
            linked = services.change_link_problems(actor=request.user, change=self.change,
                                                   problems=form.cleaned_data["problems"])
        except (ValidationError, DomainError) as exc:
            return self.refuse(form, exc, "link-problems", "link_problems_form")
        if not linked:
            return self.done(_("These problems were linked already."))
        return self.done(_("Linked %(numbers)s.") % {"numbers": ", ".join(p.number for p in linked)})


class ChangeLinkIncidentsView(ChangeActionView):
    def post(self, request, pk):
        form = LinkIncidentsForm(request.POST)
        if not form.is_valid():
            return self.render_page(status=400, open_panel="link-incidents", link_incidents_form=form)
        try:
            linked = services.change_link_incidents(actor=request.user, change=self.change,
                                                    incidents=form.cleaned_data["incidents"])
        except (ValidationError, DomainError) as exc:
            return self.refuse(form, exc, "link-incidents", "link_incidents_form")
        if not linked:
            return self.done(_("These incidents were linked already."))
        return self.done(_("Linked %(numbers)s.") % {"numbers": ", ".join(i.number for i in linked)})


class ChangeUnlinkView(ChangeActionView):
    """POST `record`: the id of the problem (or incident) to unlink."""

    field = ""

    def unlink(self, record):
        raise NotImplementedError(f"{type(self).__name__} must define unlink(record) (abstract hook)")

    def post(self, request, pk):
        value = request.POST.get("record", "")
        record = self.linked().filter(pk=value).first() if is_row_id(value) else None
        if record is None:
            messages.error(request, _("That record is not linked to %(number)s.") % {"number": self.change.number})
            return self.done()
        try:
            self.unlink(record)
        except (ValidationError, DomainError) as exc:
            messages.error(request, " ".join(messages_of(exc, field_names=False)))
            return self.done()
        return self.done(_("Unlinked %(number)s.") % {"number": record.number})

    def linked(self):
        return getattr(self.change, self.field).all()


class ChangeUnlinkProblemView(ChangeUnlinkView):
    field = "problems"

    def unlink(self, record):
        services.change_unlink_problem(actor=self.request.user, change=self.change, problem=record)


class ChangeUnlinkIncidentView(ChangeUnlinkView):
    field = "caused_incidents"

    def unlink(self, record):
        services.change_unlink_incident(actor=self.request.user, change=self.change, incident=record)


class ChangeAttachmentDownloadView(ChangeMixin, View):
    def get(self, request, pk):
        attachment = get_object_or_404(Attachment, pk=pk, content_type=ContentType.objects.get_for_model(Change))
        selectors.change_get_for_user(request.user, attachment.object_id)
        return attachment_response(attachment)


def _results(rows) -> JsonResponse:
    return JsonResponse({"results": [{"value": row["pk"], "text": f"{row['number']} {row['short_description']}"}
                                     for row in rows]})


class ProblemSearchView(ChangeMixin, View):
    """The problem picker of the change form and page: {"results": [{"value": id, "text": "PRB… text"}]}."""

    def get(self, request):
        problems = problem_selectors.problem_list(request.user).select_related(None)
        query = request.GET.get("q", "").strip()
        if query:
            problems = problem_selectors.problem_search(problems, query)
        return _results(problems.order_by("-opened_at", "-id").values("pk", "number", "short_description")
                        [:SEARCH_RESULTS])


class IncidentSearchView(ChangeMixin, View):
    """The incident picker of "incidents it caused"."""

    def get(self, request):
        incidents = incident_selectors.incident_list(request.user).select_related(None)
        query = request.GET.get("q", "").strip()
        if query:
            incidents = incident_selectors.incident_search(incidents, query)
        return _results(incidents.order_by("-opened_at", "-id").values("pk", "number", "short_description")
                        [:SEARCH_RESULTS])

