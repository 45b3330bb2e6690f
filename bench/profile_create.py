#!/usr/bin/env python3
"""Profile: where one incident creation through the API spends its CPU, in-process.

On the database bench/incident_queue.py seeds (production settings, PostgreSQL), POSTs N
incidents through Django's test client with a real read-write API token, one at a time:
wall time per creation (no server, no network: Django, DRF, the services and the database
round trips), then the same under cProfile, printing the functions with the most cumulative
and own time. A tool for finding what to trim, not a benchmark of record: bench/incident_api.py
measures creation under gunicorn with concurrent clients.

    .venv/bin/python bench/profile_create.py --count 300 [--sort tottime] [--limit 40]
"""

import cProfile
import pstats
import sys
import time

from incident_api import create_bodies, tokens
from incident_queue import parse_args, prepare

API = "/api/v1/incidents/"


def post_all(client, bodies, headers) -> None:
    for body in bodies:
        response = client.post(API, body, content_type="application/json", headers=headers)
        if response.status_code != 201:
            sys.exit(f"POST {API} answered {response.status_code}: {response.content[:300]!r}")


def main() -> None:
    parser = parse_args(__doc__)
    parser.add_argument("--count", type=int, default=300, help="creations per phase (default %(default)s)")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key (default %(default)s)")
    parser.add_argument("--limit", type=int, default=45, help="rows of the profile (default %(default)s)")
    parser.add_argument("--dump", help="also write the raw profile to this file (for snakeviz etc.)")
    args = parser.parse_args()
    world = prepare(args)
    from django.test import Client

    _, write_token = tokens(world.agent)
    headers = {"Authorization": f"Bearer {write_token}"}
    bodies = create_bodies(world, args.count, args.seed)
    client = Client()
    post_all(client, bodies[:20], headers)  # warm: caches, compiled templates, prepared targets

    began = time.perf_counter()
    cpu_began = time.process_time()
    post_all(client, bodies, headers)
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    print(f"{args.count} creations: {1000 * wall / args.count:.2f} ms wall, "
          f"{1000 * cpu / args.count:.2f} ms CPU of this process each")

    profile = cProfile.Profile()
    profile.enable()
    post_all(client, bodies, headers)
    profile.disable()
    if args.dump:
        profile.dump_stats(args.dump)
    stats = pstats.Stats(profile)
    stats.sort_stats(args.sort).print_stats(args.limit)


if __name__ == "__main__":
    main()
