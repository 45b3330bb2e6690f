#!/usr/bin/env python3
"""Benchmark: CMDB impact analysis (config_items.selectors.impact) over 10^5 CIs and 3 x 10^5 relationships.

Seeds a PostgreSQL database with a CMDB shaped like a data centre, once (COPY, no history; a
second run reuses it), then measures `impact()` upstream of a core storage node that about
10,000 CIs depend on (transitively, within 5 hops) and downstream of a top-level service:
wall time (median of N runs after a warm-up), number of queries, nodes and edges returned,
checked against a breadth-first search done in Python over the same rows.
Run it with `make bench` or `.venv/bin/python bench/cmdb_impact.py --help`; record the figures
in bench/results.md (see bench/README.md).

The shape: CIs fall in clusters (a storage node, hosts, VMs, applications and databases,
services, services of services: each CI runs on or depends on one CI of the layer below, plus
about two more links to lower layers, 10% of them into another cluster). Cluster 0 has the
chosen storage node as its only root, so its other CIs are exactly the upstream of that node;
no CI outside cluster 0 depends on anything in it. Cycles: pairs of applications that depend
on each other (also in cluster 0) and hosts that depend on an application in their cluster
(elsewhere), so the walk must stop at CIs it has already seen.

Targets (docs: DESIGN.md §6, bench/README.md): under 1 s and at most 5 queries per call.
"""

import argparse
import io
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict, deque
from pathlib import Path

from api_list import create_database_if_missing, git, machine

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "bench-impact"
# Bench CIs are numbered CIX00000001...: the product's numbers (CI0001001) never collide.
NUMBER_PREFIX = "CIX"

# Layers from the bottom: (CI type slug, share of a cluster, relationship type to the layer below).
LAYERS = [
    ("storage", None, None),
    ("server", 0.02, "depends-on"),
    ("virtual-machine", 0.20, "runs-on"),
    ("application", 0.60, "runs-on"),
    ("business-service", 0.15, "depends-on"),
    ("business-service", 0.03, "depends-on"),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_CMDB_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/itsm_bench_cmdb"),
        help="PostgreSQL database to seed and query (created if missing; default %(default)s)",
    )
    parser.add_argument("--cis", type=int, default=100_000, help="CIs to seed (default %(default)s)")
    parser.add_argument("--relationships", type=int, default=300_000, help="relationships (default %(default)s)")
    parser.add_argument(
        "--dependents", type=int, default=10_000,
        help="CIs that depend on the chosen storage node (size of cluster 0 minus 1; default %(default)s)",
    )
    parser.add_argument("--depth", type=int, default=10, help="impact depth (default %(default)s)")
    parser.add_argument("--limit", type=int, default=20_000, help="impact node limit (default %(default)s)")
    parser.add_argument("--runs", type=int, default=5, help="measured calls per direction (default %(default)s)")
    parser.add_argument("--seed", type=int, default=20261123, help="random seed of the graph (default %(default)s)")
    parser.add_argument("--reseed", action="store_true", help="delete the seeded CMDB and seed it again")
    return parser.parse_args()


def setup_django(database_url: str) -> None:
    """Production settings (DEBUG off) in this process, on the benchmark database, migrated."""
    env = {
        "DJANGO_SETTINGS_MODULE": "itsm.settings",
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "CACHE_URL": "",
        "ITSM_VAR_DIR": tempfile.mkdtemp(prefix="itsm-bench-"),
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=os.environ,
                   check=True)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def bench_actor():
    """A team lead (CMDB writer) and the team that owns the seeded CIs."""
    from django.contrib.auth.models import Group

    from itsm.choices import Role
    from itsm.models import Team, User

    user, _ = User.objects.get_or_create(username="bench-cmdb", defaults={"first_name": "Bench"})
    user.groups.add(Group.objects.get_or_create(name=Role.TEAM_LEAD)[0])
    user.groups.add(Group.objects.get_or_create(name=Role.ADMINISTRATOR)[0])
    team, _ = Team.objects.get_or_create(name="Bench infrastructure", defaults={"lead": user})
    return user, team


