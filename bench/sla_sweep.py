#!/usr/bin/env python3
"""Benchmark: the SLA escalation sweep (slas.tasks.sweep_timers) over 10^5 to 10^6 running timers.

Seeds its own PostgreSQL database (itsm_bench_sla, dropped at the end unless --keep) with running
resolution timers by COPY: synthetic record ids of the incident content type (no incidents: the
sweep reads timers, and only touches a record to act on an escalation), next checks spread over
the next 30 days. Then it measures, with production settings (DJANGO_DEBUG=0):

(a) a sweep with nothing due, called in-process as the worker calls it: median and p95 of --runs
    runs at each size of --sizes, and the plan of its query (EXPLAIN: the partial index
    timer_next_check);
(b) a sweep over --due due timers (each past its breach, with the default escalation steps:
    50/75/90 % and the breach) in a separate process: wall time, timers checked, escalation rows,
    and the process's peak RSS (VmHWM; resource.getrusage's ru_maxrss overstates it, see child_sweep);
(c) breach detection delay under a real `celery worker` and `celery beat` (production schedule:
    a sweep every 10 s) on Redis: --delay-timers timers whose goal runs out at known instants
    spread over --delay-window seconds; delay = done_at of Escalation(threshold=100, action=record)
    minus the timer's breached_at; p50/p99/max;
(d) the managers' dashboard (slas.reports.dashboard and one page of breaches, as the page reads
    them) over --outcomes timers with an outcome (met or breached) in its default period (the
    last 12 weeks) beside the running ones: median wall time, CPU time of this process and of its
    PostgreSQL backend, and queries, of --dashboard-runs runs.

CPU times are given with the CPU model: (a) and (d) in-process (time.process_time, and the
backend's utime + stime from /proc), (b) the sweeping process's own and its backend's.

Timers of (b) and (c) point at no record: their escalation actions are recorded with the outcome
"no record type registered" (no journal entry or email), so (b) measures the engine's own work.

Targets (issue 5): (a) < 20 ms and flat; (b) < 10 s and < 300 MB; (c) p99 < sweep interval + 5 s.
Run it with `.venv/bin/python bench/sla_sweep.py --help`; record figures in bench/results.md.
"""

import argparse
import io
import json
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from api_list import create_database_if_missing, git, machine, percentile

ROOT = Path(__file__).resolve().parent.parent


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_SLA_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/itsm_bench_sla"),
        help="PostgreSQL database to create, seed and drop (default %(default)s)")
    parser.add_argument("--broker-url", default=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12"),
                        help="Redis broker of the worker and beat of (c) (default %(default)s)")
    parser.add_argument("--sizes", default="100000,500000,1000000",
                        help="running timers for (a), comma-separated, increasing (default %(default)s)")
    parser.add_argument("--runs", type=int, default=50, help="sweeps measured per size in (a) (default %(default)s)")
    parser.add_argument("--due", type=int, default=10_000, help="due timers in (b) (default %(default)s)")
    parser.add_argument("--delay-timers", type=int, default=300, help="timers breaching in (c) (default %(default)s)")
    parser.add_argument("--delay-window", type=float, default=60,
                        help="seconds over which they breach in (c) (default %(default)s)")
    parser.add_argument("--outcomes", type=int, default=200_000,
                        help="timers met or breached in the dashboard's period for (d) (default %(default)s)")
    parser.add_argument("--dashboard-runs", type=int, default=10,
                        help="dashboard reads measured in (d) (default %(default)s)")
    parser.add_argument("--skip-delay", action="store_true", help="skip (c), the minute under worker and beat")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--child-sweep", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def environment(args) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "itsm.settings",
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": "bench-sla-" + uuid.uuid4().hex,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": args.database_url,
        "CELERY_BROKER_URL": args.broker_url,
        "ITSM_VAR_DIR": os.environ.get("ITSM_VAR_DIR") or tempfile.mkdtemp(prefix="itsm-bench-sla-"),
        "LOG_LEVEL": "WARNING",
    }


