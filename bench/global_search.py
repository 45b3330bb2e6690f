#!/usr/bin/env python3
"""Benchmark: the header's global search (/search/) over 10^6 incidents: by record number and by text.

Uses the database bench/incident_queue.py seeds (and seeds it the same way if needed: 10^6
incidents whose short descriptions are 13 phrases followed by the row's number, so a phrase
matches about 77,000 incidents and a row number one), adds a few incidents through the product
(numbered INC…, as bench/incident_api.py's creations are, and deleted by the next run of any of
the incident benchmarks), starts gunicorn in production mode and signs in an agent (a real
session). For each URL, C keep-alive clients for a fixed time after a warm-up: requests/s,
p50/p95/p99 latency, errors, and the server's CPU per request (gunicorn's processes and the
PostgreSQL backends serving them, from /proc: what the server side spends, whatever else runs
on the machine); the queries of each URL come from the same request made in-process.

  by number        /search/?q=INC…            302 to the incident (the unique index on number)
  suggest number   /search/suggest/?q=INC…    htmx suggestions as you type a number
  rare text        /search/?q=<a row number>  one hit (trigram index inc_short_description_trgm)
  common text      /search/?q=printer         ~77,000 matches, the newest five shown
  no hit           /search/?q=zebra           nothing matches
  suggest text     /search/suggest/?q=printer three hits per type
  more (queue)     /incidents/?q=printer&sort=-opened   the "more" link: the queue filtered by the
                   text, newest first as the hits; and the queue's default order (by priority)

Also prints the plan of the common-text query (EXPLAIN ANALYZE). Run it with
`.venv/bin/python bench/global_search.py --help`; record the figures in bench/results.md.

Target: p95 < 100 ms for every URL; constant queries.
"""

import http.client
import json
import os
import shutil
import sys
import threading
import time

from api_list import Server, percentile
from incident_api import server_cpu
from incident_queue import count_queries, header, parse_args, prepare, session_cookie


def drive(port: int, path: str, headers: dict, clients: int, seconds: float, status: int) -> tuple[list, dict]:
    """As api_list.drive, counting `status` (a redirect too) as success; the redirect is not followed."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def client():
        mine, my_errors = [], {}
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        start.wait()
        deadline = time.perf_counter() + seconds
        while (began := time.perf_counter()) < deadline:
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status == status:
                    mine.append(time.perf_counter() - began)
                else:
                    my_errors[str(response.status)] = my_errors.get(str(response.status), 0) + 1
            except (OSError, http.client.HTTPException) as exc:
                my_errors[type(exc).__name__] = my_errors.get(type(exc).__name__, 0) + 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
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


def database_cpu(before: dict, after: dict) -> float:
    """CPU seconds of this database's backends between the samples; a backend that appeared in
    between (a gunicorn thread's first connection) counts whole (incident_api's helper counts
    only backends seen in both samples, which misses them)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def product_incidents(world, count: int = 3) -> list:
    """Incidents logged through the product (numbered INC…): a number the search knows."""
    from incidents import services
    from incidents.choices import Impact, Urgency

    return [services.incident_create(actor=world.agent, data={
        "short_description": f"Bench search target {n}", "contact_name": "Bench caller",
        "impact": Impact.LOW, "urgency": Urgency.LOW, "assignment_group": world.teams[1]})
        for n in range(count)]


def search_paths(world, target) -> list[tuple[str, str, int]]:
    rare = 654_321 if world.incidents >= 654_321 else world.incidents // 2
    return [
        ("by number", f"/search/?q={target.number}", 302),
        ("suggest number", f"/search/suggest/?q={target.number}", 200),
        ("rare text (one hit)", f"/search/?q={rare}", 200),
        ("common text (~1/13 of rows)", "/search/?q=printer", 200),
        ("no hit", "/search/?q=zebra", 200),
        ("suggest text", "/search/suggest/?q=printer", 200),
        ("more: queue, newest first", "/incidents/?q=printer&sort=-opened", 200),
        ("queue ?q=printer, by priority", "/incidents/?q=printer", 200),
    ]


def explain(user, text: str) -> str:
    """The plan of the incident query of a text search, as the search runs it."""
    from django.db import connection

    from itsm import search

    incidents = next(t for t in search.types_for(user) if t.key == "incidents")
    queryset = incidents.text_search(incidents.queryset(user), text).order_by(*incidents.ordering)[:6]
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(f"    {row[0]}" for row in cursor.fetchall())


def measure(args, server, paths, headers, user) -> list:
    results = []
    for label, path, status in paths:
        _, queries = count_queries(user, path)
        drive(args.port, path, headers, args.clients, args.warmup, status)
        cpu_before = server_cpu(server.process.pid)
        latencies, errors = drive(args.port, path, headers, args.clients, args.duration, status)
        cpu_after = server_cpu(server.process.pid)
        ms = sorted(value * 1000 for value in latencies)
        count = max(len(ms), 1)
        r = {"label": label, "path": path, "status": status, "queries": queries, "ok": len(ms), "errors": errors,
             "rate": len(ms) / args.duration,
             "web_cpu_ms": 1000 * (cpu_after[0] - cpu_before[0]) / count,
             "database_cpu_ms": 1000 * database_cpu(cpu_before[1], cpu_after[1]) / count,
             "p50": percentile(ms, 0.5) if ms else None, "p95": percentile(ms, 0.95) if ms else None,
             "p99": percentile(ms, 0.99) if ms else None}
        results.append(r)
        print(f"  {label:<28} {r['rate']:6.0f} req/s  p50 {r['p50'] or 0:7.1f} ms  p95 {r['p95'] or 0:7.1f} ms  "
              f"p99 {r['p99'] or 0:7.1f} ms  CPU/request: gunicorn {r['web_cpu_ms']:5.1f} ms + PostgreSQL "
              f"{r['database_cpu_ms']:5.1f} ms  queries {queries}  errors {errors or 0}")
    return results


def main() -> None:
    args = parse_args(__doc__).parse_args()
    load_before = os.getloadavg()[0]
    world = prepare(args)
    if args.seed_only:
        return
    world.incidents = args.incidents
    target = product_incidents(world)[0]
    headers = {"Cookie": session_cookie(world.agent), "Accept": "text/html"}
    server = Server(world.env, args.port)
    results = []
    try:
        server.wait_ready("/search/?q=zebra", headers)
        print(f"gunicorn: {args.workers} processes x {args.threads} threads; {args.clients} clients; "
              f"warm-up {args.warmup:g}s, measuring {args.duration:g}s per URL")
        results = measure(args, server, search_paths(world, target), headers, world.agent)
        print("  plan of the incident query for 'printer':")
        print(explain(world.agent, "printer"))
    finally:
        server.stop()
        shutil.rmtree(world.env["ITSM_VAR_DIR"], ignore_errors=True)
    header(args, load_before, f"global search as {world.agent.username} ({args.incidents} incidents)")
    print(json.dumps(results))
    if any(r["errors"] or not r["ok"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
