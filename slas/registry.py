"""Record types that SLA timers follow. The engine never imports them: each process app
registers its records here in `AppConfig.ready()` (incidents register incidents)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Facts:
    """What the engine needs to know about a record, read in the record's transaction."""

    customer_id: int | None
    service_id: int | None
    priority: int | None
    team_id: int | None
    state: str
    state_label: str
    opened_at: datetime
    responded_at: datetime | None
    resolved_at: datetime | None
    cancelled: bool
    # Why the record is in its state, where the type has reasons (an incident on hold: awaiting
    # the caller, a vendor...): a target may pause on "state:reason" only (see pauses()).
    state_reason: str = ""
    # Who works the record in its group (`team_id`): an operational level response timer stops
    # when a member of the group takes the record.
    assignee_id: int | None = None


@dataclass(frozen=True)
class SubjectType:
    """How the engine reads and escalates one record type.

    `facts(record)` describes the record; `states()` lists its states (value, label) for the
    pause-state choice of targets, and `reasons()` (optional) the reasons a state can have
    (state, reason, label), each offered as a pause of its own ("on_hold:awaiting_caller"); `act(record, action, timer, threshold)` performs one
    escalation action (notify, raise priority, reassign) inside the sweep's transaction and
    returns what it did, for the escalation record.
    """

    name: str
    label: str
    model: type
    facts: Callable[[object], Facts]
    states: Callable[[], list[tuple[str, str]]]
    act: Callable[..., dict]
    reasons: Callable[[], list[tuple[str, str, str]]] | None = None

    def pause_choices(self) -> list[tuple[str, str]]:
        """What a target of this type may pause on: a state (whatever its reason), or a state
        with one reason only ("on_hold:awaiting_caller", a requester-wait metric)."""
        labels = dict(self.states())
        choices = list(labels.items())
        for state, reason, label in (self.reasons() if self.reasons else []):
            choices.append((f"{state}:{reason}", f"{labels.get(state, state)}: {label}"))
        return choices


def pauses(pause_states, facts: Facts) -> bool:
    """Whether a target pausing on `pause_states` pauses for a record described by `facts`."""
    return facts.state in pause_states or (
        bool(facts.state_reason) and f"{facts.state}:{facts.state_reason}" in pause_states)


_subjects: dict[str, SubjectType] = {}


def register_subject(subject: SubjectType) -> None:
    _subjects[subject.name] = subject


def subject_named(name: str) -> SubjectType:
    return _subjects[name]


def subject_for(record) -> SubjectType | None:
    model = type(record)._meta.concrete_model
    return next((s for s in _subjects.values() if s.model._meta.concrete_model is model), None)


def subjects() -> list[SubjectType]:
    return list(_subjects.values())


def subject_for_model(model) -> SubjectType | None:
    model = model._meta.concrete_model
    return next((s for s in _subjects.values() if s.model._meta.concrete_model is model), None)
