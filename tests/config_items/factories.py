"""CMDB test data, made the way the product makes it: through the services."""

import itertools

from config_items import services
from config_items.models import CIType, RelationshipType
from tests.factories import UserFactory

_names = (f"CI {n}" for n in itertools.count(1))


def cmdb_writer():
    return UserFactory(username="cmdb-writer", roles=["team_lead"])


def ci_type(slug: str) -> CIType:
    """A default type (from the data migration; a transactional test's flush may have removed
    it, and serialized_rollback brings it back, but only for the next test)."""
    return CIType.objects.get(slug=slug)


def relationship_type(slug: str = "depends-on") -> RelationshipType:
    return RelationshipType.objects.get(slug=slug)


def make_ci(actor=None, *, type_slug: str = "application", **data):
    """An application CI unless told otherwise; attributes default to what the type requires."""
    actor = actor or cmdb_writer()
    data.setdefault("name", next(_names))
    data.setdefault("ci_type", ci_type(type_slug))
    data.setdefault("attributes", _required_attributes(data["ci_type"]))
    return services.ci_create(actor=actor, data=data)


def make_service(actor=None, **data):
    return make_ci(actor, type_slug="business-service", **data)


def link(source, target, *, actor=None, type_slug: str = "depends-on"):
    """`source` depends on `target`."""
    return services.relationship_create(actor=actor or cmdb_writer(), source=source, target=target,
                                        type=relationship_type(type_slug))


def _required_attributes(ci_type_obj: CIType) -> dict:
    samples = {"text": "sample", "integer": 1, "choice": None, "ip": "10.0.0.1", "url": "https://example.com",
               "date": "2026-01-01", "boolean": True, "decimal": "1.5"}
    values = {}
    for definition in ci_type_obj.attribute_schema:
        if definition.get("required"):
            value = samples[definition["kind"]]
            values[definition["name"]] = definition["choices"][0] if value is None else value
    return values
