"""Incidents for tests, made through the real services (numbering, history, journal, events)."""

from incidents import services
from incidents.choices import Impact, Urgency
from tests.factories import TeamFactory, UserFactory


def make_incident(actor, *, caller=None, **data):
    """An incident logged by `actor` (a service-desk user); the caller defaults to a new requester."""
    if caller is None and "contact_name" not in data:
        caller = UserFactory(roles=["requester"])
    data.setdefault("short_description", "Mail is down")
    data.setdefault("impact", Impact.MEDIUM)
    data.setdefault("urgency", Urgency.MEDIUM)
    if caller is not None:
        data["caller"] = caller
    return services.incident_create(actor=actor, data=data)


def make_team_with(*members, **kwargs):
    return TeamFactory(members=list(members), **kwargs)


def resolve(actor, incident, code="solved_permanently", notes="Restarted the service."):
    return services.incident_transition(actor=actor, incident=incident, name="resolve",
                                        data={"resolution_code": code, "resolution_notes": notes})
