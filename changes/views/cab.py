"""CAB pages: the boards (administrators manage them), a board's meetings (planned from its
recurrence or one at a time), and a meeting's page: its agenda with each change's risk, window
and conflicts, attendance, minutes, and the decision minuted per change. Staff read them; the
board's chair or a change manager runs the meetings (changes.services.cab says so again).
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import TemplateView, View

from itsm.exceptions import DomainError, messages_of
from itsm.permissions import ADMIN_ROLES, STAFF_ROLES, permitted
from itsm.views.mixins import RoleRequiredMixin, ServiceFormView

from ..choices import MeetingState
from ..forms_approvals import AgendaDecisionForm, CabBoardForm, MeetingForm, MeetingRecordForm, PlanForm
from ..models import CabAgendaItem
from ..selectors_cab import (
    agenda_item_list,
    agenda_of,
    board_get_for_user,
    board_list,
    meeting_get_for_user,
    meeting_list,
)
from ..services import cab
from ..workflow import CHANGE_MANAGERS, CHANGE_WORKERS


def may_run(user, board) -> bool:
    """What the pages offer: the chair or a change manager runs the board's meetings."""
    return permitted(user, CHANGE_WORKERS) and (board.chair_id == user.pk or permitted(user, CHANGE_MANAGERS))


class CabMixin(RoleRequiredMixin):
    read_roles = STAFF_ROLES
    write_roles = CHANGE_WORKERS


# --- Boards --------------------------------------------------------------------------------------

class BoardListView(CabMixin, TemplateView):
    template_name = "changes/cab/board_list.html"
    write_roles = ADMIN_ROLES

    def get_context_data(self, **kwargs):
        user = self.request.user
        upcoming = (meeting_list(user).filter(ends_at__gte=timezone.now(), state=MeetingState.PLANNED)
                    .order_by("starts_at")[:10])
        return super().get_context_data(boards=list(board_list(user)), upcoming=list(upcoming), **kwargs)


class BoardDetailView(CabMixin, TemplateView):
    template_name = "changes/cab/board_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        board = board_get_for_user(user, self.kwargs["pk"])
        meetings = meeting_list(user).filter(board=board)
        now = timezone.now()
        return super().get_context_data(
            board=board, may_run=may_run(user, board), may_edit=permitted(user, ADMIN_ROLES),
            upcoming=list(meetings.filter(ends_at__gte=now).order_by("starts_at")[:20]),
            past=list(meetings.filter(ends_at__lt=now).order_by("-starts_at")[:20]),
            rules=list(board.rules.order_by("order", "id")),
            plan_form=kwargs.pop("plan_form", None) or PlanForm(),
            meeting_form=kwargs.pop("meeting_form", None) or MeetingForm(), **kwargs)


class BoardFormView(CabMixin, ServiceFormView):
    template_name = "changes/cab/board_form.html"
    form_class = CabBoardForm
    read_roles = ADMIN_ROLES
    write_roles = ADMIN_ROLES
    success_url_name = "change_cab_board_detail"
    board = None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.board is not None:
            kwargs["instance"] = board_list(self.request.user).get(pk=self.board.pk)  # the form writes onto it
        return kwargs

    def get_context_data(self, **kwargs):
        return super().get_context_data(board=self.board, **kwargs)


class BoardCreateView(BoardFormView):
    success_message = gettext_lazy("CAB “%(object)s” created.")

    def perform(self, form):
        return cab.board_create(actor=self.request.user, data=form.service_data())


class BoardUpdateView(BoardFormView):
    success_message = gettext_lazy("CAB “%(object)s” saved.")

    @cached_property
    def board(self):
        return board_get_for_user(self.request.user, self.kwargs["pk"])

    def perform(self, form):
        return cab.board_update(actor=self.request.user, board=self.board, data=form.service_data(),
                                expected_version=form.cleaned_data["version"])


# --- Actions: a POST, then back to the page with a message ---------------------------------------

class ActionView(CabMixin, View):
    """A form posted from a board or meeting page: the service's answer, or its refusal, comes
    back to that page as a message."""

    form_class = None

    def back(self) -> str:
        raise NotImplementedError(f"{type(self).__name__} must define back() (abstract hook)")

    def perform(self, form) -> str:
        """Call the service; return the success message."""
        raise NotImplementedError(f"{type(self).__name__} must define perform(form) (abstract hook)")

    def get_form(self):
        return self.form_class(self.request.POST)

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.is_valid():
            for field, errors in form.errors.items():
                label = form.fields[field].label if field in form.fields else ""
                for error in errors:
                    messages.error(request, f"{label}: {error}" if label else error)
            return redirect(self.back())
        try:
            text = self.perform(form)
        except (ValidationError, DomainError) as exc:
            for line in messages_of(exc, field_names=False):
                messages.error(request, line)
            return redirect(self.back())
        messages.success(request, text)
        return redirect(self.back())


