"""What later apps add to the incident pages without incidents importing them (filled in their
`AppConfig.ready()`): panels on the incident page and actions on the queue's ticked rows.

    register_panel(IncidentPanel("problem", "problems/incident_panel.html", context=problem_panel, order=10))
    register_bulk_action(BulkAction("problem", _("Create problem"), "problem_from_incidents", roles=WORKERS))

A panel's `context(incident, user)` returns the template's variables (as `panel`), or None when
the panel has nothing to show for this incident and person; keep it to a few queries. A bulk
action is a button of the queue's bulk form that posts the ticked incidents (`incidents`, their
ids) and `next` (the queue's URL) to the action's own URL instead of the queue's bulk view.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class IncidentPanel:
    key: str
    template_name: str
    context: Callable[[object, object], dict | None]
    order: int = 100
    # "side": the left column, under the details; "main": above the comment form; "form": the
    # logging and editing form's right column (`context(None, user)` while logging: the panel
    # reads the form's fields itself, e.g. with htmx).
    column: str = "side"


@dataclass(frozen=True)
class BulkAction:
    key: str
    label: str
    url_name: str
    roles: tuple[str, ...] = ()
    order: int = 100
    icon: str = ""

    @property
    def url(self) -> str:
        return reverse(self.url_name)


_panels: dict[str, IncidentPanel] = {}
_bulk_actions: dict[str, BulkAction] = {}


def register_panel(panel: IncidentPanel) -> None:
    """Add (or replace, by key) a panel of the incident page."""
    _panels[panel.key] = panel


def register_bulk_action(action: BulkAction) -> None:
    """Add (or replace, by key) an action on the queue's ticked incidents."""
    _bulk_actions[action.key] = action


def panels_for(incident, user, column: str) -> list[tuple[IncidentPanel, dict]]:
    """The panels of `column` with something to show, each with its context, in order."""
    shown = []
    for panel in sorted(_panels.values(), key=lambda p: (p.order, p.key)):
        if panel.column != column:
            continue
        context = panel.context(incident, user)
        if context is not None:
            shown.append((panel, context))
    return shown


def bulk_actions_for(user) -> list[BulkAction]:
    return sorted((action for action in _bulk_actions.values() if not action.roles or user.has_role(*action.roles)),
                  key=lambda a: (a.order, a.key))
