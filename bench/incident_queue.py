#!/usr/bin/env python3
"""Benchmark: the agents' incident queue page (/incidents/?queue=..., state and group filters) over 10^6 incidents.

Seeds a PostgreSQL database with a service desk's two years of incidents, once (COPY, no
history or journal rows; a second run reuses it): 30 teams of very different sizes (the
service desk takes a quarter of the incidents), 2,000 callers, 50 customers, 20 services,
the default categories; about 5% of the incidents open (most of them from the last month),
priorities from P1 (1%) to P5 as the default matrix gives them, opened evenly over 730 days.
Every incident has a response and a resolution SLA timer (24x7 calendar, 2 h and 48 h goals):
stopped, cancelled, paused or running as its incident is, so the queue shows real clocks and
creation starts two timers.
Then it starts gunicorn in production mode (the repository's gunicorn.conf.py), signs in an
agent of the second-largest team (a real session) and requests each queue URL from C
keep-alive clients for a fixed time: requests/s, p50/p95/p99 latency, errors. The number of
queries of each URL comes from the same request made in-process with the query log on, on
page 1 and on a later page (a queue page must not issue more queries for more rows).
Run it with `.venv/bin/python bench/incident_queue.py --help`; record the figures in
bench/results.md (see bench/README.md). bench/incident_api.py reuses the seeded database.

Targets (issue 4): p95 < 100 ms and a constant number of queries per page.
"""

import argparse
import io
import json
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from api_list import Server, create_database_if_missing, drive, git, machine, percentile, server_environment

ROOT = Path(__file__).resolve().parent.parent
# Bench incidents are numbered INCX00000001...: the product's numbers (INC0001001) never collide.
NUMBER_PREFIX = "INCX"
TEAMS = 30
CALLERS = 2_000
CUSTOMERS = 50
SERVICES = 20
DAYS = 730
# (impact, urgency) and their weights: P1 about 1%, P2 5%, P3 30%, P4 44%, P5 20%.
IMPACT_URGENCY = [((1, 1), 1), ((1, 2), 2.5), ((2, 1), 2.5), ((1, 3), 10), ((2, 2), 10), ((3, 1), 10),
                  ((2, 3), 22), ((3, 2), 22), ((3, 3), 20)]
SHORT_DESCRIPTIONS = ["Cannot log in", "Mail not delivered", "Printer offline", "VPN drops", "Slow application",
                      "Error 500 on the portal", "Password expired", "Disk full on server", "Report is empty",
                      "Laptop does not boot", "Wi-Fi unstable", "Batch job failed", "Access request"]


def parse_args(description: str = __doc__) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_INCIDENTS_DATABASE_URL",
                               "postgres://postgres@127.0.0.1:5432/itsm_bench_incidents"),
        help="PostgreSQL database to seed and serve (created if missing; default %(default)s)",
    )
    parser.add_argument("--cache-url", default=os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/13"),
                        help="cache, as in production (default %(default)s; '' for process memory)")
    parser.add_argument("--incidents", type=int, default=1_000_000, help="incidents to seed (default %(default)s)")
    parser.add_argument("--seed", type=int, default=20261123, help="random seed of the data (default %(default)s)")
    parser.add_argument("--reseed", action="store_true", help="delete the seeded incidents and seed them again")
    parser.add_argument("--clients", type=int, default=2, help="concurrent client threads (default %(default)s)")
    parser.add_argument("--duration", type=float, default=15, help="measured seconds per URL (default %(default)s)")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured seconds per URL (default %(default)s)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes (default %(default)s)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn process (default %(default)s)")
    parser.add_argument("--port", type=int, default=8078)
    parser.add_argument("--seed-only", action="store_true", help="seed (if needed) and stop")
    return parser


def setup_django(args) -> dict:
    """Production settings in this process (and for gunicorn), on the benchmark database, migrated."""
    import subprocess

    create_database_if_missing(args.database_url)
    env = server_environment(args)
    env["ALLOWED_HOSTS"] = "127.0.0.1,testserver"  # testserver: the in-process query count
    env["STATIC_ROOT"] = str(Path(env["ITSM_VAR_DIR"]) / "static")  # pages need the manifest, as in production
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=env,
                   check=True)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    return env


# --- the people, teams and services ------------------------------------------------------------

