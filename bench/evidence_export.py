#!/usr/bin/env python3
"""Benchmark: building an evidence bundle of 10^3, 10^5 and 10^6 incidents with their history.

Seeds a PostgreSQL database (created if missing, migrated) with M bench incidents, one second
apart, each with one history row (copies of one incident made through the product, by
INSERT ... SELECT generate_series: no journal, no timers), once; a second run reuses them. Then,
for each size N, a fresh worker process builds a bundle of the incidents process over the period
that holds exactly N of them (records, history, journal, attachments, the trail segment, the
manifest and its signature: audits.bundles.bundle_build, as the outbox's delivery runs it) and
reports: wall time, the worker's CPU time (user + system, from getrusage: the PostgreSQL
backend's own CPU is not counted), its peak RSS (VmHWM from /proc) and the growth of the peak
over the RSS after start-up, and the ZIP's size.

    DATABASE_URL is not read: --database-url (default below) names the bench database.
    .venv/bin/python bench/evidence_export.py --sizes 1000 100000 1000000

Targets (issue 15): peak memory flat within 20 % from 10^3 to 10^6; 10^6 under 15 minutes.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api_list import create_database_if_missing, git, machine

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2020, 1, 1, tzinfo=UTC)  # bench incidents open at T0 + i seconds
MARK = "evidence-bench"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_EVIDENCE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/itsm_bench_evidence"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000, 1_000_000])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    return parser.parse_args()


def environment(args) -> dict:
    var = ROOT / "var" / "bench-evidence"
    return {**os.environ, "DATABASE_URL": args.database_url, "ITSM_VAR_DIR": str(var),
            "EVIDENCE_DIR": str(var / "bundles"), "EVIDENCE_KEY_PATH": str(var / "evidence-key.pem"),
            "DJANGO_SETTINGS_MODULE": "itsm.settings", "CELERY_BROKER_URL": "memory://", "DJANGO_DEBUG": "0",
            "SECRET_KEY": "bench-evidence-export-" + "x" * 40, "ALLOWED_HOSTS": "127.0.0.1"}


def setup(args) -> None:
    os.environ.update(environment(args))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed(count: int) -> None:
    """Bench incidents up to `count`, copies of one made through the product."""
    from django.db import connection

    from incidents.models import Incident
    from incidents.services import incident_create
    from itsm.models import User

    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_superuser": True})
    template = Incident.objects.filter(short_description=MARK).order_by("pk").first()
    if template is None:
        template = incident_create(actor=admin, data={"short_description": MARK, "contact_name": "Bench",
                                                      "impact": 3, "urgency": 3})
    have = Incident.objects.filter(number__startswith="INCE").count()
    if have >= count:
        return
    columns = [f.column for f in Incident._meta.concrete_fields if f.column not in ("id", "number", "opened_at")]
    history = [f.column for f in Incident.history.model._meta.concrete_fields
               if f.column in columns or f.column in ("id", "number", "opened_at")]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO incidents_incident (number, opened_at, {', '.join(columns)}) "
            f"SELECT 'INCE' || lpad(i::text, 9, '0'), %s::timestamptz + i * interval '1 second', "
            f"{', '.join(columns)} FROM incidents_incident, generate_series(%s, %s) AS i WHERE id = %s",
            [T0, have + 1, count, template.pk])
        cursor.execute(
            f"INSERT INTO incidents_historicalincident ({', '.join(history)}, history_date, history_type, "
            f"history_change_reason, history_user_id) SELECT {', '.join(history)}, opened_at, '+', 'bench', %s "
            f"FROM incidents_incident WHERE number LIKE 'INCE%%' AND opened_at > %s::timestamptz + %s * interval "
            f"'1 second'", [admin.pk, T0, have])
        cursor.execute("ANALYZE incidents_incident; ANALYZE incidents_historicalincident")
    print(f"seeded {count - have} incidents with history in {time.perf_counter() - started:.0f} s", flush=True)


def peak_rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(size: int) -> None:
    """One worker: build the bundle of `size` incidents and print the figures as JSON."""
    from audits.bundles import bundle_build
    from audits.evidence.bundle import bundle_path
    from audits.models import EvidenceBundle
    from itsm.models import User

    admin = User.objects.get(username="bench-admin")
    bundle = EvidenceBundle.objects.create(requested_by=admin, period_start=T0 + timedelta(seconds=1),
                                           period_end=T0 + timedelta(seconds=size + 1), processes=["incidents"])
    base_rss = peak_rss_kib()
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    outcome = bundle_build(bundle.pk)
    wall = time.perf_counter() - started
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    bundle.refresh_from_db()
    rows = next(f for f in json.loads(_manifest(bundle_path(bundle)))["files"] if f["name"] == "incidents/records.jsonl")
    print(json.dumps({"size": size, "outcome": outcome, "records": rows["rows"], "wall_s": round(wall, 1),
                      "cpu_s": round(cpu.ru_utime + cpu.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime, 1),
                      "base_rss_mib": round(base_rss / 1024, 1), "peak_rss_mib": round(peak_rss_kib() / 1024, 1),
                      "zip_mib": round(bundle.size / 2**20, 2), "error": bundle.error}))
    bundle_path(bundle).unlink()


def _manifest(path) -> bytes:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return archive.read("manifest.json")


def main() -> None:
    args = parse_args()
    if args.child:
        setup(args)
        child(args.child)
        return
    create_database_if_missing(args.database_url)
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT,
                   env=environment(args), check=True)
    setup(args)
    seed(max(args.sizes))
    print(f"{machine()}; commit {git('rev-parse', '--short', 'HEAD')}", flush=True)
    print("| incidents | wall | worker CPU | RSS after start | peak RSS | ZIP |\n|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        result = subprocess.run([sys.executable, __file__, "--database-url", args.database_url, "--child", str(size)],
                                cwd=ROOT, env=environment(args), capture_output=True, text=True)
        if result.returncode:
            print(result.stderr[-3000:], file=sys.stderr)
            sys.exit(result.returncode)
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        print(f"| {figures['records']:,} | {figures['wall_s']} s | {figures['cpu_s']} s | "
              f"{figures['base_rss_mib']} MiB | {figures['peak_rss_mib']} MiB | {figures['zip_mib']} MiB |", flush=True)


if __name__ == "__main__":
    main()