class BoardAction(ActionView):
    @cached_property
    def board(self):
        return board_get_for_user(self.request.user, self.kwargs["pk"])

    def back(self):
        return reverse("change_cab_board_detail", args=[self.board.pk])


class MeetingsPlanView(BoardAction):
    form_class = PlanForm

    def perform(self, form):
        meetings = cab.meetings_plan(actor=self.request.user, board=self.board, until=form.cleaned_data["until"])
        return ngettext("%(count)s meeting planned.", "%(count)s meetings planned.", len(meetings)) % {
            "count": len(meetings)}


class MeetingCreateView(BoardAction):
    form_class = MeetingForm

    def perform(self, form):
        self.meeting = cab.meeting_create(actor=self.request.user, board=self.board, **form.cleaned_data)
        return _("Meeting added.")

    def back(self):
        meeting = getattr(self, "meeting", None)
        return reverse("change_cab_meeting_detail", args=[meeting.pk]) if meeting else super().back()


# --- Meetings -------------------------------------------------------------------------------------

class MeetingDetailView(CabMixin, TemplateView):
    template_name = "changes/cab/meeting_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        meeting = meeting_get_for_user(user, self.kwargs["pk"])
        running = may_run(user, meeting.board) and meeting.state != MeetingState.CANCELLED
        return super().get_context_data(
            meeting=meeting, board=meeting.board, items=agenda_of(meeting), may_run=running,
            record_form=MeetingRecordForm(meeting=meeting) if running else None,
            decision_form=AgendaDecisionForm(), **kwargs)


class MeetingAction(ActionView):
    @cached_property
    def meeting(self):
        return meeting_get_for_user(self.request.user, self.kwargs["pk"])

    def back(self):
        return reverse("change_cab_meeting_detail", args=[self.meeting.pk])


class AgendaBuildView(MeetingAction):
    def get_form(self):
        return forms.Form(self.request.POST)  # nothing to fill in

    def perform(self, form):
        added = cab.agenda_build(actor=self.request.user, meeting=self.meeting)
        return ngettext("%(count)s change added to the agenda.", "%(count)s changes added to the agenda.",
                        len(added)) % {"count": len(added)}


class MeetingRecordView(MeetingAction):
    def get_form(self):
        return MeetingRecordForm(self.request.POST, meeting=self.meeting)

    def perform(self, form):
        data = {name: form.cleaned_data[name] for name in ("attendees", "minutes", "state")}
        cab.meeting_update(actor=self.request.user, meeting=self.meeting, data=data,
                           expected_version=form.cleaned_data["version"])
        return _("Meeting saved.")


class AgendaDecideView(ActionView):
    form_class = AgendaDecisionForm

    @cached_property
    def item(self) -> CabAgendaItem:
        return get_object_or_404(agenda_item_list(self.request.user), pk=self.kwargs["pk"])

    def back(self):
        return reverse("change_cab_meeting_detail", args=[self.item.meeting_id]) + f"#item-{self.item.pk}"

    def perform(self, form):
        item = cab.agenda_decide(actor=self.request.user, item=self.item, **form.cleaned_data)
        return _("%(number)s: %(decision)s, minuted.") % {"number": self.item.change.number,
                                                          "decision": item.get_decision_display().lower()}


def register_menu() -> None:
    """"CAB" in the Changes menu (staff read the boards and meetings). Called from ChangesConfig.ready."""
    from itsm.navigation import CHANGES, MenuItem
    from itsm.navigation import register as register_item

    register_item(MenuItem(gettext_lazy("CAB"), "change_cab_board_list", icon="users-group", order=90,
                           roles=STAFF_ROLES, group=CHANGES))


urlpatterns = [
    path("cab/", BoardListView.as_view(), name="change_cab_board_list"),
    path("cab/boards/new/", BoardCreateView.as_view(), name="change_cab_board_create"),
    path("cab/boards/<int:pk>/", BoardDetailView.as_view(), name="change_cab_board_detail"),
    path("cab/boards/<int:pk>/edit/", BoardUpdateView.as_view(), name="change_cab_board_update"),
    path("cab/boards/<int:pk>/plan/", MeetingsPlanView.as_view(), name="change_cab_meetings_plan"),
    path("cab/boards/<int:pk>/meetings/", MeetingCreateView.as_view(), name="change_cab_meeting_create"),
    path("cab/meetings/<int:pk>/", MeetingDetailView.as_view(), name="change_cab_meeting_detail"),
    path("cab/meetings/<int:pk>/agenda/", AgendaBuildView.as_view(), name="change_cab_agenda_build"),
    path("cab/meetings/<int:pk>/record/", MeetingRecordView.as_view(), name="change_cab_meeting_record"),
    path("cab/items/<int:pk>/decide/", AgendaDecideView.as_view(), name="change_cab_item_decide"),
]