def bench_world() -> SimpleNamespace:
    """Teams with a lead and three agents each, the measuring agent, callers, customers,
    services (created once, found again on later runs)."""
    from django.contrib.auth.models import Group

    from config_items import services as cmdb
    from config_items.models import CIType, ConfigurationItem
    from incidents.models import Category
    from itsm.choices import Role
    from itsm.models import Customer, Team, User

    groups = {role: Group.objects.get_or_create(name=role)[0] for role in (Role.AGENT, Role.TEAM_LEAD,
                                                                           Role.REQUESTER, Role.ADMINISTRATOR)}
    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"first_name": "Bench"})
    admin.groups.add(groups[Role.ADMINISTRATOR])
    agent, _ = User.objects.get_or_create(username="bench-agent", defaults={"first_name": "Bench",
                                                                             "last_name": "Agent"})
    agent.groups.add(groups[Role.AGENT])
    teams, members = [], []
    for t in range(TEAMS):
        names = [f"bench-t{t:02d}-{k}" for k in range(4)]
        have = {u.username: u for u in User.objects.filter(username__in=names)}
        missing = [User(username=n, first_name=f"Team {t}", last_name=f"Member {k}", password="!")
                   for k, n in enumerate(names) if n not in have]
        User.objects.bulk_create(missing)
        users = list(User.objects.filter(username__in=names).order_by("username"))
        users[0].groups.add(groups[Role.TEAM_LEAD])
        for user in users[1:]:
            user.groups.add(groups[Role.AGENT])
        team, created = Team.objects.get_or_create(name=f"Bench team {t:02d}", defaults={
            "lead": users[0], "email": f"team{t}@bench.example.com"})
        team_members = users + ([agent] if t == 1 else [])  # the measuring agent works in team 01
        if created:
            team.members.set(team_members)
        teams.append(team)
        members.append(team_members)
    have = User.objects.filter(username__startswith="bench-caller-").count()
    User.objects.bulk_create(
        [User(username=f"bench-caller-{n:05d}", first_name="Caller", last_name=str(n), password="!")
         for n in range(have, CALLERS)], batch_size=1000)
    callers = list(User.objects.filter(username__startswith="bench-caller-").values_list("pk", flat=True))
    requester_group = groups[Role.REQUESTER]
    through = User.groups.through
    if not through.objects.filter(group=requester_group, user_id=callers[0]).exists():
        through.objects.bulk_create([through(user_id=pk, group_id=requester_group.pk) for pk in callers],
                                    ignore_conflicts=True)
    have = Customer.objects.filter(code__startswith="bench-c").count()
    Customer.objects.bulk_create([Customer(code=f"bench-c{n:03d}", name=f"Bench customer {n:03d}")
                                  for n in range(have, CUSTOMERS)])
    customers = list(Customer.objects.filter(code__startswith="bench-c").values_list("pk", flat=True))
    service_type = CIType.objects.filter(is_service=True).order_by("pk").first()
    services = list(ConfigurationItem.objects.filter(source="bench-incidents").values_list("pk", flat=True))
    for n in range(len(services), SERVICES):
        services.append(cmdb.ci_create(actor=admin, data={
            "name": f"Bench service {n:02d}", "ci_type": service_type, "source": "bench-incidents",
            "external_id": f"svc-{n:02d}", "attributes": {"criticality": "medium"}}).pk)
    categories = [(c.parent_id, c.pk) for c in Category.objects.filter(parent__isnull=False)]
    return SimpleNamespace(admin=admin, agent=agent, teams=teams, members=members, callers=callers,
                           customers=customers, services=services, categories=categories)


# --- seeding -----------------------------------------------------------------------------------

def seed_signature(args) -> str:
    return f"bench seed: incidents={args.incidents} seed={args.seed}"


def seeded(args) -> bool:
    from incidents.models import Incident

    first = Incident.objects.filter(number=f"{NUMBER_PREFIX}{1:08d}").first()
    return (first is not None and first.description == seed_signature(args)
            and Incident.objects.filter(number__startswith=NUMBER_PREFIX).count() == args.incidents)