def setup_django(env: dict, migrate: bool) -> None:
    if migrate:
        subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env,
                       check=True)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def backend_cpu() -> float:
    """CPU seconds (user + system) used so far by this connection's PostgreSQL backend."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- seeding ----------------------------------------------------------------------------------

def bench_targets():
    """The agreement and two resolution targets on the 24×7 calendar: default escalation steps
    (50/75/90 % and the breach) for (a) and (b); the breach only for (c)."""
    from datetime import date

    from itsm.services import system_actor
    from slas import services
    from slas.models import Calendar

    actor = system_actor()
    always = Calendar.objects.get(name="24×7")
    agreement = services.agreement_create(actor=actor, data={"name": "Bench", "valid_from": date(2020, 1, 1)})
    common = {"agreement": agreement, "calendar": always, "record_type": "incident", "metric": "resolution"}
    default = services.target_create(actor=actor, data={**common, "name": "Resolve", "goal": timedelta(hours=8)})
    breach_only = services.target_create(actor=actor, data={
        **common, "name": "Resolve P1", "goal": timedelta(hours=2), "priorities": [1],
        "escalations": [{"percent": 100, "actions": [{"kind": "notify_assignee"}]}]})
    return default, breach_only, services.current_version(always)


def copy_timers(target, version, first_id: int, count: int, rng: random.Random) -> None:
    """COPY `count` running timers with object ids first_id..; next checks over the next 30 days."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.utils import timezone

    from incidents.models import Incident

    content_type = ContentType.objects.get_for_model(Incident).pk
    now = timezone.now()
    goal = target.goal
    columns = ["content_type_id", "object_id", "metric", "target_id", "calendar_version_id", "goal", "state",
               "running", "pause_reason", "started_at", "elapsed", "counted_until", "due_at", "next_check_at",
               "updated_at"]
    buffer = io.StringIO()
    for object_id in range(first_id, first_id + count):
        started = now - timedelta(seconds=rng.uniform(0, 3600))
        check = now + timedelta(seconds=rng.uniform(3600, 30 * 86400))
        buffer.write(f"{content_type}\t{object_id}\tresolution\t{target.pk}\t{version.pk}\t"
                     f"{int(goal.total_seconds())} seconds\trunning\tt\t\t{started.isoformat()}\t0 seconds\t"
                     f"{started.isoformat()}\t{check.isoformat()}\t{check.isoformat()}\t{now.isoformat()}\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY slas_timer ({', '.join(columns)}) FROM STDIN", buffer)
        cursor.execute("ANALYZE slas_timer")


# --- (a) nothing due --------------------------------------------------------------------------

def measure_idle(runs: int) -> tuple[float, float, float]:
    """Median and p95 wall ms of `runs` idle sweeps, and their mean CPU ms (process + backend)."""
    from slas.tasks import sweep_timers

    for _ in range(3):  # warm-up
        sweep_timers()
    durations = []
    cpu_before, backend_before = time.process_time(), backend_cpu()
    for _ in range(runs):
        started = time.perf_counter()
        result = sweep_timers()
        durations.append((time.perf_counter() - started) * 1000)
        assert result == {"checked": 0, "escalations": 0}, result
    cpu = (time.process_time() - cpu_before + backend_cpu() - backend_before) * 1000 / runs
    durations.sort()
    return statistics.median(durations), percentile(durations, 0.95), cpu


def sweep_plan() -> str:
    from django.utils import timezone

    from slas.models import Timer
    from slas.services import SWEEP_BATCH

    query = Timer.objects.filter(next_check_at__lte=timezone.now()).order_by("next_check_at")
    return query.values_list("pk", flat=True)[:SWEEP_BATCH].explain(analyze=True)


# --- (b) 10,000 due ---------------------------------------------------------------------------

def make_due(target, count: int) -> list[int]:
    """`count` of the seeded timers ran ten hours of their eight-hour goal, unseen by the sweep."""
    from django.utils import timezone

    from slas.models import Timer

    now = timezone.now()
    ids = list(Timer.objects.filter(target=target).order_by("?").values_list("pk", flat=True)[:count])
    Timer.objects.filter(pk__in=ids).update(counted_until=now - timedelta(hours=10), elapsed=timedelta(0),
                                            due_at=now - timedelta(hours=2), next_check_at=now - timedelta(minutes=1))
    return ids


def child_sweep() -> None:
    """Run in a separate process: one worker task's sweep; print time, counts and peak RSS."""
    from django.db import connection

    from slas.tasks import sweep_timers

    connection.ensure_connection()
    backend_before = backend_cpu()
    started, cpu_started = time.perf_counter(), time.process_time()
    result = sweep_timers()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    backend = backend_cpu() - backend_before
    # VmHWM: the peak RSS of this process's own memory. ru_maxrss is printed too, but on Linux it
    # keeps the high-water mark of the forked copy of the parent from before exec (the parent
    # holds the COPY buffers of a million rows), so it overstates the sweep's memory.
    status = Path("/proc/self/status").read_text()
    hwm_kib = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({**result, "seconds": seconds, "cpu_seconds": cpu, "backend_cpu_seconds": backend,
                      "peak_rss_mb": hwm_kib / 1024, "ru_maxrss_mb": peak_kib / 1024}))


# --- (c) detection delay under worker + beat --------------------------------------------------

