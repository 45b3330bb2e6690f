"""Workflow: a declarative transition table per record type, and the one transition service.

A record model declares `workflow = Workflow(...)`; `transition_apply` is the only way its
state changes. The table is what UI and API offer: `workflow.available(record, user)`.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .choices import JournalKind
from .events import emit
from .exceptions import GuardFailed, TransitionNotAllowed
from .journal import journal_add
from .permissions import permitted, require
from .records import record_save

# A guard looks at the locked record and the transition's input and returns field errors
# ({"field": "message"}); an empty dict means the guard passes.
Guard = Callable[[object, dict], dict]
# An effect sets what else the step changes on the locked record (a timestamp, a counter)
# before it is saved, so the step stays one version and one history row: effect(record, data).
Effect = Callable[[object, dict], None]


def requires(*field_names: str) -> Guard:
    """A guard: each named input field must be given (non-blank)."""

    def guard(record, data):
        return {
            name: str(_("This field is required for this step."))
            for name in field_names
            if data.get(name) in (None, "") and getattr(record, name, None) in (None, "")
        }

    guard.required_fields = field_names
    return guard


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str
    label: str
    roles: tuple[str, ...]
    guards: tuple[Guard, ...] = ()
    # Input fields the transition copies onto the record (e.g. a resolution code).
    fields: tuple[str, ...] = ()
    effects: tuple[Effect, ...] = ()
    style: str = "primary"
    # False: a step only services take (an approval completes, an edit voids it); never offered.
    offered: bool = True

    def permits(self, user) -> bool:
        return permitted(user, self.roles)


@dataclass
class Workflow:
    transitions: Iterable[Transition]
    state_field: str = "state"
    final_states: tuple[str, ...] = ()
    _by_name: dict = field(init=False, repr=False)

    def __post_init__(self):
        self.transitions = tuple(self.transitions)
        self._by_name = {t.name: t for t in self.transitions}
        if len(self._by_name) != len(self.transitions):
            raise ValueError("transition names must be unique within a workflow")

    def get(self, name: str) -> Transition:
        try:
            return self._by_name[name]
        except KeyError:
            raise TransitionNotAllowed(_("There is no step called “%(name)s”.") % {"name": name}) from None

    def state_of(self, record) -> str:
        return getattr(record, self.state_field)

    def available(self, record, user) -> list[Transition]:
        """The transitions the user may start from the record's current state."""
        state = self.state_of(record)
        return [t for t in self.transitions if t.offered and state in t.sources and t.permits(user)]


def transition_apply(*, actor, record, name: str, data: dict | None = None, reason: str = "",
                     expected_version: int | None = None):
    """Move `record` through transition `name`; return the updated record.

    Locks the row, so of two concurrent transitions the second sees the first's outcome and
    is refused if it no longer applies. The step's effects run on the locked record before
    the one save. Side effects: history row, journal entry
    (state change), domain event `<model>.transitioned` after commit.
    Raises TransitionNotAllowed (wrong state), NotPermitted, GuardFailed, StaleRecord.
    """
    model = type(record)
    workflow: Workflow = model.workflow
    data = data or {}
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=record.pk)
        step = workflow.get(name)
        before = workflow.state_of(locked)
        if before not in step.sources:
            raise TransitionNotAllowed(
                _("%(number)s cannot be moved by “%(step)s” while it is %(state)s.")
                % {"number": locked.number, "step": step.label, "state": getattr(locked, f"get_{workflow.state_field}_display")()}
            )
        require(actor, step.roles)
        errors = {}
        for guard in step.guards:
            errors.update(guard(locked, data))
        if errors:
            raise GuardFailed(_("Please complete the required fields."), fields=errors)
        for field_name in step.fields:
            if field_name in data:
                setattr(locked, field_name, data[field_name])
        setattr(locked, workflow.state_field, step.target)
        for effect in step.effects:
            effect(locked, data)
        record_save(locked, actor=actor, reason=reason or str(step.label), expected_version=expected_version)
        journal_add(
            record=locked, actor=actor, kind=JournalKind.STATE_CHANGE, body=reason, is_public=True,
            data={"transition": step.name, "from": before, "to": step.target},
        )
        emit(
            f"{model._meta.model_name}.transitioned", record=locked, actor=actor,
            payload={"transition": step.name, "from": before, "to": step.target},
        )
    return locked
