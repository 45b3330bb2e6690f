#!/usr/bin/env python3
"""Benchmark: problem trend detection (problems.services.trend_detect) over 10^6 incidents, 50,000 in its window.

Seeds its own PostgreSQL database (`itsm_bench_trends`, once, with COPY; a second run reuses it):
10,000 CIs; 1,000,000 incidents of which 50,000 opened in the last 30 days and 950,000 over the
700 days before; 80% on one of 20 services, 70% naming one CI, a top-level category each. Short
descriptions are "<thing> <symptom>" with a place and a ticket number (about 2,400 base
complaints, Zipf-like: a few very common), and 300 planted recurring faults of 8 to 40 incidents
each in the window (one CI, one category, wording varied).

Each measured run is a fresh Python process (production settings, Django set up) so that its
peak RSS (VmHWM) and CPU time (user + system, from getrusage) are its own; the baseline is
the same process doing only the set-up and one query. Runs:

  baseline          django.setup() and SELECT 1: the floor of every row below
  window read       problems.trends.read_window (the two range reads on opened_at) and nothing else
  detection, first  trend_detect() on a database without proposals: reads, groups, writes them all
  detection, again  trend_detect() right after: the same groups, nothing to write (the hourly case)

Prints wall, CPU and peak RSS of each, the proposals per basis, and the plan of the window read.
`.venv/bin/python bench/problem_trends.py --help`; record the figures in bench/results.md.

Target (issue 13): a detection run < 10 s and < 300 MB; cost grows with the window, not the table.
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
NUMBER_PREFIX = "INCT"
CI_PREFIX = "CIT"
CIS = 10_000
SERVICES = 20
WINDOW_DAYS = 30
PLANTED = 300
THINGS = ("printer", "laptop", "vpn", "mailbox", "outlook", "teams", "sharepoint", "erp", "payroll", "crm",
          "wifi", "badge reader", "desk phone", "monitor", "docking station", "citrix", "sap", "jira", "confluence",
          "database", "file share", "backup", "antivirus", "browser", "portal", "invoice run", "scanner", "webcam",
          "headset", "keyboard", "mouse", "password reset", "account", "license", "calendar", "video call",
          "intranet", "timesheet", "expense tool", "ticket tool", "build server", "git", "kubernetes", "dns",
          "proxy", "firewall", "load balancer", "storage", "nas", "tablet", "phone app", "sso", "mfa token",
          "report", "dashboard", "data warehouse", "etl job", "print queue", "mail relay", "archive")
SYMPTOMS = ("does not start", "is very slow", "crashes", "shows error 500", "cannot connect", "times out",
            "login fails", "freezes", "drops the connection", "is unreachable", "gives wrong numbers",
            "lost my settings", "keeps asking for password", "sync fails", "disk full", "out of memory",
            "certificate expired", "not printing", "blank screen", "hangs on save", "permission denied",
            "duplicate entries", "missing data", "update failed", "license expired", "no sound", "flickers",
            "battery drains", "wrong time zone", "email bounces", "attachment too large", "quota exceeded",
            "job stuck", "export empty", "import rejected", "link broken", "page not found", "font garbled",
            "cannot install", "won't shut down")
PLACES = ("", "", "", " in building A", " in building B", " at the Shanghai office", " for the finance team",
          " since this morning", " after the update", " on the third floor")


def parse_args() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_TRENDS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/itsm_bench_trends"),
        help="PostgreSQL database to seed (created if missing; default %(default)s)")
    parser.add_argument("--cache-url", default="", help="cache (default: process memory)")
    parser.add_argument("--incidents", type=int, default=1_000_000, help="incidents in all (default %(default)s)")
    parser.add_argument("--window-incidents", type=int, default=50_000,
                        help="of which opened in the last 30 days (default %(default)s)")
    parser.add_argument("--seed", type=int, default=20261206, help="random seed (default %(default)s)")
    parser.add_argument("--reseed", action="store_true", help="drop the seeded rows and seed again")
    parser.add_argument("--child", choices=("baseline", "window", "detect"), help=argparse.SUPPRESS)
    parser.set_defaults(workers=1, threads=1, port=0)  # read by api_list.server_environment; no server here
    return parser


def setup(args, *, migrate: bool) -> dict:
    create_database_if_missing(args.database_url) if migrate else None
    env = server_environment(args)
    if migrate:
        subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env,
                       check=True)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    return env


# --- seeding -----------------------------------------------------------------------------------

def signature_of(args) -> str:
    return f"trend bench: incidents={args.incidents} window={args.window_incidents} seed={args.seed}"


def seeded(args) -> bool:
    from incidents.models import Incident

    first = Incident.objects.filter(number=f"{NUMBER_PREFIX}{1:08d}").only("description").first()
    return first is not None and first.description == signature_of(args)


def wipe() -> None:
    from django.db import connection, transaction

    from problems.models import TrendProposal

    with transaction.atomic(), connection.cursor() as cursor:
        for table in ("problems_trendproposal_incidents", "problems_historicaltrendproposal_incidents",
                      "problems_historicaltrendproposal", TrendProposal._meta.db_table):
            cursor.execute(f"DELETE FROM {table}")
        cursor.execute("DELETE FROM incidents_incident_cis WHERE incident_id IN "
                       "(SELECT id FROM incidents_incident WHERE number LIKE %s)", [f"{NUMBER_PREFIX}%"])
        cursor.execute("DELETE FROM incidents_incident WHERE number LIKE %s", [f"{NUMBER_PREFIX}%"])


def world():
    """The admin who 'created' the rows, the services, CIs and top-level categories."""
    from config_items.models import CIType, ConfigurationItem
    from incidents.models import Category
    from itsm.models import User

    admin, _ = User.objects.get_or_create(username="bench-trends-admin", defaults={"first_name": "Bench"})
    service_type = CIType.objects.filter(is_service=True).order_by("pk").first()
    app_type = CIType.objects.filter(is_service=False).order_by("pk").first()
    existing = set(ConfigurationItem.objects.filter(number__startswith=CI_PREFIX).values_list("number", flat=True))
    rows = [ConfigurationItem(number=f"{CI_PREFIX}{n:07d}", name=f"Trend bench {'service' if n < SERVICES else 'ci'} "
                              f"{n}", ci_type=service_type if n < SERVICES else app_type, status="live",
                              created_by=admin, updated_by=admin)
            for n in range(SERVICES + CIS) if f"{CI_PREFIX}{n:07d}" not in existing]
    ConfigurationItem.objects.bulk_create(rows, batch_size=2000)  # no history: bench rows, as the COPY below
    ids = list(ConfigurationItem.objects.filter(number__startswith=CI_PREFIX).order_by("number")
               .values_list("pk", flat=True))
    categories = list(Category.objects.filter(parent__isnull=True).values_list("pk", flat=True))
    return admin, ids[:SERVICES], ids[SERVICES:], categories


def zipf_choice(rng, items, s=1.1):
    weights = [1 / (rank + 1) ** s for rank in range(len(items))]
    return lambda: rng.choices(items, weights=weights)[0]


def incident_rows(args, admin, services, cis, categories, now):
    """(row values, ci id or None) of every seeded incident, oldest first."""
    rng = random.Random(args.seed)
    thing, symptom = zipf_choice(rng, THINGS), zipf_choice(rng, SYMPTOMS)
    planted = [(rng.choice(cis), rng.choice(categories), f"{rng.choice(THINGS)} {rng.choice(SYMPTOMS)}",
                rng.randint(8, 40)) for _ in range(PLANTED)]
    window = [("planted", fault) for fault in planted for _ in range(fault[3])]
    window += [("random", None)] * max(args.window_incidents - len(window), 0)
    older = args.incidents - len(window)
    ages = sorted([WINDOW_DAYS + rng.random() * 700 for _ in range(older)]
                  + [rng.random() * WINDOW_DAYS for _ in range(len(window))], reverse=True)
    rng.shuffle(window)
    in_window = iter(window)
    for n, age in enumerate(ages, start=1):
        kind, fault = next(in_window) if age < WINDOW_DAYS else ("random", None)
        if kind == "planted":
            ci, category, text = fault[0], fault[1], fault[2] + rng.choice(PLACES)
        else:
            ci = rng.choice(cis) if rng.random() < 0.7 else None
            category, text = rng.choice(categories), f"{thing()} {symptom()}{rng.choice(PLACES)}"
        opened = now - timedelta(days=age)
        closed = age > 5
        yield {
            "version": 1, "number": f"{NUMBER_PREFIX}{n:08d}", "created_at": opened, "updated_at": opened,
            "created_by_id": admin.pk, "updated_by_id": admin.pk,
            "short_description": f"{text.capitalize()} (ticket {n})"[:200],
            "description": signature_of(args) if n == 1 else "",
            "contact_name": "Bench caller", "service_id": rng.choice(services) if rng.random() < 0.8 else None,
            "category_id": category, "impact": 3, "urgency": 3, "priority": 5,
            "state": "closed" if closed else "in_progress", "opened_at": opened,
            "resolved_at": opened + timedelta(hours=4) if closed else None,
            "closed_at": opened + timedelta(days=3) if closed else None,
            "resolution_code": "solved_permanently" if closed else "", "resolution_notes": "Fixed." if closed else "",
        }, ci


def seed(args) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from incidents.models import Incident

    started = time.perf_counter()
    admin, services, cis, categories = world()
    fields = [f for f in Incident._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    table = Incident._meta.db_table
    links = []

    def lines():
        for row, ci in incident_rows(args, admin, services, cis, categories, timezone.now()):
            if ci is not None:
                links.append((row["number"], ci))
            values = {**defaults, **row}
            yield ("\t".join(_text(values[f.attname]) for f in fields) + "\n").encode()

    with transaction.atomic(), connection.cursor() as cursor:
        stream = io.BufferedReader(_Rows(lines()), buffer_size=1 << 20)
        cursor.cursor.copy_expert(f"COPY {table} ({', '.join(f.column for f in fields)}) FROM STDIN", stream)
        cursor.execute("CREATE TEMP TABLE bench_links (number varchar(16), ci bigint) ON COMMIT DROP")
        text = "".join(f"{number}\t{ci}\n" for number, ci in links).encode()
        cursor.cursor.copy_expert("COPY bench_links FROM STDIN", io.BytesIO(text))
        cursor.execute("INSERT INTO incidents_incident_cis (incident_id, configurationitem_id) "
                       f"SELECT i.id, l.ci FROM bench_links l JOIN {table} i ON i.number = l.number")
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("VACUUM ANALYZE incidents_incident_cis")
    print(f"seeded {args.incidents} incidents ({len(links)} CI links) in {time.perf_counter() - started:.0f}s")


# --- measuring ---------------------------------------------------------------------------------

def child(args) -> None:
    """One measured run in this fresh process: prints one JSON line."""
    setup(args, migrate=False)
    from django.db import connection

    from problems import services, trends

    started, cpu_before = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    result = {}
    if args.child == "baseline":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    elif args.child == "window":
        from django.utils import timezone

        window = trends.read_window(timezone.now() - timedelta(days=WINDOW_DAYS))
        result["rows"] = len(window.rows)
    else:
        from collections import Counter

        proposals = services.trend_detect(window_days=WINDOW_DAYS, threshold=3)
        result["written"] = len(proposals)
        result["by_basis"] = dict(Counter(p.basis for p in proposals))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result.update(wall=time.perf_counter() - started,
                  cpu=(usage.ru_utime - cpu_before.ru_utime) + (usage.ru_stime - cpu_before.ru_stime),
                  peak_rss_mb=peak_rss_mb())
    print(json.dumps(result))


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM): unlike ru_maxrss, which Linux carries over
    execve from the parent (the seeding process), it starts afresh with the new program."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(name: str, args) -> dict:
    command = [sys.executable, __file__, "--child", name, "--database-url", args.database_url,
               "--cache-url", args.cache_url]
    output = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def window_plan() -> str:
    from django.db import connection
    from django.utils import timezone

    from incidents.models import Incident
    from problems.models import ProblemIncident

    since = timezone.now() - timedelta(days=WINDOW_DAYS)
    queryset = Incident.objects.filter(opened_at__gte=since).order_by().exclude(pk__in=ProblemIncident.objects.filter(
        incident__opened_at__gte=since).values("incident_id")).values_list("pk", "service_id", "category_id",
                                                                            "short_description")
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(f"    {row[0]}" for row in cursor.fetchall())


def main() -> None:
    args = parse_args().parse_args()
    if args.child:
        child(args)
        return
    load_before = os.getloadavg()[0]
    setup(args, migrate=True)
    if args.reseed or not seeded(args):
        wipe()
        seed(args)
    else:
        wipe_proposals()
    from incidents.models import Incident

    total = Incident.objects.count()
    runs = {}
    for label, name in (("baseline (set-up + SELECT 1)", "baseline"), ("window read only", "window"),
                        ("detection, first run", "detect"), ("detection, again (nothing new)", "detect")):
        runs[label] = run_child(name, args)
        r = runs[label]
        extra = {k: v for k, v in r.items() if k not in ("wall", "cpu", "peak_rss_mb")}
        print(f"  {label:<32} wall {r['wall']:6.2f} s  CPU {r['cpu']:6.2f} s  peak RSS {r['peak_rss_mb']:6.0f} MB  "
              f"{extra}")
    print("  plan of the window read:")
    print(window_plan())
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    print(f"\nmachine:   {machine()}")
    print(f"date:      {time.strftime('%Y-%m-%d %H:%M %Z')}; 1-minute load average before the run: {load_before:.2f}")
    print(f"commit:    {commit}")
    print(f"data:      {total} incidents, {runs['window read only']['rows']} unlinked in the last {WINDOW_DAYS} days")


def wipe_proposals() -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for table in ("problems_trendproposal_incidents", "problems_historicaltrendproposal_incidents",
                      "problems_historicaltrendproposal", "problems_trendproposal"):
            cursor.execute(f"DELETE FROM {table}")
        cursor.execute("DELETE FROM itsm_domainevent WHERE name = 'problem.trends_detected'")


if __name__ == "__main__":
    main()