# --- the graph ---------------------------------------------------------------------------------

def build_graph(args) -> tuple[list[tuple[int, int]], list[tuple[int, int, str]]]:
    """Return nodes [(layer, cluster)] by index and edges [(source, target, type slug)]."""
    rng = random.Random(args.seed)
    nodes: list[tuple[int, int]] = []
    # by_cluster[c][layer] = list of node indexes
    by_cluster: list[list[list[int]]] = []

    def add_cluster(size: int, roots: int) -> None:
        cluster = len(by_cluster)
        layers = [[] for _ in LAYERS]
        counts = [roots] + [max(1, round(size * share)) for _, share, _ in LAYERS[1:]]
        counts[-1] = max(1, size - sum(counts[:-1]))
        for layer, count in enumerate(counts):
            for _ in range(count):
                layers[layer].append(len(nodes))
                nodes.append((layer, cluster))
        by_cluster.append(layers)

    add_cluster(args.dependents + 1, roots=1)  # cluster 0: index 0 is the chosen storage node
    remaining = args.cis - len(nodes)
    other_clusters = max(1, round(remaining / (args.dependents + 1)))
    for n in range(other_clusters):
        size = remaining // other_clusters + (1 if n < remaining % other_clusters else 0)
        add_cluster(size, roots=max(1, size // 2000))

    edges: set[tuple[int, int]] = set()
    typed: list[tuple[int, int, str]] = []

    def link(source: int, target: int, slug: str) -> bool:
        if source == target or (source, target) in edges:
            return False
        edges.add((source, target))
        typed.append((source, target, slug))
        return True

    # The tree: every CI above the roots on one CI of the layer below in its cluster.
    for layers in by_cluster:
        for layer in range(1, len(LAYERS)):
            below = layers[layer - 1]
            for index in layers[layer]:
                link(index, rng.choice(below), LAYERS[layer][2])
    # Cycles: application pairs depending on each other; hosts depending on an application.
    for c, layers in enumerate(by_cluster):
        apps = layers[3]
        for _ in range(max(1, len(apps) // 100)):
            a, b = rng.sample(apps, 2)
            link(a, b, "depends-on")
            link(b, a, "depends-on")
        if c > 0:
            for _ in range(len(layers[1]) // 2):
                link(rng.choice(layers[1]), rng.choice(apps), "depends-on")
    # Cross links down to reach the relationship count: 90% in the cluster, 10% to another one
    # (never into cluster 0 from outside, so its root's upstream stays exactly cluster 0).
    sources = [i for i, (layer, _) in enumerate(nodes) if layer > 0]
    while len(typed) < args.relationships:
        source = rng.choice(sources)
        layer, cluster = nodes[source]
        target_layer = layer - 1 if rng.random() < 0.7 else rng.randrange(layer)
        target_cluster = cluster
        if rng.random() < 0.1 and len(by_cluster) > 1:
            target_cluster = rng.randrange(1, len(by_cluster))
        candidates = by_cluster[target_cluster][target_layer]
        link(source, rng.choice(candidates), "connects-to" if target_layer == 0 else "depends-on")
    return nodes, typed


# --- seeding -----------------------------------------------------------------------------------

def seed_signature(args) -> str:
    return f"bench seed: cis={args.cis} relationships={args.relationships} dependents={args.dependents} seed={args.seed}"


def seeded(args) -> bool:
    from config_items.models import ConfigurationItem

    root = ConfigurationItem.objects.filter(source=SOURCE, external_id="n0").first()
    return (
        root is not None
        and root.description == seed_signature(args)
        and ConfigurationItem.objects.filter(source=SOURCE).count() == args.cis
    )


def wipe() -> None:
    from django.db import connection, transaction

    from config_items.models import ConfigurationItem, Relationship

    ci_table, rel_table = ConfigurationItem._meta.db_table, Relationship._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {rel_table} r USING {ci_table} c WHERE c.source = %s AND (r.source_id = c.id OR r.target_id = c.id)",
            [SOURCE],
        )
        cursor.execute(f"DELETE FROM {ci_table} WHERE source = %s", [SOURCE])


def attributes_for(slug: str, index: int) -> str:
    import json

    host = f"bench-{index:06d}"
    return json.dumps({
        "storage": {"capacity_tb": 100, "model": "Bench array"},
        "server": {"hostname": host, "cpu_count": 32, "memory_gb": 256},
        "virtual-machine": {"hostname": host, "vcpu_count": 4, "memory_gb": 16},
        "application": {"version": "1.0", "vendor": "Bench"},
        "business-service": {"criticality": "medium"},
    }[slug])


def copy_rows(cursor, table: str, columns: list[str], rows) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(r"\N" if value is None else str(value).replace("\\", "\\\\") for value in row))
        buffer.write("\n")
    buffer.seek(0)
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def seed(args, actor, team) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from config_items.models import CIType, ConfigurationItem, Relationship, RelationshipType

    started = time.perf_counter()
    nodes, edges = build_graph(args)
    types = {t.slug: t.pk for t in CIType.objects.all()}
    relationship_types = {t.slug: t.pk for t in RelationshipType.objects.all()}
    now = timezone.now().isoformat()
    ci_table, rel_table = ConfigurationItem._meta.db_table, Relationship._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {ci_table}")
        base = cursor.fetchone()[0] + 1
        raw = cursor.cursor  # the psycopg2 cursor, for COPY

        def ci_rows():
            for index, (layer, cluster) in enumerate(nodes):
                slug = LAYERS[layer][0]
                is_root = index == 0
                yield (
                    base + index, 1, f"{NUMBER_PREFIX}{base + index:08d}", now, now,
                    "Core SAN (impact benchmark root)" if is_root else f"{slug} {index} (cluster {cluster})",
                    "live", "production", seed_signature(args) if is_root else "",
                    attributes_for(slug, index), SOURCE, f"n{index}",
                    "24x7" if slug == "business-service" else "",
                    "live" if slug == "business-service" else "",
                    types[slug], actor.pk, team.pk, actor.pk if slug == "business-service" else None, actor.pk,
                )

        copy_rows(raw, ci_table, [
            "id", "version", "number", "created_at", "updated_at", "name", "status", "environment", "description",
            "attributes", "source", "external_id", "hours_of_service", "catalogue_status", "ci_type_id",
            "created_by_id", "owner_team_id", "service_owner_id", "updated_by_id",
        ], ci_rows())
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{ci_table}', 'id'), (SELECT MAX(id) FROM {ci_table}))")
        copy_rows(raw, rel_table, ["source_id", "target_id", "type_id", "created_at", "created_by_id"], (
            (base + s, base + t, relationship_types[slug], now, actor.pk) for s, t, slug in edges
        ))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {ci_table}")
        cursor.execute(f"ANALYZE {rel_table}")
    print(f"seeded {len(nodes)} CIs and {len(edges)} relationships in {time.perf_counter() - started:.1f}s")


# --- the check ---------------------------------------------------------------------------------

def expected_reach(start: int, direction: str, depth: int) -> set[int]:
    """CI ids reachable from `start` within `depth` hops, by a plain BFS over every relationship."""
    from config_items.models import Relationship

    neighbours = defaultdict(list)
    for source, target in Relationship.objects.values_list("source_id", "target_id").iterator(chunk_size=20_000):
        if direction == "upstream":
            neighbours[target].append(source)
        else:
            neighbours[source].append(target)
    seen, queue = {start}, deque([(start, 0)])
    while queue:
        node, distance = queue.popleft()
        if distance == depth:
            continue
        for other in neighbours[node]:
            if other not in seen:
                seen.add(other)
                queue.append((other, distance + 1))
    seen.discard(start)
    return seen


def node_ids(result) -> set[int]:
    ids = set()
    for node in result.nodes:
        pk = node.get("id") if isinstance(node, dict) else getattr(node, "pk", getattr(node, "id", node))
        ids.add(pk)
    return ids


def measure(ci, direction: str, args) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from config_items import selectors

    def call():
        result = selectors.impact(ci, direction=direction, depth=args.depth, limit=args.limit)
        len(result.nodes), len(result.edges)  # a lazy result is evaluated inside the timing
        return result

    call()  # warm-up: plans, caches, connection
    timings, query_counts, per_query = [], [], []
    for _ in range(args.runs):
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            result = call()
            timings.append(time.perf_counter() - began)
        query_counts.append(len(queries.captured_queries))
        per_query.append([float(q["time"]) for q in queries.captured_queries])
    return {
        "result": result,
        "median": statistics.median(timings),
        "min": min(timings),
        "max": max(timings),
        "queries": max(query_counts),
        # SQL time of each query of the median call (the rest is Python building the result).
        "per_query": per_query[timings.index(statistics.median_low(timings))],
    }


def main() -> None:
    args = parse_args()
    load_before = os.getloadavg()[0]
    create_database_if_missing(args.database_url)
    setup_django(args.database_url)
    from django.db import connection

    from config_items.models import ConfigurationItem

    actor, team = bench_actor()
    if args.reseed or not seeded(args):
        wipe()
        seed(args, actor, team)
    else:
        print(f"reusing the seeded CMDB ({seed_signature(args)})")
    root = ConfigurationItem.objects.select_related("ci_type").get(source=SOURCE, external_id="n0")
    # The last CI of cluster 0 is a service of services (top layer): "what does it need?"
    top = ConfigurationItem.objects.select_related("ci_type").get(source=SOURCE, external_id=f"n{args.dependents}")

    figures = []
    for label, ci, direction in (("upstream of the core SAN", root, "upstream"),
                                 ("downstream of a top service", top, "downstream")):
        expected = expected_reach(ci.pk, direction, args.depth)
        outcome = measure(ci, direction, args)
        result = outcome["result"]
        got = node_ids(result)
        got.discard(ci.pk)
        figures.append((label, ci, direction, expected, got, outcome))

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    import platform

    print()
    print(f"machine:   {machine()}")
    print(f"software:  Python {platform.python_version()}, PostgreSQL {postgres}")
    print(f"date:      {time.strftime('%Y-%m-%d %H:%M %Z')}; 1-minute load average before the run: {load_before:.2f}")
    print(f"commit:    {commit}{' (with uncommitted changes)' if dirty else ''}")
    print(f"data:      {args.cis} CIs, {args.relationships} relationships; impact(depth={args.depth}, limit={args.limit}), "
          f"median of {args.runs} calls after 1 warm-up")
    wrong = False
    for label, ci, direction, expected, got, outcome in figures:
        result = outcome["result"]
        ok = got == expected or (getattr(result, "truncated", False) and got <= expected)
        wrong = wrong or not ok
        print(
            f"{label} ({ci.number}, {direction}): {len(got)} nodes (expected {len(expected)}"
            f"{'' if ok else ', MISMATCH'}), {len(result.edges)} edges, truncated={getattr(result, 'truncated', '?')}; "
            f"median {outcome['median'] * 1000:.0f} ms (min {outcome['min'] * 1000:.0f}, max {outcome['max'] * 1000:.0f}); "
            f"{outcome['queries']} queries (SQL ms each: {', '.join(f'{t * 1000:.0f}' for t in outcome['per_query'])})"
        )
    if wrong:
        sys.exit("impact() returned other CIs than a breadth-first search over the same relationships")


if __name__ == "__main__":
    main()