def breaching_timers(target, version, count: int, window: float, first_id: int) -> tuple[list[int], object]:
    """`count` timers whose goal runs out at instants spread over the next `window` seconds
    (from 10 s from now, while the worker and beat start)."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from incidents.models import Incident
    from slas.models import Timer

    now = timezone.now()
    start = now + timedelta(seconds=10)
    content_type = ContentType.objects.get_for_model(Incident)
    timers = []
    for n in range(count):
        due = start + timedelta(seconds=window * n / count)
        timers.append(Timer(content_type=content_type, object_id=first_id + n, metric="resolution", target=target,
                            calendar_version=version, goal=target.goal, started_at=now, counted_until=now,
                            elapsed=target.goal - (due - now), due_at=due, next_check_at=due))
    Timer.objects.bulk_create(timers, batch_size=1000)
    return [pk for pk in Timer.objects.filter(object_id__gte=first_id, object_id__lt=first_id + count,
                                               target=target).values_list("pk", flat=True)], start + timedelta(
        seconds=window)


def start_celery(env: dict, kind: str, log_dir: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "itsm", kind, "--loglevel", "INFO"]
    if kind == "worker":
        command += ["--concurrency", "2", "--without-mingle", "--without-gossip"]
    else:
        command += ["--schedule", str(log_dir / "beat-schedule")]
    log = open(log_dir / f"{kind}.log", "wb")  # noqa: SIM115  closed with the process
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def measure_delay(env: dict, target, version, count: int, window: float) -> dict:
    from slas.models import Escalation, Timer

    ids, last_due = breaching_timers(target, version, count, window, first_id=50_000_000)
    log_dir = Path(tempfile.mkdtemp(prefix="itsm-bench-sla-celery-"))
    celery_env = {**env, "CELERY_TASK_DEFAULT_QUEUE": f"bench-sla-{uuid.uuid4().hex[:8]}"}
    worker = start_celery(celery_env, "worker", log_dir)
    beat = start_celery(celery_env, "beat", log_dir)
    try:
        from django.utils import timezone

        deadline = last_due + timedelta(seconds=60)
        while Escalation.objects.filter(timer_id__in=ids, threshold=100, action="record").count() < len(ids):
            if timezone.now() > deadline or worker.poll() is not None or beat.poll() is not None:
                break
            time.sleep(1)
    finally:
        stop(beat)
        stop(worker)
    breached = dict(Timer.objects.filter(pk__in=ids).values_list("pk", "breached_at"))
    delays = sorted((e.done_at - breached[e.timer_id]).total_seconds()
                    for e in Escalation.objects.filter(timer_id__in=ids, threshold=100, action="record"))
    return {"timers": len(ids), "detected": len(delays), "logs": str(log_dir),
            "p50": percentile(delays, 0.50) if delays else None, "p99": percentile(delays, 0.99) if delays else None,
            "max": delays[-1] if delays else None, "min": delays[0] if delays else None}


# --- (d) the dashboard ------------------------------------------------------------------------

def copy_outcomes(target, version, first_id: int, count: int, rng: random.Random) -> None:
    """COPY `count` stopped timers with an outcome in the last 12 weeks: 80 % met, 20 % breached,
    over 20 customers, 30 teams and 5 priorities (the dashboard's groups)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.utils import timezone

    from incidents.models import Incident
    from itsm.models import Customer, Team

    customers = [Customer.objects.create(code=f"bench-{n}", name=f"Bench customer {n}").pk for n in range(20)]
    teams = [Team.objects.create(name=f"Bench team {n}").pk for n in range(30)]
    content_type = ContentType.objects.get_for_model(Incident).pk
    now = timezone.now()
    goal = target.goal
    columns = ["content_type_id", "object_id", "metric", "target_id", "calendar_version_id", "goal", "state",
               "running", "pause_reason", "started_at", "stopped_at", "elapsed", "counted_until", "due_at",
               "breached_at", "customer_id", "team_id", "priority", "updated_at"]
    buffer = io.StringIO()
    for object_id in range(first_id, first_id + count):
        started = now - timedelta(days=rng.uniform(1, 83))
        breached = rng.random() < 0.2
        elapsed = goal + timedelta(hours=rng.uniform(0.1, 20)) if breached else goal * rng.uniform(0.05, 0.99)
        due = started + goal
        stopped = started + elapsed
        breached_at = due.isoformat() if breached else "\\N"  # COPY's NULL
        buffer.write(f"{content_type}\t{object_id}\tresolution\t{target.pk}\t{version.pk}\t"
                     f"{int(goal.total_seconds())} seconds\t{'breached' if breached else 'met'}\tf\t\t"
                     f"{started.isoformat()}\t{stopped.isoformat()}\t{int(elapsed.total_seconds())} seconds\t"
                     f"{stopped.isoformat()}\t{due.isoformat()}\t{breached_at}\t"
                     f"{rng.choice(customers)}\t{rng.choice(teams)}\t{rng.randint(1, 5)}\t{now.isoformat()}\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY slas_timer ({', '.join(columns)}) FROM STDIN", buffer)
        cursor.execute("ANALYZE slas_timer")


def measure_dashboard(runs: int) -> dict:
    """The dashboard's reads (reports.dashboard, one page of breaches with their causes), as its
    view makes them, `runs` times after a warm-up: median wall ms, mean CPU ms, queries."""
    from django.db import connection, reset_queries

    from slas import reports
    from slas.filtersets import report_filters_from

    def read():
        _form, filters = report_filters_from({})
        data = reports.dashboard(filters)
        page = list(reports.breach_queryset(filters)[:25])
        return data, reports.breach_rows(page)

    read()  # warm-up
    walls, cpus, backends = [], [], []
    for _ in range(runs):
        started, cpu_started, backend_started = time.perf_counter(), time.process_time(), backend_cpu()
        data, _rows = read()
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu_started) * 1000)
        backends.append((backend_cpu() - backend_started) * 1000)
    connection.force_debug_cursor = True
    reset_queries()
    read()
    queries = len(connection.queries)
    connection.force_debug_cursor = False
    return {"median_ms": statistics.median(walls), "cpu_ms": statistics.mean(cpus),
            "backend_cpu_ms": statistics.mean(backends), "queries": queries,
            "counted": data["totals"]["total"], "breached": data["totals"]["breached"]}


