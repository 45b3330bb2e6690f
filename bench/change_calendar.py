#!/usr/bin/env python3
"""Benchmark: the change calendar's month view with 10^4 changes in the month.

Uses the database of bench/change_collisions.py (`itsm_bench_changes`, seeded by it when missing:
10^5 changes in SCHEDULING_STATES over a year, 10^4 of them starting in one month, 26 blackout and
maintenance windows, a CMDB of 10^5 CIs). The range is what FullCalendar's month view asks for:
the six weeks around that month (so a little more than 10^4 changes meet it).

Measured in one process with production settings (DEBUG off, PostgreSQL), after a warm-up,
`--runs` times each; CPU is this process's (time.process_time) and its PostgreSQL backend's
(utime + stime from /proc), per run, beside a baseline (SELECT 1):

  baseline          one SELECT 1 round trip
  changes read      changes.calendar.calendar_changes: the rows alone
  events            changes.calendar.calendar_events: the rows, windows expanded, instants in ms
  GET month         GET /api/v1/changes/calendar/events/?start=&end= through Django's test client
                    (middleware, a staff session, DRF, JSON rendering): what the page's script waits for
  GET month, group  the same filtered by one assignment group (a tenth of the changes)

Prints the events and bytes of a response, the queries of the GET, and the plan of the changes
query. `.venv/bin/python bench/change_calendar.py --help`; record the figures in bench/results.md.

Target (issue 14): the month view under 300 ms.
"""

import os
import sys
import time
from datetime import timedelta

import change_collisions as seeding
from api_list import git, machine

MONTH_VIEW = timedelta(days=42)


def month_range(now):
    """FullCalendar's month view of the seeded month: from the Monday on or before its first day, six weeks."""
    first = (now + timedelta(days=seeding.MONTH_START + 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    start = first - timedelta(days=first.weekday())
    return start, start + MONTH_VIEW


def reader():
    from django.contrib.auth.models import Group

    from itsm.choices import Role
    from itsm.models import User

    user, _ = User.objects.get_or_create(username="bench-calendar", defaults={"first_name": "Bench"})
    user.groups.add(Group.objects.get_or_create(name=Role.CHANGE_MANAGER)[0])
    return user


def plan(user, start, end) -> str:
    from django.db import connection

    from changes.calendar import calendar_changes

    sql, params = calendar_changes(user, start, end).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(f"    {row[0]}" for row in cursor.fetchall())


def main() -> None:
    args = seeding.parse_args(__doc__).parse_args()
    load_before = os.getloadavg()[0]
    seeding.setup(args)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from changes.calendar import calendar_changes, calendar_events
    from changes.models import Change
    from itsm.models import Team

    actor, _team = seeding.seed_cmdb(args)
    actor = seeding.admin_of(actor)
    if args.reseed or not seeding.seeded(args):
        seeding.wipe()
        seeding.seed_changes(args, actor)
    change = seeding.subject_change(args, actor)
    seeding.seed_windows(args, actor, list(change.cis.values_list("pk", flat=True)))
    seeded_at = Change.objects.filter(number=f"{seeding.NUMBER_PREFIX}{1:08d}").values_list(
        "created_at", flat=True).get()
    start, end = month_range(seeded_at)
    user = reader()
    team = Team.objects.filter(name="Bench change team 0").values_list("pk", flat=True).get()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    url = "/api/v1/changes/calendar/events/"
    query = {"start": start.isoformat(), "end": end.isoformat()}

    def select_one():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    def get(extra=None):
        response = client.get(url, {**query, **(extra or {})})
        assert response.status_code == 200, response.content[:300]
        return response

    rows = [
        ("baseline (SELECT 1)", seeding.measure(select_one, args.runs)),
        ("changes read (calendar_changes)", seeding.measure(lambda: list(calendar_changes(user, start, end)),
                                                              args.runs)),
        ("events (calendar_events)", seeding.measure(lambda: calendar_events(user, start, end), args.runs)),
        ("GET month", seeding.measure(get, args.runs)),
        ("GET month, one group", seeding.measure(lambda: get({"group": team}), args.runs)),
    ]
    print()
    for label, figures in rows:
        print(seeding.line(label, figures))
    body = rows[3][1]["result"]
    data = calendar_events(user, start, end)
    in_month = Change.objects.filter(planned_start__gte=seeded_at + timedelta(days=seeding.MONTH_START),
                                     planned_start__lt=seeded_at + timedelta(days=seeding.MONTH_START
                                                                             + seeding.MONTH_DAYS)).count()
    print(f"  a month view: {len(data['changes'])} changes and {len(data['windows'])} window occurrences, "
          f"{len(body.content) / 1024:.0f} KiB of JSON; {in_month} changes start in the seeded month")
    with CaptureQueriesContext(connection) as captured:
        get()
    print(f"  queries of the GET: {len(captured)}, SQL time of each:")
    for item in captured.captured_queries:
        print(f"    {float(item['time']) * 1000:6.1f} ms  {seeding._cut(' '.join(item['sql'].split()), 110)}")
    print("  plan of the changes query:")
    print(plan(user, start, end))
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    print(f"\nmachine:   {machine()}")
    print(f"software:  Python {sys.version.split()[0]}, PostgreSQL {postgres}")
    print(f"date:      {time.strftime('%Y-%m-%d %H:%M %Z')}; 1-minute load average before the run: {load_before:.2f}")
    print(f"commit:    {commit}{' (with uncommitted changes)' if dirty else ''}")
    print(f"data:      {Change.objects.count()} changes; range {start:%Y-%m-%d} to {end:%Y-%m-%d} "
          f"(now {timezone.now():%Y-%m-%d}); {args.runs} runs after a warm-up")


if __name__ == "__main__":
    main()
