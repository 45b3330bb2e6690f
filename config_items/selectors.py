"""Every read of configuration management that views, API and reports share.

Reads are restricted to staff (auditors included); `ci_get_for_user` is the one gate that
answers "not found" alike for a missing CI and one the user may not see. Impact analysis walks
the relationship graph in one recursive SQL query that runs on PostgreSQL and SQLite.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import Http404
from django.utils import timezone

from itsm.models import Customer
from itsm.permissions import STAFF_ROLES, may

from .choices import CatalogueStatus, CIStatus
from .models import Baseline, CIType, ConfigurationItem, Relationship, RelationshipType

UPSTREAM, DOWNSTREAM = "upstream", "downstream"
SNAPSHOT_FIELDS = ("number", "name", "type", "status", "environment", "description", "owner_team", "customers",
                   "attributes", "source", "external_id", "hours_of_service", "catalogue_status")


def _may_read(user) -> bool:
    return may(user, STAFF_ROLES)


# --- lists and the access gate ----------------------------------------------------------------

def ci_list(user):
    """CIs the user may see, with what list pages and the API show of each loaded up front."""
    if not _may_read(user):
        return ConfigurationItem.objects.none()
    return ConfigurationItem.objects.select_related("ci_type", "owner_team", "service_owner").prefetch_related(
        Prefetch("customers", queryset=Customer.objects.order_by("code"))
    )


def ci_get_for_user(user, pk) -> ConfigurationItem:
    """The CI `pk` if the user may see it; Http404 both when it is missing and when they may not."""
    try:
        return ci_list(user).get(pk=pk)
    except (ConfigurationItem.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def ci_type_list(user):
    return CIType.objects.all() if _may_read(user) else CIType.objects.none()


def relationship_type_list(user):
    return RelationshipType.objects.all() if _may_read(user) else RelationshipType.objects.none()


def relationship_list(user):
    if not _may_read(user):
        return Relationship.objects.none()
    return Relationship.objects.select_related(
        "source__ci_type", "target__ci_type", "type", "created_by"
    )


def baseline_list(user):
    if not _may_read(user):
        return Baseline.objects.none()
    return Baseline.objects.select_related("root__ci_type", "created_by")


def baseline_get_for_user(user, pk) -> Baseline:
    try:
        return baseline_list(user).get(pk=pk)
    except (Baseline.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- impact analysis ---------------------------------------------------------------------------

@dataclass
class ImpactResult:
    nodes: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    truncated: bool = False


# The walk carries each path as ",1,5,9," and never steps onto a CI already on its path, so
# cycles end; each CI is then kept once, at its smallest depth. `{step_from}` / `{step_to}`
# are the relationship columns for the direction (never user input).
_WALK_SQL = """
WITH RECURSIVE walk(id, depth, path) AS (
    SELECT ci.id, 0, ',' || CAST(ci.id AS TEXT) || ','
    FROM {ci_table} ci WHERE ci.id IN ({starts})
    UNION ALL
    SELECT r.{step_to}, walk.depth + 1, walk.path || CAST(r.{step_to} AS TEXT) || ','
    FROM walk JOIN {rel_table} r ON r.{step_from} = walk.id
    WHERE walk.depth < %s
      AND walk.path NOT LIKE '%%,' || CAST(r.{step_to} AS TEXT) || ',%%'
)
SELECT id, depth, path FROM (
    SELECT id, depth, path, ROW_NUMBER() OVER (PARTITION BY id ORDER BY depth, path) AS nth FROM walk
) ranked
WHERE nth = 1
ORDER BY depth, id
"""


def _walk(start_ids: list[int], *, direction: str, depth: int, limit: int) -> list[tuple[int, int, str]]:
    """(id, depth, path) of the start CIs and at most `limit` CIs in all reached from them, nearest
    first (each CI once, at its distance from the nearest start)."""
    step_from, step_to = ("target_id", "source_id") if direction == UPSTREAM else ("source_id", "target_id")
    sql = _WALK_SQL.format(ci_table=ConfigurationItem._meta.db_table, rel_table=Relationship._meta.db_table,
                           step_from=step_from, step_to=step_to, starts=", ".join(["%s"] * len(start_ids)))
    with connection.cursor() as cursor:
        cursor.execute(sql + " LIMIT %s", [*start_ids, depth, limit])
        return cursor.fetchall()


def dependencies_of(ci_ids, *, depth: int = 2, limit: int = 500) -> dict[int, int]:
    """{CI id: distance} of the CIs `ci_ids` (distance 0) and of what they depend on
    ("downstream", transitively up to `depth` steps), at most `limit` CIs, nearest first.
    One query whatever the number of CIs (known-error suggestions match through it)."""
    start_ids = sorted({int(pk) for pk in ci_ids})
    if not start_ids:
        return {}
    rows = _walk(start_ids, direction=DOWNSTREAM, depth=depth, limit=limit)
    return {pk: distance for pk, distance, _path in rows}


def dependents_of(ci_ids, *, depth: int = 5, limit: int = 2000) -> dict[int, int]:
    """{CI id: distance} of the CIs `ci_ids` (distance 0) and of everything that depends on them
    ("upstream", transitively up to `depth` steps), at most `limit` CIs, nearest first. One query
    (a change's impacted services and collisions are found through it)."""
    start_ids = sorted({int(pk) for pk in ci_ids})
    if not start_ids:
        return {}
    rows = _walk(start_ids, direction=UPSTREAM, depth=depth, limit=limit)
    return {pk: distance for pk, distance, _path in rows}


# Each start keeps its own walk: rows are (start, CI, depth), and UNION drops a row already
# produced, so a CI reached twice at one depth from one start is walked on once and the depth
# cap ends cycles. No path strings: a walk from many starts stays proportional to the links
# it steps over (collision checks of many changes at once).
_EACH_SQL = """
WITH RECURSIVE walk(start, id, depth) AS (
    SELECT ci.id, ci.id, 0 FROM {ci_table} ci WHERE ci.id IN ({starts})
    UNION
    SELECT walk.start, r.{step_to}, walk.depth + 1
    FROM walk JOIN {rel_table} r ON r.{step_from} = walk.id
    WHERE walk.depth < %s
)
SELECT start, id, MIN(depth) FROM walk GROUP BY start, id
"""


def reach_from_each(ci_ids, *, direction: str, depth: int) -> dict[int, dict[int, int]]:
    """{start CI id: {CI id: distance}} for each of `ci_ids`: itself (0) and the CIs it reaches
    within `depth` steps, "upstream" (what depends on it) or "downstream" (what it depends on).
    One query for all the starts, unbounded in size but not in depth: keep `depth` small."""
    if direction not in (UPSTREAM, DOWNSTREAM):
        raise ValueError(f"direction must be {UPSTREAM!r} or {DOWNSTREAM!r}")
    start_ids = sorted({int(pk) for pk in ci_ids})
    if not start_ids:
        return {}
    step_from, step_to = ("target_id", "source_id") if direction == UPSTREAM else ("source_id", "target_id")
    sql = _EACH_SQL.format(ci_table=ConfigurationItem._meta.db_table, rel_table=Relationship._meta.db_table,
                           step_from=step_from, step_to=step_to, starts=", ".join(["%s"] * len(start_ids)))
    reached: dict[int, dict[int, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*start_ids, depth])
        for start, pk, distance in cursor.fetchall():
            reached.setdefault(start, {})[pk] = distance
    return reached


def impact(ci: ConfigurationItem, *, direction: str, depth: int = 5, limit: int = 2000) -> ImpactResult:
    """What `ci` affects or relies on, as a graph.

    "upstream": everything that depends on `ci`, transitively (what breaks if it fails);
    "downstream": everything `ci` depends on. Nodes include `ci` itself at depth 0; each
    node carries the path of CI ids from `ci` to it. At most `limit` nodes (`truncated`
    says when there were more). Three queries whatever the graph size.
    """
    if direction not in (UPSTREAM, DOWNSTREAM):
        raise ValueError(f"direction must be {UPSTREAM!r} or {DOWNSTREAM!r}")
    rows = _walk([ci.pk], direction=direction, depth=depth, limit=limit + 1)
    truncated = len(rows) > limit
    rows = rows[:limit]
    ids = [row[0] for row in rows]
    # Plain tuples, not model instances: a result may hold thousands of CIs and links.
    details = {
        pk: (number, name, type_name, is_service, status)
        for pk, number, name, type_name, is_service, status in ConfigurationItem.objects.filter(pk__in=ids)
        .values_list("pk", "number", "name", "ci_type__name", "ci_type__is_service", "status")
    }
    nodes = []
    for pk, node_depth, path in rows:
        number, name, type_name, is_service, status = details[pk]
        nodes.append({"id": pk, "number": number, "name": name, "type": type_name, "is_service": is_service,
                      "status": status, "depth": node_depth, "path": [int(part) for part in path[1:-1].split(",")]})
    return ImpactResult(nodes=nodes, edges=_edges_among(ids), truncated=truncated)


def _edges_among(ids) -> list[dict]:
    links = (Relationship.objects.filter(source_id__in=ids, target_id__in=ids).order_by("source_id", "target_id", "type_id")
             .values_list("source_id", "target_id", "type__slug", "type__forward_label"))
    return [{"source": source, "target": target, "type": slug, "type_label": label}
            for source, target, slug, label in links]


# --- baselines ---------------------------------------------------------------------------------

# Everything reachable, each CI once: UNION (not UNION ALL) drops rows already produced, which
# both ends cycles and keeps the work proportional to the links walked, however deep.
_REACH_SQL = """
WITH RECURSIVE reach(id) AS (
    SELECT ci.id FROM {ci_table} ci WHERE ci.id = %s
    UNION
    SELECT r.target_id FROM reach JOIN {rel_table} r ON r.source_id = reach.id
)
SELECT id FROM reach
"""


def _downstream_ids(start_id: int) -> list[int]:
    sql = _REACH_SQL.format(ci_table=ConfigurationItem._meta.db_table, rel_table=Relationship._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, [start_id])
        return [row[0] for row in cursor.fetchall()]


def snapshot_of(root: ConfigurationItem) -> dict:
    """The current state of `root` and everything it depends on, in the form Baseline.snapshot
    keeps: {"root": id, "items": {"<id>": {field: value}}, "relationships": [[source, target,
    type slug], ...]} (JSON-native values, sorted, so two snapshots compare field by field)."""
    ids = _downstream_ids(root.pk)
    items = (ConfigurationItem.objects.filter(pk__in=ids).select_related("ci_type", "owner_team")
             .prefetch_related(Prefetch("customers", queryset=Customer.objects.order_by("code"))))
    relationships = (Relationship.objects.filter(source_id__in=ids, target_id__in=ids)
                     .values_list("source_id", "target_id", "type__slug"))
    return {
        "root": root.pk,
        "items": {str(ci.pk): _snapshot_item(ci) for ci in items.order_by("pk")},
        "relationships": sorted([list(link) for link in relationships]),
    }


def _snapshot_item(ci: ConfigurationItem) -> dict:
    return {
        "number": ci.number, "name": ci.name, "type": ci.ci_type.slug, "status": ci.status,
        "environment": ci.environment, "description": ci.description,
        "owner_team": ci.owner_team.name if ci.owner_team else None,
        "customers": [customer.code for customer in ci.customers.all()],
        "attributes": ci.attributes, "source": ci.source, "external_id": ci.external_id,
        "hours_of_service": ci.hours_of_service, "catalogue_status": ci.catalogue_status,
    }


def baseline_diff(old: dict, new: dict) -> dict:
    """What changed from snapshot `old` to snapshot `new` (pure: no database access).

    Items are matched by CI id; a changed item lists each changed field as [old, new]
    (attributes one by one, as "attributes.<name>").
    """
    old_items, new_items = old.get("items", {}), new.get("items", {})
    added = [_item_ref(key, new_items[key]) for key in _sorted_keys(set(new_items) - set(old_items))]
    removed = [_item_ref(key, old_items[key]) for key in _sorted_keys(set(old_items) - set(new_items))]
    changed = []
    for key in _sorted_keys(set(old_items) & set(new_items)):
        fields = _changed_fields(old_items[key], new_items[key])
        if fields:
            changed.append({**_item_ref(key, new_items[key]), "fields": fields})
    old_links = {tuple(link) for link in old.get("relationships", [])}
    new_links = {tuple(link) for link in new.get("relationships", [])}
    return {
        "items": {"added": added, "removed": removed, "changed": changed},
        "relationships": {"added": [list(link) for link in sorted(new_links - old_links)],
                          "removed": [list(link) for link in sorted(old_links - new_links)]},
    }


def _sorted_keys(keys) -> list[str]:
    return sorted(keys, key=lambda key: int(key) if str(key).isdigit() else str(key))


def _item_ref(key, item: dict) -> dict:
    return {"id": int(key) if str(key).isdigit() else key, "number": item.get("number"), "name": item.get("name")}


def _changed_fields(old: dict, new: dict) -> dict:
    fields = {}
    for name in sorted(set(old) | set(new)):
        if name == "attributes":
            continue
        if old.get(name) != new.get(name):
            fields[name] = [old.get(name), new.get(name)]
    old_attributes, new_attributes = old.get("attributes") or {}, new.get("attributes") or {}
    for name in sorted(set(old_attributes) | set(new_attributes)):
        if old_attributes.get(name) != new_attributes.get(name):
            fields[f"attributes.{name}"] = [old_attributes.get(name), new_attributes.get(name)]
    return fields


# --- reports -----------------------------------------------------------------------------------

def data_quality(user, *, stale_days: int = 90) -> dict:
    """What needs attention in the CMDB: CIs without an owner, live services that depend on
    nothing recorded, CIs nobody touched for `stale_days`, duplicate names within a type."""
    items = ci_list(user)
    in_use = items.exclude(status=CIStatus.RETIRED)
    has_dependency = Relationship.objects.filter(source=OuterRef("pk"))
    return {
        "no_owner": in_use.filter(owner_team__isnull=True),
        "services_without_ci": items.services().live().filter(~Exists(has_dependency)),
        "stale": in_use.filter(updated_at__lt=timezone.now() - timedelta(days=stale_days)).order_by("updated_at", "pk"),
        "duplicate_names": _duplicate_names(in_use),
    }


def _duplicate_names(items) -> list[tuple]:
    """(ci_type, name, count, ids) for each name used more than once within a type."""
    groups = list(items.order_by().values("ci_type", "name").annotate(count=Count("pk")).filter(count__gt=1)
                  .order_by("ci_type", "name"))
    if not groups:
        return []
    matching = Q()
    for group in groups:
        matching |= Q(ci_type=group["ci_type"], name=group["name"])
    ids: dict[tuple, list[int]] = {}
    for pk, type_id, name in items.filter(matching).order_by("pk").values_list("pk", "ci_type", "name"):
        ids.setdefault((type_id, name), []).append(pk)
    types = CIType.objects.in_bulk({group["ci_type"] for group in groups})
    return [(types[g["ci_type"]], g["name"], g["count"], ids[(g["ci_type"], g["name"])]) for g in groups]


def catalogue(user, *, customer=None):
    """The live services of the service catalogue, optionally those of one customer."""
    services = ci_list(user).services().filter(catalogue_status=CatalogueStatus.LIVE)
    if customer is not None:
        services = services.filter(customers=customer)
    return services.order_by("name", "pk")