def drop_database(database_url: str) -> None:
    from urllib.parse import urlsplit, urlunsplit

    import psycopg2
    from django.db import connections

    connections.close_all()
    parts = urlsplit(database_url)
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')
    admin.close()


def main() -> None:
    args = parse_args()
    env = environment(args)
    if args.child_sweep:
        setup_django(env, migrate=False)
        child_sweep()
        return
    print(machine())
    print(f"commit {git('rev-parse', '--short', 'HEAD')}, load average {os.getloadavg()}")
    create_database_if_missing(args.database_url)
    setup_django(env, migrate=True)
    rng = random.Random(args.seed)
    try:
        default, breach_only, version = bench_targets()
        seeded = 0
        for size in [int(s) for s in args.sizes.split(",")]:
            started = time.perf_counter()
            copy_timers(default, version, seeded + 1, size - seeded, rng)
            print(f"seeded {size - seeded} timers in {time.perf_counter() - started:.1f} s")
            seeded = size
            median, p95, cpu = measure_idle(args.runs)
            print(f"(a) nothing due, {size:>9,} running timers: median {median:.2f} ms, p95 {p95:.2f} ms, "
                  f"CPU {cpu:.2f} ms a sweep (process + backend; {args.runs} sweeps)")
        print("(a) plan:\n" + sweep_plan())

        make_due(default, args.due)
        child = subprocess.run([sys.executable, __file__, "--child-sweep", "--database-url", args.database_url,
                                "--broker-url", args.broker_url], cwd=ROOT, env=env, check=True,
                               capture_output=True, text=True)
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        from slas.models import Escalation

        print(f"(b) {args.due:,} due timers: one sweep task {figures['seconds']:.2f} s, CPU "
              f"{figures['cpu_seconds']:.2f} s (process) + {figures['backend_cpu_seconds']:.2f} s (backend), checked "
              f"{figures['checked']}, escalation actions {figures['escalations']}, escalation rows "
              f"{Escalation.objects.count()}, peak RSS {figures['peak_rss_mb']:.0f} MB (VmHWM; ru_maxrss "
              f"{figures['ru_maxrss_mb']:.0f} MB, inherited from the parent across exec)")

        if not args.skip_delay:
            delay = measure_delay(env, breach_only, version, args.delay_timers, args.delay_window)
            print(f"(c) breach detection delay, worker + beat: {delay['detected']} of {delay['timers']} detected; "
                  f"p50 {delay['p50']:.2f} s, p99 {delay['p99']:.2f} s, min {delay['min']:.2f} s, "
                  f"max {delay['max']:.2f} s (logs {delay['logs']})")

        started = time.perf_counter()
        copy_outcomes(default, version, 60_000_000, args.outcomes, rng)
        print(f"seeded {args.outcomes} timers with an outcome in {time.perf_counter() - started:.1f} s")
        board = measure_dashboard(args.dashboard_runs)
        print(f"(d) dashboard, {board['counted']:,} outcomes in the period ({board['breached']:,} breached): "
              f"median {board['median_ms']:.0f} ms, CPU {board['cpu_ms']:.0f} ms (process) + "
              f"{board['backend_cpu_ms']:.0f} ms (backend), {board['queries']} queries "
              f"({args.dashboard_runs} reads)")
    finally:
        if not args.keep:
            drop_database(args.database_url)
            print(f"dropped {args.database_url.rsplit('/', 1)[-1]}")


if __name__ == "__main__":
    main()
