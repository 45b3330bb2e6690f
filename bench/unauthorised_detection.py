#!/usr/bin/env python3
"""Benchmark: unauthorised-change detection (changes.services.unauthorised.unauthorised_detect)
over 10^6 CI history rows, then again after N new rows: the cost must follow the new history.

Seeds its own PostgreSQL database (`itsm_bench_unauthorised`, once, with COPY; a second run reuses
it): 10,000 live CIs and 1,000,000 rows of their history (a "+" row each, then updates, oldest
first). 99.9 % of the updates are a discovery tool's synchronisations (source "bench-discovery",
marked exempt); 0.1 % are people's edits of the description, which detection reports.

Each measured run is a fresh Python process (production settings) so that its peak RSS (VmHWM)
and CPU time (user + system, getrusage) are its own. Runs:

  baseline           django.setup() and SELECT 1: the floor of every row below
  first run          unauthorised_detect() with no cursor: reads all 10^6 rows
  again, nothing new the same right after (the every-few-minutes case with a quiet CMDB)
  after N new rows   N more history rows appended (COPY, not measured), then a run; for each --new N

Prints wall, CPU, peak RSS, history rows read and exceptions found per run. Record the figures in
bench/results.md. `.venv/bin/python bench/unauthorised_detection.py --help`.

Target (issue 14): cost grows with the new history since the last run, not with the table.
"""

import argparse
import io
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from api_list import create_database_if_missing, git, machine, server_environment
from incident_queue import _Rows, _text

ROOT = Path(__file__).resolve().parent.parent
CI_PREFIX = "CIU"
CIS = 10_000
SOURCE = "bench-discovery"
PEOPLE_SHARE = 0.001


def parse_args() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_UNAUTHORISED_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/itsm_bench_unauthorised"),
        help="PostgreSQL database to seed (created if missing; default %(default)s)")
    parser.add_argument("--cache-url", default="", help="cache (default: process memory)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="CI history rows seeded (default %(default)s)")
    parser.add_argument("--new", type=int, nargs="*", default=[1_000, 10_000, 100_000],
                        help="new rows appended before each later run (default %(default)s)")
    parser.add_argument("--seed", type=int, default=20261206, help="random seed (default %(default)s)")
    parser.add_argument("--reseed", action="store_true", help="drop the seeded rows and seed again")
    parser.add_argument("--child", choices=("baseline", "detect"), help=argparse.SUPPRESS)
    parser.set_defaults(workers=1, threads=1, port=0)  # read by api_list.server_environment; no server here
    return parser


def setup(args, *, migrate: bool) -> None:
    if migrate:
        create_database_if_missing(args.database_url)
    env = server_environment(args)
    if migrate:
        subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env,
                       check=True)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- seeding -----------------------------------------------------------------------------------

def world():
    """The people and discovery's exempt source; the live CIs (without history: the COPY writes it)."""
    from changes.models import ExemptSource
    from config_items.models import CIType, ConfigurationItem
    from itsm.models import User

    admin, _ = User.objects.get_or_create(username="bench-unauthorised-admin", defaults={"first_name": "Bench"})
    ExemptSource.objects.get_or_create(source=SOURCE, defaults={"reason": "Benchmark discovery."})
    server = CIType.objects.get(slug="server")
    existing = ConfigurationItem.objects.filter(number__startswith=CI_PREFIX).count()
    if existing < CIS:
        ConfigurationItem.objects.bulk_create([
            ConfigurationItem(number=f"{CI_PREFIX}{n:07d}", name=f"bench server {n}", ci_type=server, status="live",
                              source=SOURCE, external_id=f"srv-{n}", attributes={"hostname": f"srv-{n}"},
                              created_by=admin, updated_by=admin)
            for n in range(existing, CIS)], batch_size=2000)
    cis = list(ConfigurationItem.objects.filter(number__startswith=CI_PREFIX).order_by("number")
               .values("pk", "number", "name", "ci_type_id", "external_id", "created_at"))
    return admin, cis


def history_lines(cis, admin, count, start, end, rng, first_rows: bool):
    """COPY lines of `count` history rows spread over [start, end), oldest first; with
    `first_rows`, each CI's first row is its creation ("+")."""
    step = (end - start) / max(count, 1)
    seen = set() if first_rows else {ci["pk"] for ci in cis}
    for n in range(count):
        ci = cis[n % len(cis)]
        when = start + step * n
        created = ci["pk"] not in seen
        seen.add(ci["pk"])
        person = not created and rng.random() < PEOPLE_SHARE
        values = [
            ci["pk"], n + 2, ci["number"], ci["created_at"], when, ci["name"], "live", "production",
            f"edited by hand {n}" if person else "", json.dumps({"hostname": f"srv-{ci['pk']}", "uptime": n}),
            SOURCE, ci["external_id"], "", "", admin.pk, admin.pk, ci["ci_type_id"], None, None, when,
            "updated" if person else ("discovered" if created else "synchronised"), "+" if created else "~",
            admin.pk,
        ]
        yield ("\t".join(_text(v) for v in values) + "\n").encode()


