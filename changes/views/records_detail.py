"""The change page: header badges, description and justification, plans, windows, people,
affected and impacted services, linked problems and caused incidents, close and review, the
workflow steps, the cards of the other slices (views/panels.py), attachments and the timeline."""

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.generic import View

from itsm.timeline import record_timeline

from .. import selectors
from ..choices import ChangeState
from ..forms import AttachmentForm, CommentForm, LinkIncidentsForm, LinkProblemsForm, TransitionForm
from ..models import Change
from .panels import panels_for
from .records_common import ChangeGateMixin, ChangeMixin

# The many-to-many fields' history would cost a query per version: their links are journaled.
HISTORY_HIDDEN_FIELDS = ["version", "updated_at", "updated_by", "created_at", "created_by", "services", "cis",
                         "impacted_services", "problems", "caused_incidents"]


def timeline(change, user) -> list[dict]:
    """Journal entries and field changes of the change, merged, newest first."""
    return record_timeline(change, user, states=dict(ChangeState.choices), hidden_fields=HISTORY_HIDDEN_FIELDS)


def step_extras(step, change) -> dict:
    """What a step's button or panel says besides its form."""
    if step.name == "cancel":
        return {"note": _("A cancelled change cannot be reopened: raise a new one if it is needed again."),
                "note_id": "cancel-note"}
    if step.name == "return_to_assessment":
        return {"confirm": _("Return %(number)s to assessment? Its approval is voided.") % {"number": change.number}}
    if step.name == "start" and change.planned_end:
        return {"confirm": _("Start implementing %(number)s now?") % {"number": change.number}}
    return {}


class ChangeDetailView(ChangeGateMixin, ChangeMixin, View):
    template_name = "changes/records/detail.html"

    def get(self, request, pk):
        return self.render_page()

    @property
    def change_with_details(self) -> Change:
        if not hasattr(self, "_detailed"):
            self._detailed = selectors.change_get_for_user(self.request.user, self.kwargs["pk"], details=True)
        return self._detailed

    def transition_forms(self, change, user, forms) -> list[dict]:
        items = []
        for step in selectors.available_steps(change, user):
            refused = forms.get(f"transition_{step.name}")
            form = refused or TransitionForm(step=step, change=change, initial={"version": change.version})
            # A refused step without input still opens its panel, to show why.
            items.append({"step": step, "form": form, "direct": not step.fields and refused is None,
                          **step_extras(step, change)})
        return items

    def render_page(self, status=200, open_panel="", **forms):
        change, user = self.change_with_details, self.request.user
        can_write = self.may_write(user)
        editable = can_write and change.state not in change.workflow.final_states
        panels = panels_for(change, self.request)
        context = {
            "change": change, "can_write": can_write, "editable": editable, "open_panel": open_panel,
            "transition_forms": self.transition_forms(change, user, forms) if can_write else [],
            "main_panels": [panel for panel in panels if panel["column"] == "main"],
            "side_panels": [panel for panel in panels if panel["column"] != "main"],
            "services": change.service_list, "cis": change.ci_list, "impacted": change.impacted_service_list,
            "problems": change.problem_list, "incidents": change.incident_list,
            "may_link_problems": editable, "may_link_incidents": can_write,
            "link_problems_form": forms.get("link_problems_form") or LinkProblemsForm(),
            "link_incidents_form": forms.get("link_incidents_form") or LinkIncidentsForm(),
            "comment_form": forms.get("comment_form") or CommentForm(),
            "attachment_form": forms.get("attachment_form") or AttachmentForm(),
            "attachments": list(selectors.change_attachments(change)),
            "timeline": timeline(change, user),
        }
        return render(self.request, self.template_name, context, status=status)