def wipe() -> None:
    from django.db import connection, transaction

    from incidents.models import Incident

    table = Incident._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM slas_timer WHERE object_id IN (SELECT id FROM {table} WHERE number LIKE %s)",
                       [f"{NUMBER_PREFIX}%"])
        cursor.execute(f"DELETE FROM {Incident.cis.through._meta.db_table} WHERE incident_id IN "
                       f"(SELECT id FROM {table} WHERE number LIKE %s)", [f"{NUMBER_PREFIX}%"])
        cursor.execute(f"DELETE FROM {table} WHERE number LIKE %s", [f"{NUMBER_PREFIX}%"])


def forget_created() -> None:
    """Delete the incidents earlier creation runs left (numbered INC…, not INCX…) with what
    they wrote, so that every run starts from the same 10^6 seeded rows."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from incidents.models import Incident

    table = Incident._meta.db_table
    kind = ContentType.objects.get_for_model(Incident).pk
    by_record = "content_type_id = %s AND object_id IN (SELECT id FROM gone)"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE gone ON COMMIT DROP AS SELECT id FROM {table} WHERE number NOT LIKE %s",
                       [f"{NUMBER_PREFIX}%"])
        cursor.execute("SELECT count(*) FROM gone")
        if not cursor.fetchone()[0]:
            return
        cursor.execute(f"DELETE FROM slas_timerevent WHERE timer_id IN (SELECT id FROM slas_timer WHERE {by_record})",
                       [kind])
        for other in ("slas_timer", "itsm_journalentry", "itsm_domainevent"):
            cursor.execute(f"DELETE FROM {other} WHERE {by_record}", [kind])
        cursor.execute("DELETE FROM itsm_outboxmessage")  # nobody delivers the bench's messages
        for other in (Incident.cis.through._meta.db_table, "incidents_historicalincident_cis"):
            cursor.execute(f"DELETE FROM {other} WHERE incident_id IN (SELECT id FROM gone)")
        cursor.execute(f"DELETE FROM {Incident.history.model._meta.db_table} WHERE id IN (SELECT id FROM gone)")
        cursor.execute(f"DELETE FROM {table} WHERE id IN (SELECT id FROM gone)")


def _text(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class _Rows(io.RawIOBase):
    """A file-like stream of COPY text lines, generated on demand (no 1 GB buffer)."""

    def __init__(self, lines):
        self.lines, self.pending = lines, b""

    def readable(self):
        return True

    def readinto(self, buffer):
        while len(self.pending) < len(buffer):
            chunk = next(self.lines, None)
            if chunk is None:
                break
            self.pending += chunk
        size = min(len(buffer), len(self.pending))
        buffer[:size], self.pending = self.pending[:size], self.pending[size:]
        return size


def incident_rows(args, world, now):
    """Yield dicts of column values (attnames) for every seeded incident, oldest first."""
    from incidents.choices import DEFAULT_PRIORITY_MATRIX

    rng = random.Random(args.seed)
    team_weights = [1 / (t + 1) for t in range(TEAMS)]
    pairs, pair_weights = zip(*IMPACT_URGENCY, strict=True)
    ages = sorted((rng.random() * DAYS for _ in range(args.incidents)), reverse=True)
    for n, age in enumerate(ages, start=1):
        opened = now - timedelta(days=age)
        # Backlog: most incidents of the last month are still open, few older ones.
        open_chance = 0.6 if age < 30 else 0.04 if age < 365 else 0.015
        if rng.random() < open_chance:
            state = rng.choices(("new", "in_progress", "on_hold"), weights=(30, 50, 20))[0]
        elif rng.random() < 0.03:
            state = "cancelled"
        else:
            state = "resolved" if age < 3 else "closed"
        team = rng.choices(range(TEAMS), weights=team_weights)[0]
        impact, urgency = rng.choices(pairs, weights=pair_weights)[0]
        priority = DEFAULT_PRIORITY_MATRIX[(impact, urgency)]
        assigned = state != "new" or rng.random() < 0.4
        assignee = rng.choice(world.members[team]).pk if assigned else None
        category, subcategory = rng.choice(world.categories)
        first_response = resolved = closed = None
        if state != "new":
            first_response = opened + timedelta(minutes=rng.uniform(2, 240))
        if state in ("resolved", "closed"):
            resolved = first_response + timedelta(hours=rng.uniform(0.5, 72))
            resolved = min(resolved, now - timedelta(minutes=5))
        if state == "closed":
            closed = min(resolved + timedelta(days=3), now - timedelta(minutes=1))
        if state == "cancelled":
            closed = first_response
        monitoring = rng.random() < 0.02
        by_contact = rng.random() < 0.3
        row = {
            "version": 1, "number": f"{NUMBER_PREFIX}{n:08d}",
            "created_at": opened, "updated_at": closed or resolved or first_response or opened,
            "created_by_id": world.admin.pk, "updated_by_id": world.admin.pk,
            "short_description": f"{rng.choice(SHORT_DESCRIPTIONS)} ({n})",
            "description": seed_signature(args) if n == 1 else "",
            "caller_id": None if by_contact or monitoring else rng.choice(world.callers),
            "contact_name": "Monitoring" if monitoring else "Outside caller" if by_contact else "",
            "customer_id": rng.choice(world.customers), "service_id": rng.choice(world.services)
            if rng.random() < 0.8 else None,
            "category_id": category, "subcategory_id": subcategory,
            "impact": impact, "urgency": urgency, "priority": priority,
            "assignment_group_id": world.teams[team].pk, "assignee_id": assignee,
            "channel": "monitoring" if monitoring else rng.choice(("phone", "email", "portal", "portal")),
            "state": state, "on_hold_reason": "awaiting_caller" if state == "on_hold" else "",
            "resolution_code": "solved_permanently" if resolved else "",
            "resolution_notes": "Fixed." if resolved else "",
            "opened_at": opened, "first_response_at": first_response, "resolved_at": resolved, "closed_at": closed,
            "correlation_key": f"bench:{n}" if monitoring else "", "alert_count": 1 if monitoring else 0,
        }
        yield row


def seed(args, world) -> None:
    """COPY the incidents in, with the secondary indexes dropped meanwhile and built after."""
    from importlib import import_module

    from django.db import connection, transaction
    from django.utils import timezone

    from incidents.models import Incident

    started = time.perf_counter()
    fields = [f for f in Incident._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    columns = [f.column for f in fields]
    table = Incident._meta.db_table
    now = timezone.now()

    def lines():
        for row in incident_rows(args, world, now):
            values = {**defaults, **row}
            yield ("\t".join(_text(values[f.attname]) for f in fields) + "\n").encode()

    # The search's trigram index (PostgreSQL only, so not in the model's Meta) goes too.
    trigram = import_module("incidents.migrations.0006_search_trigram")
    with transaction.atomic():
        with connection.schema_editor(atomic=False) as editor:
            for index in Incident._meta.indexes:
                editor.remove_index(Incident, index)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {trigram.INDEX}")
        with connection.cursor() as cursor:
            stream = io.BufferedReader(_Rows(lines()), buffer_size=1 << 20)
            cursor.cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", stream)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # check the foreign keys before CREATE INDEX
        print(f"copied {args.incidents} incidents in {time.perf_counter() - started:.0f}s; building indexes")
        with connection.schema_editor(atomic=False) as editor:
            for index in Incident._meta.indexes:
                editor.add_index(Incident, index)
        with connection.cursor() as cursor:
            cursor.execute(trigram.CREATE.replace(" CONCURRENTLY", ""))  # no other session yet
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("ANALYZE")  # the bulk-created users, teams and customers too: plans depend on it
    print(f"seeded {args.incidents} incidents in {time.perf_counter() - started:.0f}s")


# Service levels of the bench: every incident has a response and a resolution clock on the
# 24x7 calendar, as with any agreement in force (the queue shows them, creation starts them).
RESPONSE_GOAL, RESOLUTION_GOAL = timedelta(hours=2), timedelta(hours=48)


def bench_targets():
    """The bench agreement's two targets (made once, found again on later runs)."""
    from datetime import date

    from itsm.services import system_actor
    from slas import services
    from slas.models import Agreement, Calendar, Target

    actor = system_actor()
    agreement = Agreement.objects.filter(name="Bench incidents").first() or services.agreement_create(
        actor=actor, data={"name": "Bench incidents", "valid_from": date(2020, 1, 1)})
    always = Calendar.objects.get(name="24×7")
    targets = {}
    for metric, goal in (("response", RESPONSE_GOAL), ("resolution", RESOLUTION_GOAL)):
        targets[metric] = Target.objects.filter(agreement=agreement, metric=metric, is_current=True).first() \
            or services.target_create(actor=actor, data={
                "agreement": agreement, "calendar": always, "record_type": "incident", "metric": metric,
                "name": f"Bench {metric}", "goal": goal})
    return targets, services.current_version(always)


