#!/usr/bin/env python3
"""Benchmark: the collision check of a change on 100 CIs against 10^5 scheduled changes and a CMDB of 10^5 CIs.

Seeds its own PostgreSQL database (`itsm_bench_changes`, once; a second run reuses it): the CMDB
of bench/cmdb_impact.py (10^5 CIs, 3 x 10^5 relationships, COPY), then 10^5 changes in
SCHEDULING_STATES (COPY; 90 % scheduled, 10 % awaiting authorisation; numbered CHGX...) over the
coming year, 10^4 of them starting in one month (`month`: 60 to 90 days from the seeding; the
calendar's benchmark, bench/change_calendar.py, reads that month), each on 1 to 5 random CIs for
1 to 8 hours, a third with an affected service; and through the product's services a global
blackout window (weekly), 5 service blackouts and 20 maintenance windows (on services and on CIs
the checked change touches). The checked change is raised through the product (change_create)
on 100 random CIs with a 4-hour window in that month.

Measured in one process with production settings, after a warm-up, `--runs` times each; CPU is
this process's (time.process_time) and its PostgreSQL backend's (utime + stime from /proc), each
per run, beside a baseline (SELECT 1):

  baseline          one SELECT 1 round trip
  walks             the CMDB walks alone: reach_from_each up and down (what the check uses) and,
                    for comparison, dependents_of + dependencies_of (path-string walk)
  detection         changes.services.collisions: find() for the change, nothing stored
  check             changes.services.conflicts.conflicts_refresh: detection, compare with the
                    stored conflicts, nothing new to write (the re-check case)
  first check       conflicts_refresh with no conflicts stored: writes every one (once)
  re-check batch    the beat's conflicts_recheck_scheduled works in batches of BATCH (200) scheduled
                    changes: one batch's first run (writes what it finds) and second run (nothing
                    new), in a transaction rolled back; × the scheduled changes / 200 = a beat run

Prints the conflicts by kind, the related CIs, the queries of a check with the SQL time of each,
and the plan of the other-changes query. `.venv/bin/python bench/change_collisions.py --help`;
record the figures in bench/results.md.

Target (issue 14): a check under 200 ms.
"""

import argparse
import io
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from api_list import create_database_if_missing, git, machine, server_environment
from incident_queue import _Rows, _text

ROOT = Path(__file__).resolve().parent.parent
NUMBER_PREFIX = "CHGX"
SUBJECT = "Bench collision subject"
MONTH_START, MONTH_DAYS = 60, 30  # the calendar's month: days from the seeding


def parse_args(description: str = __doc__) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_CHANGES_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/itsm_bench_changes"),
        help="PostgreSQL database to seed (created if missing; default %(default)s)")
    parser.add_argument("--cache-url", default="", help="cache (default: process memory)")
    parser.add_argument("--cis", type=int, default=100_000, help="CIs (default %(default)s)")
    parser.add_argument("--relationships", type=int, default=300_000, help="relationships (default %(default)s)")
    parser.add_argument("--dependents", type=int, default=10_000, help=argparse.SUPPRESS)
    parser.add_argument("--changes", type=int, default=100_000, help="scheduled changes (default %(default)s)")
    parser.add_argument("--month-changes", type=int, default=10_000,
                        help="of which starting in the calendar's month (default %(default)s)")
    parser.add_argument("--subject-cis", type=int, default=100, help="CIs of the checked change (default %(default)s)")
    parser.add_argument("--depth", type=int, default=2, help="CHANGE_CONFLICT_DEPTH (default %(default)s)")
    parser.add_argument("--runs", type=int, default=20, help="measured runs of each (default %(default)s)")
    parser.add_argument("--seed", type=int, default=20261206, help="random seed (default %(default)s)")
    parser.add_argument("--reseed", action="store_true", help="drop the seeded changes and seed them again")
    parser.set_defaults(workers=1, threads=1, port=0)  # read by api_list.server_environment; no server here
    return parser


def setup(args) -> None:
    create_database_if_missing(args.database_url)
    env = server_environment(args)
    env["CHANGE_CONFLICT_DEPTH"] = str(args.depth)
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- seeding -----------------------------------------------------------------------------------

