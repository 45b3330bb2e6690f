"""The actions of the problem page (POST): on success back to the page with a message, on
refusal the page again with the form, its errors and the input kept; and the attachments'
download."""

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import View

from itsm.attachments import attachment_response
from itsm.exceptions import DomainError, TransitionNotAllowed, messages_of
from itsm.forms import add_error_to_form
from itsm.models import Attachment
from itsm.views.record_actions import AttachActionMixin, CommentActionMixin, RecordActionMixin

from .. import selectors, services
from ..forms import AttachmentForm, CommentForm, LinkIncidentsForm, TaskFinishForm, TaskForm, TransitionForm
from ..models import Problem, ProblemIncident, ProblemTask
from .common import ProblemMixin
from .detail import ProblemDetailView


class ProblemActionView(RecordActionMixin, ProblemDetailView):
    """A POST from the problem page (itsm.views.record_actions)."""

    detail_url_name = "problem_detail"

    @property
    def record(self):
        return self.problem


class ProblemTransitionView(ProblemActionView):
    def post(self, request, pk):
        problem = self.problem
        try:
            step = problem.workflow.get(request.POST.get("transition", ""))
        except TransitionNotAllowed as exc:
            messages.error(request, exc.message)
            return self.done()
        form = TransitionForm(request.POST, step=step)
        panel, form_name = f"transition-{step.name}", f"transition_{step.name}"
        if not form.is_valid():
            return self.render_page(status=400, open_panel=panel, **{form_name: form})
        try:
            problem = services.problem_transition(
                actor=request.user, problem=problem, name=step.name, data=form.step_data(),
                reason=form.cleaned_data.get("reason", ""), expected_version=form.cleaned_data.get("version"),
                linked_incidents=form.cleaned_data.get("linked_incidents") or "resume")
        except TransitionNotAllowed as exc:
            messages.error(request, exc.message)
            return self.done()
        except (ValidationError, DomainError) as exc:
            return self.refuse(form, exc, panel, form_name)
        return self.done(_("%(number)s is now %(state)s.") % {
            "number": problem.number, "state": problem.get_state_display()})


class ProblemCommentView(CommentActionMixin, ProblemActionView):
    comment_form_class = CommentForm

    def comment(self, body, internal):
        return services.problem_comment(actor=self.request.user, problem=self.problem, body=body, internal=internal)


class ProblemAttachView(AttachActionMixin, ProblemActionView):
    attachment_form_class = AttachmentForm

    def attach(self, upload):
        return services.problem_attach(actor=self.request.user, problem=self.problem, upload=upload)


class ProblemLinkIncidentsView(ProblemActionView):
    """Link incidents (typed numbers or picked), optionally putting them on hold."""

    def post(self, request, pk):
        form = LinkIncidentsForm(request.POST)
        if not form.is_valid():
            return self.render_page(status=400, open_panel="link", link_form=form)
        try:
            links = services.problem_link_incidents(actor=request.user, problem=self.problem,
                                                    incidents=form.cleaned_data["chosen"],
                                                    hold=form.cleaned_data["hold"])
        except (ValidationError, DomainError) as exc:
            return self.refuse(form, exc, "link", "link_form")
        if not links:
            return self.done(_("These incidents were linked already."))
        return self.done(_("Linked %(numbers)s.") % {"numbers": ", ".join(link.incident.number for link in links)})


class ProblemUnlinkIncidentView(ProblemActionView):
    """Unlink one incident (the URL names the link); an incident waiting on the problem resumes."""

    @cached_property
    def link(self) -> ProblemIncident:
        link = get_object_or_404(ProblemIncident.objects.select_related("incident"), pk=self.kwargs["pk"])
        selectors.problem_get_for_user(self.request.user, link.problem_id, details=False)
        return link

    @cached_property
    def problem(self) -> Problem:
        return selectors.problem_get_for_user(self.request.user, self.link.problem_id)

    def post(self, request, pk):
        incident = self.link.incident
        try:
            services.problem_unlink_incident(actor=request.user, problem=self.problem, incident=incident)
        except (ValidationError, DomainError) as exc:
            messages.error(request, " ".join(messages_of(exc, field_names=False)))
            return self.done()
        return self.done(_("Unlinked %(number)s.") % {"number": incident.number})


class ProblemTaskCreateView(ProblemActionView):
    def post(self, request, pk):
        form = TaskForm(request.POST)
        if not form.is_valid():
            return self.render_page(status=400, open_panel="task", task_form=form)
        try:
            task = services.problem_task_create(actor=request.user, problem=self.problem, data=form.service_data())
        except (ValidationError, DomainError) as exc:
            return self.refuse(form, exc, "task", "task_form")
        return self.done(_("Task added: %(task)s") % {"task": task.short_description})


class ProblemTaskFinishView(ProblemActionView):
    """Complete a task with its outcome, or cancel it (`cancelled`) with a reason."""

    @cached_property
    def task(self) -> ProblemTask:
        task = get_object_or_404(ProblemTask, pk=self.kwargs["pk"])
        selectors.problem_get_for_user(self.request.user, task.problem_id, details=False)
        return task

    @cached_property
    def problem(self) -> Problem:
        return selectors.problem_get_for_user(self.request.user, self.task.problem_id)

    def post(self, request, pk):
        task = self.task
        form = TaskFinishForm(request.POST, auto_id=f"id_task{task.pk}_%s")
        if not form.is_valid():
            return self.render_page(status=400, open_panel=f"task-{task.pk}", finish_forms={task.pk: form})
        try:
            task = services.problem_task_finish(actor=request.user, task=task, outcome=form.cleaned_data["outcome"],
                                                cancelled=form.cleaned_data["cancelled"],
                                                expected_version=form.cleaned_data.get("version"))
        except (ValidationError, DomainError) as exc:
            add_error_to_form(form, exc)
            return self.render_page(status=400, open_panel=f"task-{task.pk}", finish_forms={task.pk: form})
        return self.done(_("Task %(state)s: %(task)s") % {"state": task.get_state_display().lower(),
                                                          "task": task.short_description})


class ProblemAttachmentDownloadView(ProblemMixin, View):
    def get(self, request, pk):
        attachment = get_object_or_404(Attachment, pk=pk, content_type=ContentType.objects.get_for_model(Problem))
        selectors.problem_get_for_user(request.user, attachment.object_id, details=False)
        return attachment_response(attachment)
