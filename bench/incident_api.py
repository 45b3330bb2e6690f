#!/usr/bin/env python3
"""Benchmark: the incident API over 10^6 incidents: filtered lists (GET) and creation (POST) under concurrent clients.

Uses the database bench/incident_queue.py seeds (and seeds it the same way if needed), starts
gunicorn in production mode (the repository's gunicorn.conf.py), and signs requests with real
API tokens of an agent: a read-only token for the lists, a read-write one for creation.
(a) GET /api/v1/incidents/?state=...&assignment_group=...&page_size=50 and a few other lists:
requests/s, p50/p95/p99 latency, and the queries of page 1 and page 2 (in-process, query log
on). (b) POST /api/v1/incidents/ of a phone incident (caller, customer, service, category,
impact and urgency, assignment group) from C keep-alive clients for a fixed time: incidents
created per second, latency percentiles, errors; each one goes through incident_create with
its number, history, journal, events and notification messages. (c) For scale, the same
clients on GET /api/v1/me/ (the token's user, roles and teams: the cheapest authenticated
request there is): what any API request costs at least on this machine, and so the ceiling
of any endpoint, creation included.
Run it with `.venv/bin/python bench/incident_api.py --help`; record the figures in
bench/results.md (see bench/README.md).

Targets (issue 4): lists p95 < 100 ms with a constant number of queries; creation at least
200 incidents/s with p95 < 100 ms on the 2-core machine.
"""

import http.client
import json
import os
import random
import shutil
import sys
import threading
import time

from api_list import Server, drive, percentile
from incident_queue import header, measure, parse_args, prepare

API = "/api/v1/incidents/"


def list_paths(world) -> list[tuple[str, str]]:
    big, mine = world.teams[0].pk, world.teams[1].pk
    return [
        ("state=in_progress, largest group", f"{API}?state=in_progress&assignment_group={big}&page_size=50"),
        ("state=new, own group", f"{API}?state=new&assignment_group={mine}&page_size=50"),
        ("state=on_hold, own group", f"{API}?state=on_hold&assignment_group={mine}&page_size=50"),
        ("state=closed, largest group", f"{API}?state=closed&assignment_group={big}&page_size=50"),
        ("no filter (all 10^6)", f"{API}?page_size=50"),
    ]


def tokens(user) -> tuple[str, str]:
    from itsm import services

    _, read = services.token_create(actor=user, user=user, name="bench read", days=1, read_only=True)
    _, write = services.token_create(actor=user, user=user, name="bench write", days=1, read_only=False)
    return read, write