def cmdb_args(args) -> SimpleNamespace:
    return SimpleNamespace(cis=args.cis, relationships=args.relationships, dependents=args.dependents,
                           seed=20261123)


def seed_cmdb(args):
    import cmdb_impact

    actor, team = cmdb_impact.bench_actor()
    if not cmdb_impact.seeded(cmdb_args(args)):
        cmdb_impact.wipe()
        cmdb_impact.seed(cmdb_args(args), actor, team)
    return actor, team


def signature_of(args) -> str:
    return (f"change bench: changes={args.changes} month={args.month_changes} cis={args.cis} "
            f"relationships={args.relationships} seed={args.seed}")


def seeded(args) -> bool:
    from changes.models import Change

    first = Change.objects.filter(number=f"{NUMBER_PREFIX}{1:08d}").only("description").first()
    return first is not None and first.description == signature_of(args)


def wipe() -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE gone ON COMMIT DROP AS SELECT id FROM changes_change WHERE number LIKE %s "
                       "OR short_description = %s", [f"{NUMBER_PREFIX}%", SUBJECT])
        for table in ("changes_change_cis", "changes_change_services", "changes_change_impacted_services",
                      "changes_historicalchange_cis", "changes_historicalchange_services"):
            cursor.execute(f"DELETE FROM {table} WHERE change_id IN (SELECT id FROM gone)")
        cursor.execute("DELETE FROM changes_changeconflict WHERE change_id IN (SELECT id FROM gone) "
                       "OR other_change_id IN (SELECT id FROM gone)")
        cursor.execute("DELETE FROM changes_historicalchange WHERE id IN (SELECT id FROM gone)")
        cursor.execute("DELETE FROM changes_change WHERE id IN (SELECT id FROM gone)")


def change_rows(args, base_id, actor, teams, cis, services, now):
    """(row values, its CI ids, its service id or None) of every seeded change."""
    rng = random.Random(args.seed)
    month_start = now + timedelta(days=MONTH_START)
    month_end = month_start + timedelta(days=MONTH_DAYS)
    for n in range(args.changes):
        if n < args.month_changes:
            start = month_start + timedelta(seconds=rng.random() * MONTH_DAYS * 86400)
        else:  # the rest of the year, outside the month
            day = rng.random() * (365 - MONTH_DAYS)
            start = now + timedelta(days=day if day < MONTH_START else day + MONTH_DAYS)
        start = start.replace(second=0, microsecond=0)
        end = start + timedelta(minutes=rng.randint(60, 480))
        assert not (n >= args.month_changes and month_start <= start < month_end)
        scheduled = rng.random() < 0.9
        yield {
            "id": base_id + n, "version": 1, "number": f"{NUMBER_PREFIX}{n + 1:08d}", "created_at": now,
            "updated_at": now, "created_by_id": actor.pk, "updated_by_id": actor.pk,
            "short_description": f"Bench change {n + 1}", "description": signature_of(args) if n == 0 else "",
            "change_model": "normal", "source": "manual", "requester_id": actor.pk,
            "assignment_group_id": rng.choice(teams), "risk": rng.choice(("low", "moderate", "high", "very_high")),
            "impact": 3, "planned_start": start, "planned_end": end,
            "state": "scheduled" if scheduled else "authorisation", "opened_at": now - timedelta(days=30),
            "authorised_at": now if scheduled else None, "scheduled_at": now if scheduled else None,
        }, rng.sample(cis, rng.randint(1, 5)), rng.choice(services) if rng.random() < 0.33 else None