HISTORY_COLUMNS = ("id", "version", "number", "created_at", "updated_at", "name", "status", "environment",
                   "description", "attributes", "source", "external_id", "hours_of_service", "catalogue_status",
                   "created_by_id", "updated_by_id", "ci_type_id", "owner_team_id", "service_owner_id",
                   "history_date", "history_change_reason", "history_type", "history_user_id")


def append_history(count, start, end, *, seed, first_rows=False) -> None:
    from django.db import connection, transaction

    from config_items.models import ConfigurationItem

    admin, cis = world()
    table = ConfigurationItem.history.model._meta.db_table
    lines = history_lines(cis, admin, count, start, end, random.Random(seed), first_rows)
    with transaction.atomic(), connection.cursor() as cursor:
        stream = io.BufferedReader(_Rows(lines), buffer_size=1 << 20)
        cursor.cursor.copy_expert(f"COPY {table} ({', '.join(HISTORY_COLUMNS)}) FROM STDIN", stream)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")


def signature() -> str:
    return "unauthorised bench"


def seeded(args) -> bool:
    from config_items.models import ConfigurationItem

    history = ConfigurationItem.history.model
    return history.objects.filter(number__startswith=CI_PREFIX).count() >= args.rows


def wipe(history_too: bool) -> None:
    from django.db import connection, transaction

    from changes.models import DetectionCursor, UnauthorisedChange
    from config_items.models import ConfigurationItem

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {UnauthorisedChange.history.model._meta.db_table}")
        cursor.execute(f"DELETE FROM {UnauthorisedChange._meta.db_table}")
        cursor.execute(f"DELETE FROM {DetectionCursor._meta.db_table}")
        if history_too:
            cursor.execute(f"DELETE FROM {ConfigurationItem.history.model._meta.db_table} WHERE number LIKE %s",
                           [f"{CI_PREFIX}%"])


# --- measuring ---------------------------------------------------------------------------------

def child(args) -> None:
    """One measured run in this fresh process: prints one JSON line."""
    setup(args, migrate=False)
    from datetime import timedelta as delta

    from django.db import connection

    from changes.models import DetectionCursor
    from changes.services.unauthorised import unauthorised_detect

    before = dict(DetectionCursor.objects.values_list("name", "last_history_id"))
    started, cpu_before = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    result = {}
    if args.child == "baseline":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    else:
        result["found"] = unauthorised_detect(settle=delta(0))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    after = dict(DetectionCursor.objects.values_list("name", "last_history_id"))
    name = "config_items.configurationitem"
    from config_items.models import ConfigurationItem

    result["read"] = ConfigurationItem.history.model.objects.filter(
        history_id__gt=before.get(name, 0), history_id__lte=after.get(name, 0)).count()
    result.update(wall=time.perf_counter() - started,
                  cpu=(usage.ru_utime - cpu_before.ru_utime) + (usage.ru_stime - cpu_before.ru_stime),
                  peak_rss_mb=peak_rss_mb())
    print(json.dumps(result))


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(name: str, args) -> dict:
    command = [sys.executable, __file__, "--child", name, "--database-url", args.database_url,
               "--cache-url", args.cache_url]
    output = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def report(label: str, r: dict) -> None:
    print(f"  {label:<30} wall {r['wall']:7.2f} s  CPU {r['cpu']:7.2f} s  peak RSS {r['peak_rss_mb']:5.0f} MB  "
          f"rows read {r['read']:>9}  exceptions {r.get('found', '-')}")


def main() -> None:
    args = parse_args().parse_args()
    if args.child:
        child(args)
        return
    load_before = os.getloadavg()[0]
    setup(args, migrate=True)
    from django.utils import timezone

    now = timezone.now()
    if args.reseed or not seeded(args):
        wipe(history_too=True)
        started = time.perf_counter()
        append_history(args.rows, now - timedelta(days=400), now - timedelta(days=1), seed=args.seed,
                       first_rows=True)
        print(f"seeded {args.rows} CI history rows in {time.perf_counter() - started:.0f}s")
    else:
        wipe(history_too=False)
    report("baseline (set-up + SELECT 1)", run_child("baseline", args))
    report("first run (no cursor yet)", run_child("detect", args))
    report("again, nothing new", run_child("detect", args))
    for index, count in enumerate(args.new):
        moment = timezone.now()
        append_history(count, moment - timedelta(hours=1), moment - timedelta(minutes=5), seed=args.seed + index + 1)
        report(f"after {count} new rows", run_child("detect", args))
    from config_items.models import ConfigurationItem

    total = ConfigurationItem.history.model.objects.count()
    print(f"\nmachine:   {machine()}")
    print(f"date:      {time.strftime('%Y-%m-%d %H:%M %Z')}; 1-minute load average before the run: {load_before:.2f}")
    print(f"commit:    {git('rev-parse', '--short', 'HEAD') or 'unknown'}")
    print(f"data:      {total} CI history rows at the end ({CIS} live CIs); people's edits {PEOPLE_SHARE:.1%}")


if __name__ == "__main__":
    main()