def create_bodies(world, count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    bodies = []
    for n in range(count):
        team = rng.randrange(len(world.teams))
        category, subcategory = rng.choice(world.categories)
        bodies.append(json.dumps({
            "short_description": f"Benchmark incident {n}: printer offline", "description": "Logged by the benchmark.",
            "caller": rng.choice(world.callers), "customer": rng.choice(world.customers),
            "service": rng.choice(world.services), "category": category, "subcategory": subcategory,
            "impact": rng.choice([2, 3]), "urgency": rng.choice([2, 3]), "channel": "phone",
            "assignment_group": world.teams[team].pk,
        }).encode())
    return bodies


def drive_posts(port: int, path: str, headers: dict, bodies: list[bytes], clients: int,
                seconds: float) -> tuple[list[float], dict]:
    """`clients` threads with one keep-alive connection each POST bodies (round robin) for
    `seconds`; returns the latencies of 201 answers and error counts."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    start = threading.Barrier(clients)
    counter = iter(range(10**9))

    def client():
        mine, my_errors = [], {}
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        start.wait()
        deadline = time.perf_counter() + seconds
        while (began := time.perf_counter()) < deadline:
            body = bodies[next(counter) % len(bodies)]
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                content = response.read()
                if response.status == 201:
                    mine.append(time.perf_counter() - began)
                else:
                    key = str(response.status)
                    if key not in my_errors:
                        print(f"POST {path} answered {response.status}: {content[:300]!r}")
                    my_errors[key] = my_errors.get(key, 0) + 1
            except (OSError, http.client.HTTPException) as exc:
                my_errors[type(exc).__name__] = my_errors.get(type(exc).__name__, 0) + 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.close()
        with lock:
            latencies.extend(mine)
            for key, count in my_errors.items():
                errors[key] = errors.get(key, 0) + count

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


def _cpu_seconds(pid: int, children: bool = False) -> float:
    """utime + stime of a process (and of its reaped children, e.g. recycled gunicorn workers)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def server_cpu(master_pid: int) -> tuple[float, dict]:
    """CPU seconds used so far by gunicorn (master, workers, reaped workers), and by each
    PostgreSQL backend serving this database: what the server side spends, whatever else runs
    on the machine (the load generator and other people's work are not counted)."""
    from django.db import connection

    with open(f"/proc/{master_pid}/task/{master_pid}/children") as children:
        workers = [int(p) for p in children.read().split()]
    web = _cpu_seconds(master_pid, children=True) + sum(_cpu_seconds(p) for p in workers)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        backends = [row[0] for row in cursor.fetchall()]
    database = {}
    for pid in backends:
        try:
            database[pid] = _cpu_seconds(pid)
        except OSError:  # PostgreSQL on another host, or the backend just ended
            pass
    return web, database


def database_cpu(before: dict, after: dict) -> float:
    """CPU seconds of the backends seen in both samples (gunicorn's connections persist)."""
    return sum(after[pid] - before[pid] for pid in before.keys() & after.keys())


def measure_floor(args, server, headers: dict) -> dict:
    """GET /api/v1/me/ from the creation's clients: requests/s, latency and server CPU of the
    cheapest authenticated request."""
    path = "/api/v1/me/"
    drive(args.port, path, headers, args.create_clients, args.warmup)
    cpu_before = server_cpu(server.process.pid)
    latencies, errors = drive(args.port, path, headers, args.create_clients, args.create_duration)
    cpu_after = server_cpu(server.process.pid)
    ms = sorted(value * 1000 for value in latencies)
    count = max(len(ms), 1)
    floor = {"path": path, "ok": len(ms), "rate": len(ms) / args.create_duration, "errors": errors,
             "web_cpu_ms": 1000 * (cpu_after[0] - cpu_before[0]) / count,
             "database_cpu_ms": 1000 * database_cpu(cpu_before[1], cpu_after[1]) / count,
             "p50": percentile(ms, 0.5) if ms else None, "p95": percentile(ms, 0.95) if ms else None}
    print(f"  GET {path} (floor)     {floor['rate']:6.0f} req/s  p50 {floor['p50'] or 0:7.1f} ms  "
          f"p95 {floor['p95'] or 0:7.1f} ms  errors {errors or 0}")
    print(f"  server CPU per request: gunicorn {floor['web_cpu_ms']:.1f} ms + PostgreSQL "
          f"{floor['database_cpu_ms']:.1f} ms")
    return floor


def count_create_queries(user, body: bytes, token: str) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    headers = {"Authorization": f"Bearer {token}"}
    client.post("/api/v1/incidents/", body, content_type="application/json", headers=headers)
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/incidents/", body, content_type="application/json", headers=headers)
    assert response.status_code == 201, response.content[:500]
    return len(queries)


def main() -> None:
    parser = parse_args(__doc__)
    parser.set_defaults(port=8079)
    parser.add_argument("--create-clients", type=int, default=16,
                        help="clients of the creation run (default %(default)s)")
    parser.add_argument("--create-duration", type=float, default=30,
                        help="measured seconds of creation (default %(default)s)")
    parser.add_argument("--skip-lists", action="store_true")
    parser.add_argument("--skip-create", action="store_true")
    parser.add_argument("--skip-floor", action="store_true", help="skip (c), GET /api/v1/me/")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    world = prepare(args)
    read_token, write_token = tokens(world.agent)
    read_headers = {"Authorization": f"Bearer {read_token}", "Accept": "application/json"}
    write_headers = {"Authorization": f"Bearer {write_token}", "Accept": "application/json",
                     "Content-Type": "application/json"}
    bodies = create_bodies(world, 1000, args.seed)
    create_queries = count_create_queries(world.agent, bodies[0], write_token)
    server = Server(world.env, args.port)
    lists, created, floor = [], None, None
    try:
        server.wait_ready("/api/v1/incidents/?page_size=1", read_headers)
        print(f"gunicorn: {args.workers} processes x {args.threads} threads")
        if not args.skip_lists:
            print(f"lists: {args.clients} clients; warm-up {args.warmup:g}s, measuring {args.duration:g}s per URL")
            lists = measure(args, args.port, list_paths(world), read_headers, world.agent, token=read_token)
        if not args.skip_create:
            print(f"creation: {args.create_clients} clients; warm-up {args.warmup:g}s, "
                  f"measuring {args.create_duration:g}s; {create_queries} queries per creation")
            drive_posts(args.port, "/api/v1/incidents/", write_headers, bodies, args.create_clients, args.warmup)
            cpu_before = server_cpu(server.process.pid)
            latencies, errors = drive_posts(args.port, "/api/v1/incidents/", write_headers, bodies,
                                            args.create_clients, args.create_duration)
            cpu_after = server_cpu(server.process.pid)
            ms = sorted(value * 1000 for value in latencies)
            created = {"ok": len(ms), "rate": len(ms) / args.create_duration, "errors": errors,
                       "queries": create_queries,
                       "web_cpu_ms": 1000 * (cpu_after[0] - cpu_before[0]) / max(len(ms), 1),
                       "database_cpu_ms": 1000 * database_cpu(cpu_before[1], cpu_after[1]) / max(len(ms), 1),
                       "p50": percentile(ms, 0.5) if ms else None, "p95": percentile(ms, 0.95) if ms else None,
                       "p99": percentile(ms, 0.99) if ms else None, "max": ms[-1] if ms else None}
            print(f"  POST /api/v1/incidents/ {created['rate']:6.0f} created/s  p50 {created['p50'] or 0:7.1f} ms  "
                  f"p95 {created['p95'] or 0:7.1f} ms  p99 {created['p99'] or 0:7.1f} ms  errors {errors or 0}")
            print(f"  server CPU per creation: gunicorn {created['web_cpu_ms']:.1f} ms + PostgreSQL "
                  f"{created['database_cpu_ms']:.1f} ms (whatever else loads the machine)")
        if not args.skip_floor:
            print(f"floor: {args.create_clients} clients; warm-up {args.warmup:g}s, measuring {args.create_duration:g}s")
            floor = measure_floor(args, server, read_headers)
    finally:
        server.stop()
        shutil.rmtree(world.env["ITSM_VAR_DIR"], ignore_errors=True)
    header(args, load_before, f"incident API as {world.agent.username} ({args.incidents} incidents seeded)")
    print(json.dumps({"lists": lists, "create": created, "floor": floor}))
    runs = [*lists, *(run for run in (created, floor) if run)]
    if any(run["errors"] or not run["ok"] for run in runs):
        sys.exit(1)


if __name__ == "__main__":
    main()
