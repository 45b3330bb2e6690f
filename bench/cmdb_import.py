#!/usr/bin/env python3
"""Benchmark: CSV import of CIs (config_items.importing.import_cis), 10,000 rows, real and dry run.

Generates a CSV file of valid CIs of six types with their attributes (the columns the import
documents: source, external_id, name, type, status, environment, owner_team, customers,
description, attr:<name>), then times `import_cis` on PostgreSQL: a dry run (everything
checked and written inside a transaction that is rolled back) and a real run. Each run uses
external IDs never seen before, so every row is a creation; the previous run's CIs are
deleted first (not timed). A short run with the query log on gives the queries per row.
Run it with `make bench` or `.venv/bin/python bench/cmdb_import.py --help`; record the figures
in bench/results.md (see bench/README.md).

It shares the database of cmdb_impact.py by default, so CIs are imported next to 10^5
existing ones when that benchmark has seeded it. Target (bench/README.md): over 1,000 rows/s.
"""

import argparse
import csv
import io
import os
import platform
import sys
import time

from api_list import create_database_if_missing, git, machine
from cmdb_impact import bench_actor, setup_django

SOURCE = "bench-import"
TYPES = ["server", "virtual-machine", "application", "database", "network-device", "storage"]
ATTRIBUTE_COLUMNS = [
    "hostname", "ip_address", "os", "cpu_count", "vcpu_count", "memory_gb", "serial_number", "version", "vendor",
    "url", "engine", "port", "device_role", "management_ip", "model", "capacity_tb",
]
CUSTOMERS = [("bench-acme", "Bench Acme"), ("bench-globex", "Bench Globex")]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_CMDB_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/itsm_bench_cmdb"),
        help="PostgreSQL database (created if missing; default %(default)s)",
    )
    parser.add_argument("--rows", type=int, default=10_000, help="CSV rows per run (default %(default)s)")
    parser.add_argument("--query-rows", type=int, default=200, help="rows of the query-counting run (default %(default)s)")
    return parser.parse_args()


def attributes(slug: str, n: int) -> dict:
    host = f"imp-{n:06d}.dc2.example.com"
    ip = f"10.{100 + n // 65536 % 100}.{n // 256 % 256}.{n % 256}"
    return {
        "server": {"hostname": host, "ip_address": ip, "os": "Debian 12", "cpu_count": "32", "memory_gb": "256",
                   "serial_number": f"SN{n:08d}"},
        "virtual-machine": {"hostname": host, "ip_address": ip, "os": "Debian 12", "vcpu_count": "4",
                            "memory_gb": "16"},
        "application": {"version": f"{n % 7}.{n % 13}.0", "vendor": "Bench Software",
                        "url": f"https://app{n}.example.com/"},
        "database": {"engine": ["postgresql", "mysql", "sqlserver"][n % 3], "version": "16", "port": "5432"},
        "network-device": {"device_role": ["switch", "router", "firewall"][n % 3], "management_ip": ip,
                           "model": "Arista 7050X3", "serial_number": f"NW{n:08d}"},
        "storage": {"capacity_tb": str(10 + n % 90), "model": "NetApp AFF A400"},
    }[slug]


def make_csv(rows: int, run: str, team: str) -> str:
    """`rows` valid CI rows with external IDs unique to `run`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["source", "external_id", "name", "type", "status", "environment", "owner_team", "customers",
                     "description", *(f"attr:{name}" for name in ATTRIBUTE_COLUMNS)])
    for n in range(rows):
        slug = TYPES[n % len(TYPES)]
        values = attributes(slug, n)
        writer.writerow([
            SOURCE, f"{run}-{n:06d}", f"{slug} imported {n:06d}", slug,
            "live" if n % 10 else "planned", "production" if n % 5 else "test", team,
            ";".join(code for code, _ in CUSTOMERS[: 1 + n % 2]) if n % 3 else "",
            f"Imported by the benchmark, row {n}." if n % 4 == 0 else "",
            *(values.get(name, "") for name in ATTRIBUTE_COLUMNS),
        ])
    return out.getvalue()


def delete_imported() -> int:
    from config_items.models import ConfigurationItem

    earlier = ConfigurationItem.objects.filter(source=SOURCE)
    count = earlier.count()
    earlier.delete()
    return count


def timed_import(actor, text: str, *, dry_run: bool):
    from config_items import importing

    began = time.perf_counter()
    report = importing.import_cis(actor=actor, file=io.StringIO(text), dry_run=dry_run, atomic=False)
    return report, time.perf_counter() - began


def check(report, rows: int, label: str) -> None:
    if report.created != rows or report.rejected:
        errors = [(r.line, r.errors) for r in report.rows if r.errors][:5]
        sys.exit(f"{label}: expected {rows} created, got {report.as_dict() | {'rows': errors}}")


def main() -> None:
    args = parse_args()
    load_before = os.getloadavg()[0]
    create_database_if_missing(args.database_url)
    setup_django(args.database_url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from itsm.models import Customer

    actor, team = bench_actor()
    for code, name in CUSTOMERS:
        Customer.objects.get_or_create(code=code, defaults={"name": name})
    run = time.strftime("%Y%m%d%H%M%S")
    print(f"deleted {delete_imported()} CIs of earlier runs")

    # Queries per row, on a short file (the query log costs time, so not in the timed runs).
    with CaptureQueriesContext(connection) as queries:
        report, _ = timed_import(actor, make_csv(args.query_rows, f"{run}-q", team.name), dry_run=True)
    check(report, args.query_rows, "query-counting run")
    per_row = len(queries.captured_queries) / args.query_rows

    report, dry_seconds = timed_import(actor, make_csv(args.rows, f"{run}-dry", team.name), dry_run=True)
    check(report, args.rows, "dry run")
    report, real_seconds = timed_import(actor, make_csv(args.rows, f"{run}-real", team.name), dry_run=False)
    check(report, args.rows, "real run")

    from config_items.models import ConfigurationItem

    written = ConfigurationItem.objects.filter(source=SOURCE).count()
    existing = ConfigurationItem.objects.exclude(source=SOURCE).count()
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    print()
    print(f"machine:   {machine()}")
    print(f"software:  Python {platform.python_version()}, PostgreSQL {postgres}")
    print(f"date:      {time.strftime('%Y-%m-%d %H:%M %Z')}; 1-minute load average before the run: {load_before:.2f}")
    print(f"commit:    {commit}{' (with uncommitted changes)' if dirty else ''}")
    print(f"data:      {args.rows} new CIs per run, {len(TYPES)} types with attributes, next to {existing} existing CIs")
    print(f"queries:   {per_row:.1f} per row (dry run of {args.query_rows} rows)")
    print(f"dry run:   {args.rows} rows in {dry_seconds:.1f}s = {args.rows / dry_seconds:.0f} rows/s (nothing written)")
    print(f"real run:  {args.rows} rows in {real_seconds:.1f}s = {args.rows / real_seconds:.0f} rows/s "
          f"({written} CIs in the database afterwards)")
    if written != args.rows:
        sys.exit(f"expected {args.rows} imported CIs in the database, found {written}")


if __name__ == "__main__":
    main()