def seed_timers() -> None:
    """One response and one resolution timer per seeded incident, in one INSERT ... SELECT each:
    stopped (met or breached) at the response or resolution, cancelled with the incident, paused
    on hold, else running (breached once past the goal). 24x7: elapsed time is wall time."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from incidents.models import Incident

    started = time.perf_counter()
    targets, version = bench_targets()
    content_type = ContentType.objects.get_for_model(Incident).pk
    with transaction.atomic(), connection.cursor() as cursor:
        for metric, stop in (("response", "first_response_at"), ("resolution", "resolved_at")):
            target = targets[metric]
            cursor.execute(f"""
                INSERT INTO slas_timer (content_type_id, object_id, metric, target_id, calendar_version_id, goal,
                    state, running, pause_reason, started_at, stopped_at, elapsed, counted_until, due_at,
                    breached_at, next_check_at, service_id_snapshot, priority, customer_id, team_id, updated_at)
                SELECT %(ct)s, i.id, %(metric)s, %(target)s, %(version)s, %(goal)s,
                    CASE WHEN stop_at IS NULL AND i.state = 'cancelled' THEN 'cancelled'
                         WHEN end_at - i.opened_at > %(goal)s THEN 'breached'
                         WHEN stop_at IS NOT NULL THEN 'met'
                         WHEN i.state = 'on_hold' THEN 'paused' ELSE 'running' END,
                    stop_at IS NULL AND i.state IN ('new', 'in_progress'),
                    CASE WHEN stop_at IS NULL AND i.state = 'on_hold' THEN 'On hold' ELSE '' END,
                    i.opened_at, COALESCE(stop_at, CASE WHEN i.state = 'cancelled' THEN i.closed_at END),
                    end_at - i.opened_at, end_at, i.opened_at + %(goal)s,
                    CASE WHEN end_at - i.opened_at > %(goal)s THEN i.opened_at + %(goal)s END,
                    CASE WHEN stop_at IS NULL AND i.state IN ('new', 'in_progress')
                         AND end_at - i.opened_at <= %(goal)s THEN i.opened_at + %(goal)s / 2 END,
                    i.service_id, i.priority, i.customer_id, i.assignment_group_id, end_at
                FROM (SELECT *, {stop} AS stop_at,
                             COALESCE({stop}, CASE WHEN state = 'cancelled' THEN closed_at END, now()) AS end_at
                      FROM {Incident._meta.db_table} WHERE number LIKE %(prefix)s) AS i
            """, {"ct": content_type, "metric": metric, "target": target.pk, "version": version.pk,
                  "goal": target.goal, "prefix": f"{NUMBER_PREFIX}%"})
    with connection.cursor() as cursor:
        if not connection.in_atomic_block:
            cursor.execute("VACUUM ANALYZE slas_timer")
    print(f"seeded the incidents' SLA timers in {time.perf_counter() - started:.0f}s")


def timers_seeded() -> bool:
    from incidents.models import Incident
    from slas.models import Timer

    first = Incident.objects.filter(number=f"{NUMBER_PREFIX}{1:08d}").values("pk")
    return Timer.objects.filter(object_id__in=first).exists()


def prepare(args) -> SimpleNamespace:
    """Django set up on the bench database, the world found or made, the incidents (and their
    SLA timers) seeded."""
    env = setup_django(args)
    world = bench_world()
    if args.reseed or not seeded(args):
        wipe()
        seed(args, world)
    if not timers_seeded():
        seed_timers()
    forget_created()
    world.env = env
    return world


def distribution() -> str:
    from django.db.models import Count

    from incidents.models import Incident

    states = dict(Incident.objects.values_list("state").annotate(n=Count("id")).order_by())
    total = sum(states.values())
    return ", ".join(f"{s} {states[s] / total:.1%}" for s in sorted(states, key=states.get, reverse=True))


# --- measuring ---------------------------------------------------------------------------------

def session_cookie(user) -> str:
    """A signed-in session of `user`, stored as production stores it (no login form in the way)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend

    backend = next(path for path in settings.AUTHENTICATION_BACKENDS if hasattr(load_backend(path), "get_user"))
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = backend
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def count_queries(user, path: str, *, token: str = "") -> tuple[int, int]:
    """(status, queries) of one in-process request of `path` as `user`."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    else:
        client.force_login(user)
    client.get(path, headers=headers)  # warm: caches, content types
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, headers=headers)
    return response.status_code, len(queries)


def measure(args, server_port: int, paths: list[tuple[str, str]], headers: dict, user, token: str = "") -> list:
    """For each (label, path): queries on page 1 and page 2 (when there is one), then latency
    under C clients."""
    results = []
    for label, path in paths:
        status, queries = count_queries(user, path, token=token)
        sep = "&" if "?" in path else "?"
        status_later, queries_later = count_queries(user, f"{path}{sep}page=2", token=token)
        queries_later = queries_later if status_later == 200 else None
        drive(server_port, path, headers, args.clients, args.warmup)
        latencies, errors = drive(server_port, path, headers, args.clients, args.duration)
        ms = sorted(value * 1000 for value in latencies)
        results.append({"label": label, "path": path, "status": status, "queries": queries,
                        "queries_page2": queries_later, "ok": len(ms), "errors": errors,
                        "rate": len(ms) / args.duration,
                        "p50": percentile(ms, 0.5) if ms else None, "p95": percentile(ms, 0.95) if ms else None,
                        "p99": percentile(ms, 0.99) if ms else None})
        r = results[-1]
        print(f"  {label:<34} {r['rate']:6.0f} req/s  p50 {r['p50'] or 0:7.1f} ms  p95 {r['p95'] or 0:7.1f} ms  "
              f"p99 {r['p99'] or 0:7.1f} ms  queries {queries} (page 2: {queries_later or '-'})  "
              f"errors {errors or 0}")
    return results


def header(args, load_before: float, what: str) -> None:
    import platform

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    commit = git("rev-parse", "--short", "HEAD") or os.environ.get("BENCH_COMMIT", "unknown")
    dirty = git("status", "--porcelain", "--untracked-files=no")
    print()
    print(f"machine:   {machine()}")
    print(f"software:  Python {platform.python_version()}, PostgreSQL {postgres}, cache {args.cache_url or 'memory'}")
    print(f"date:      {time.strftime('%Y-%m-%d %H:%M %Z')}; 1-minute load average before the run: {load_before:.2f}")
    print(f"commit:    {commit}{' (with uncommitted changes)' if dirty else ''}")
    print(f"data:      {distribution()}")
    print(f"run:       {what}")


def queue_paths(world) -> list[tuple[str, str]]:
    big, mine = world.teams[0].pk, world.teams[1].pk
    return [
        ("queue=mine", "/incidents/?queue=mine"),
        ("queue=unassigned", "/incidents/?queue=unassigned"),
        ("queue=open", "/incidents/?queue=open"),
        ("queue=major", "/incidents/?queue=major"),
        ("queue=resolved", "/incidents/?queue=resolved"),
        ("state=in_progress, largest group", f"/incidents/?state=in_progress&assignment_group={big}"),
        ("state=new, own group", f"/incidents/?state=new&assignment_group={mine}"),
        ("state=closed, largest group", f"/incidents/?state=closed&assignment_group={big}"),
    ]


def main() -> None:
    args = parse_args().parse_args()
    load_before = os.getloadavg()[0]
    world = prepare(args)
    if args.seed_only:
        print(f"data: {distribution()}")
        return
    headers = {"Cookie": session_cookie(world.agent), "Accept": "text/html"}
    server = Server(world.env, args.port)
    results = []
    try:
        server.wait_ready("/incidents/?queue=mine", headers)
        print(f"gunicorn: {args.workers} processes x {args.threads} threads; {args.clients} clients; "
              f"warm-up {args.warmup:g}s, measuring {args.duration:g}s per URL")
        results = measure(args, args.port, queue_paths(world), headers, world.agent)
    finally:
        server.stop()
        import shutil

        shutil.rmtree(world.env["ITSM_VAR_DIR"], ignore_errors=True)
    header(args, load_before, f"agent queue pages as {world.agent.username} ({args.incidents} incidents)")
    print(json.dumps(results))
    if any(r["errors"] or not r["ok"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