def seed_changes(args, actor) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from changes.models import Change
    from config_items.models import ConfigurationItem
    from itsm.models import Team

    started = time.perf_counter()
    teams = [Team.objects.get_or_create(name=f"Bench change team {n}", defaults={"lead": actor})[0].pk
             for n in range(10)]
    bench_cis = list(ConfigurationItem.objects.filter(source="bench-impact").order_by("pk").values_list(
        "pk", "ci_type__is_service"))
    cis = [pk for pk, _service in bench_cis]
    services = [pk for pk, is_service in bench_cis if is_service][:200]
    fields = [f for f in Change._meta.concrete_fields]
    defaults = {f.attname: f.get_default() for f in fields}
    links, service_links = [], []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM changes_change")
        base_id = cursor.fetchone()[0]

        def lines():
            for row, ci_ids, service in change_rows(args, base_id, actor, teams, cis, services, timezone.now()):
                links.extend((row["id"], ci) for ci in ci_ids)
                if service:
                    service_links.append((row["id"], service))
                values = {**defaults, **row}
                yield ("\t".join(_text(values[f.attname]) for f in fields) + "\n").encode()

        stream = io.BufferedReader(_Rows(lines()), buffer_size=1 << 20)
        cursor.cursor.copy_expert(f"COPY changes_change ({', '.join(f.column for f in fields)}) FROM STDIN", stream)
        cursor.execute("SELECT setval(pg_get_serial_sequence('changes_change', 'id'), (SELECT MAX(id) FROM "
                       "changes_change))")
        for table, pairs in (("changes_change_cis", links), ("changes_change_services", service_links)):
            text = "".join(f"{change}\t{ci}\n" for change, ci in pairs).encode()
            cursor.cursor.copy_expert(f"COPY {table} (change_id, configurationitem_id) FROM STDIN", io.BytesIO(text))
    with connection.cursor() as cursor:
        for table in ("changes_change", "changes_change_cis", "changes_change_services"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"seeded {args.changes} changes ({len(links)} CI links) in {time.perf_counter() - started:.0f}s")


def admin_of(actor):
    from django.contrib.auth.models import Group

    from itsm.choices import Role

    for role in (Role.ADMINISTRATOR, Role.CHANGE_MANAGER):
        actor.groups.add(Group.objects.get_or_create(name=role)[0])
    return actor


def seed_windows(args, actor, subject_cis) -> None:
    """A weekly global blackout, 5 service blackouts, 20 maintenance windows (10 on services, 10 on
    the checked change's CIs), through the product's service; only the missing ones."""
    from django.utils import timezone

    from changes.models import ScheduleWindow
    from changes.services.windows import window_create
    from config_items.models import ConfigurationItem

    if ScheduleWindow.objects.filter(name__startswith="Bench ").exists():
        return
    rng = random.Random(args.seed + 1)
    services = list(ConfigurationItem.objects.filter(source="bench-impact", ci_type__is_service=True)
                    .order_by("pk").values_list("pk", flat=True)[:50])
    first = (timezone.now() - timedelta(days=7)).replace(hour=22, minute=0, second=0, microsecond=0)
    by_pk = ConfigurationItem.objects.in_bulk([*services[:15], *subject_cis[:10]])
    windows = [{"kind": "blackout", "name": "Bench weekly freeze", "rrule": "FREQ=WEEKLY;BYDAY=FR"}]
    windows += [{"kind": "blackout", "name": f"Bench service freeze {n}", "service": by_pk[services[n]],
                 "rrule": "FREQ=MONTHLY;BYMONTHDAY=1"} for n in range(5)]
    windows += [{"kind": "maintenance", "name": f"Bench service maintenance {n}", "service": by_pk[services[5 + n]],
                 "rrule": "FREQ=WEEKLY;BYDAY=SA"} for n in range(10)]
    windows += [{"kind": "maintenance", "name": f"Bench CI maintenance {n}", "ci": by_pk[subject_cis[n]],
                 "rrule": "FREQ=DAILY"} for n in range(10)]
    for data in windows:
        start = first + timedelta(hours=rng.randint(0, 6))
        window_create(actor=actor, data={**data, "start": start, "end": start + timedelta(hours=4),
                                         "time_zone": "Europe/Berlin"})


def subject_change(args, actor):
    """The checked change: raised through the product on `--subject-cis` random CIs, in the month."""
    from django.utils import timezone

    from changes.models import Change
    from changes.services.records import change_create
    from config_items.models import ConfigurationItem

    found = Change.objects.filter(short_description=SUBJECT).order_by("-pk").first()
    if found is not None and found.cis.count() == args.subject_cis:
        return found
    rng = random.Random(args.seed + 2)
    cis = list(ConfigurationItem.objects.filter(source="bench-impact").order_by("pk").values_list("pk", flat=True))
    chosen = ConfigurationItem.objects.in_bulk(rng.sample(cis, args.subject_cis))
    start = (timezone.now() + timedelta(days=MONTH_START + 10)).replace(hour=20, minute=0, second=0, microsecond=0)
    return change_create(actor=actor, data={"short_description": SUBJECT, "cis": list(chosen.values()),
                                            "planned_start": start, "planned_end": start + timedelta(hours=4)})


# --- measuring ---------------------------------------------------------------------------------

def backend_cpu() -> float:
    """CPU seconds (user + system) used so far by this connection's PostgreSQL backend."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(call, runs: int) -> dict:
    """Median and best wall ms of `runs` calls after a warm-up; CPU ms per call of this process
    and of its database backend (summed over the runs: /proc counts in 10 ms ticks)."""
    call()
    walls = []
    cpu_before, db_before = time.process_time(), backend_cpu()
    for _ in range(runs):
        began = time.perf_counter()
        result = call()
        walls.append(time.perf_counter() - began)
    cpu = (time.process_time() - cpu_before) / runs
    database = (backend_cpu() - db_before) / runs
    return {"median": statistics.median(walls) * 1000, "best": min(walls) * 1000, "cpu": cpu * 1000,
            "db_cpu": database * 1000, "result": result}


def line(label: str, figures: dict, extra: str = "") -> str:
    return (f"  {label:<44} median {figures['median']:7.2f} ms  best {figures['best']:7.2f} ms  "
            f"CPU {figures['cpu']:6.1f} ms + PostgreSQL {figures['db_cpu']:6.1f} ms{extra}")


def check_queries(change) -> list[tuple[float, str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from changes.services.conflicts import conflicts_refresh

    with CaptureQueriesContext(connection) as captured:
        conflicts_refresh(change)
    return [(float(q["time"]) * 1000, " ".join(q["sql"].split())) for q in captured.captured_queries]


def other_changes_plan(change) -> str:
    from django.db import connection

    from changes.services import collisions

    [subject] = collisions.subjects_of([(change.pk, change.planned_start, change.planned_end)])
    collisions._relate([subject])
    ci_ids = sorted(subject.cis | set(subject.related))
    queryset = collisions.CIS.objects.filter(
        configurationitem_id__in=ci_ids, change__state__in=collisions.STATES,
        change__planned_start__lt=change.planned_end, change__planned_end__gt=change.planned_start,
    ).values_list("configurationitem_id", "change_id", "change__planned_start", "change__planned_end")
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        plan = "\n".join(f"    {_cut(row[0])}" for row in cursor.fetchall())
    return f"  plan of the other-changes query ({len(ci_ids)} CIs: own and related):\n{plan}"


def recheck_batch(count: int) -> tuple[float, float, float, float, int]:
    """Wall and CPU ms of a first and a second re-check of `count` scheduled changes in the middle
    of the year (rolled back), and how many the first flagged."""
    from django.db import transaction
    from django.utils import timezone

    from changes.models import Change
    from changes.services import conflicts
    from itsm.services import system_actor

    ids = list(Change.objects.filter(state="scheduled", planned_end__gt=timezone.now())
               .order_by("planned_start", "pk").values_list("pk", flat=True))
    middle = ids[len(ids) // 2:len(ids) // 2 + count]
    actor, figures = system_actor(), []
    with transaction.atomic():
        for _ in range(2):
            began, cpu = time.perf_counter(), time.process_time()
            flagged = conflicts._recheck_batch(middle, actor)
            figures.append(((time.perf_counter() - began) * 1000, (time.process_time() - cpu) * 1000, flagged))
        transaction.set_rollback(True)
    return figures[0][0], figures[0][1], figures[1][0], figures[1][1], figures[0][2]


def _cut(text: str, width: int = 150) -> str:
    return text if len(text) <= width else text[:width - 5] + " …"


def main() -> None:
    args = parse_args().parse_args()
    load_before = os.getloadavg()[0]
    setup(args)
    from django.db import connection

    from changes.models import Change, ChangeConflict
    from changes.services import collisions
    from changes.services.conflicts import conflicts_refresh
    from config_items.selectors import DOWNSTREAM, UPSTREAM, dependencies_of, dependents_of, reach_from_each

    actor, _team = seed_cmdb(args)
    actor = admin_of(actor)
    if args.reseed or not seeded(args):
        wipe()
        seed_changes(args, actor)
    change = subject_change(args, actor)
    cis = list(change.cis.values_list("pk", flat=True))
    seed_windows(args, actor, cis)
    total = Change.objects.filter(state__in=collisions.STATES).count()

    def select_one():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    def detection():
        return collisions.find(collisions.subjects_of([(change.pk, change.planned_start, change.planned_end)]))

    def first_check():
        ChangeConflict.objects.filter(change=change).delete()
        began = time.perf_counter()
        found = conflicts_refresh(change)
        return found, (time.perf_counter() - began) * 1000

    depth = args.depth
    rows = [
        ("baseline (SELECT 1)", measure(select_one, args.runs), ""),
        ("walks: reach_from_each up + down", measure(lambda: [
            reach_from_each(cis, direction=d, depth=depth) for d in (UPSTREAM, DOWNSTREAM)], args.runs), ""),
        ("walks: dependents_of + dependencies_of", measure(lambda: [
            dependents_of(cis, depth=depth, limit=100_000), dependencies_of(cis, depth=depth, limit=100_000)],
            args.runs), ""),
        ("detection (find, nothing stored)", measure(detection, args.runs), ""),
    ]
    found, first_ms = first_check()
    rows.append(("check (conflicts_refresh, nothing new)", measure(lambda: conflicts_refresh(change), args.runs), ""))
    queries = check_queries(change)
    from changes.services.conflicts import BATCH

    batch = recheck_batch(BATCH)
    scheduled = Change.objects.filter(state="scheduled").count()
    print()
    for label, figures, extra in rows:
        print(line(label, figures, extra))
    print(f"  {'first check (writes every conflict)':<44} {first_ms:7.1f} ms (once)")
    print(f"  {'re-check batch of %d, first' % BATCH:<44} {batch[0]:7.1f} ms, CPU {batch[1]:6.1f} ms "
          f"({batch[4]} changes flagged); again {batch[2]:7.1f} ms, CPU {batch[3]:6.1f} ms; "
          f"{scheduled} scheduled: a beat run ≈ {batch[2] * scheduled / BATCH / 1000:.0f} s")
    by_kind = {}
    for conflict in found:
        by_kind[conflict.kind] = by_kind.get(conflict.kind, 0) + 1
    [subject] = collisions.subjects_of([(change.pk, change.planned_start, change.planned_end)])
    collisions._relate([subject])
    print(f"  conflicts: {by_kind}; related CIs within {depth} steps: {len(subject.related)}")
    print(f"  queries of a check: {len(queries)}, SQL time of each:")
    for ms, sql in queries:
        print(f"    {ms:6.1f} ms  {_cut(sql, 110)}")
    print(other_changes_plan(change))
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    print(f"\nmachine:   {machine()}")
    print(f"software:  Python {sys.version.split()[0]}, PostgreSQL {postgres}")
    print(f"date:      {time.strftime('%Y-%m-%d %H:%M %Z')}; 1-minute load average before the run: {load_before:.2f}")
    print(f"commit:    {commit}{' (with uncommitted changes)' if dirty else ''}")
    print(f"data:      {args.cis} CIs, {args.relationships} relationships; {total} changes in SCHEDULING_STATES; "
          f"checked change {change.number} on {len(cis)} CIs, {change.planned_start:%Y-%m-%d %H:%M}+4h; "
          f"depth {depth}; {args.runs} runs after a warm-up")


if __name__ == "__main__":
    main()
