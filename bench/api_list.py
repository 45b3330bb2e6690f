#!/usr/bin/env python3
"""Benchmark: GET /api/v1/customers/?page_size=50 under concurrent clients.

Seeds N customers into a PostgreSQL database, starts gunicorn in production mode against it
(the repository's gunicorn.conf.py), signs requests with a real API token, drives the endpoint
from C client threads for a fixed time and prints requests/s, latency percentiles and errors.
Run it with `make bench` or `.venv/bin/python bench/api_list.py --help`; record the figures in
bench/results.md (see bench/README.md).

The clients run on the same machine as the server and compete with it for CPU: compare
figures only between runs on the same machine with the same options.
"""

import argparse
import http.client
import json
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SEED_BATCH = 2000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/itsm_bench"),
        help="PostgreSQL database to seed and serve (created if missing; default %(default)s)",
    )
    parser.add_argument(
        "--cache-url",
        default=os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/13"),
        help="throttling cache, as in production (default %(default)s; '' for process memory)",
    )
    parser.add_argument("--customers", type=int, default=10_000, help="rows to seed (default %(default)s)")
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--clients", type=int, default=16, help="concurrent client threads (default %(default)s)")
    parser.add_argument("--duration", type=float, default=30, help="measured seconds (default %(default)s)")
    parser.add_argument("--warmup", type=float, default=5, help="unmeasured seconds first (default %(default)s)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes (default %(default)s)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn process (default %(default)s)")
    parser.add_argument("--port", type=int, default=8077)
    return parser.parse_args()


def server_environment(args) -> dict:
    """Production settings, with plain HTTP on localhost and throttling out of the way: this
    measures the list endpoint, not the rate limit (the throttle's cache lookup still runs)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "itsm.settings",
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": args.database_url,
        "CACHE_URL": args.cache_url,
        "API_THROTTLE_USER": "100000000/minute",
        "ITSM_VAR_DIR": tempfile.mkdtemp(prefix="itsm-bench-"),
        "WEB_CONCURRENCY": str(args.workers),
        "GUNICORN_THREADS": str(args.threads),
        "BIND_ADDRESS": "127.0.0.1",
        "PORT": str(args.port),
        "LOG_LEVEL": "WARNING",
    }


def create_database_if_missing(database_url: str) -> None:
    import psycopg2

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")
    admin.close()


def prepare(args, env: dict) -> str:
    """Migrate, seed the customers (only the missing ones) and return a fresh token's secret."""
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth.models import Group

    from itsm import services
    from itsm.choices import Role
    from itsm.models import Customer, User

    have = Customer.objects.filter(code__startswith="bench-").count()
    missing = range(have + 1, args.customers + 1)
    # Seeding is set-up, not the thing measured: bulk_create writes no history rows.
    for start in range(0, len(missing), SEED_BATCH):
        Customer.objects.bulk_create(
            Customer(code=f"bench-{n:07d}", name=f"Bench customer {n:07d}", email=f"c{n}@example.com")
            for n in missing[start : start + SEED_BATCH]
        )
    print(f"customers: {Customer.objects.count()} ({len(missing)} seeded now)")

    user, _ = User.objects.get_or_create(username="bench-agent", defaults={"first_name": "Bench"})
    user.groups.add(Group.objects.get(name=Role.AGENT))
    _, secret = services.token_create(actor=user, user=user, name="bench", days=1, read_only=True)
    return secret


class Server:
    def __init__(self, env: dict, port: int):
        self.port = port
        self.log = Path(env["ITSM_VAR_DIR"]) / "gunicorn.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "itsm.wsgi"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, path: str, headers: dict, timeout: float = 60) -> bytes:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                sys.exit(f"gunicorn exited with status {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                body = response.read()
                if response.status == 200:
                    return body
                sys.exit(f"GET {path} answered {response.status}: {body[:500]!r}")
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit(f"gunicorn did not answer within {timeout}s:\n{self.log.read_text()[-3000:]}")
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # graceful: the master stops its workers
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()


def drive(port: int, path: str, headers: dict, clients: int, seconds: float) -> tuple[list[float], dict]:
    """`clients` threads, each with one keep-alive connection, request `path` back to back for
    `seconds`. Returns the latencies (seconds) of the successful requests and error counts."""
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
                if response.status == 200:
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


def percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def git(*args: str) -> str:
    """Output of a git command in the repository; empty when git or the repository is missing."""
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    memory_kb = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    return f"{cpu}, {os.cpu_count()} cores, {memory_kb / 2**20:.0f} GiB, {platform.platform()}"


def main() -> None:
    args = parse_args()
    load_before = os.getloadavg()[0]
    create_database_if_missing(args.database_url)
    env = server_environment(args)
    secret = prepare(args, env)

    from django.db import connection

    path = f"/api/v1/customers/?page_size={args.page_size}"
    headers = {"Authorization": f"Bearer {secret}", "Accept": "application/json"}
    server = Server(env, args.port)
    try:
        body = json.loads(server.wait_ready(path, headers))
        assert len(body["results"]) == min(args.page_size, args.customers), body
        print(
            f"gunicorn: {args.workers} processes x {args.threads} threads; {args.clients} clients; "
            f"warm-up {args.warmup:g}s, measuring {args.duration:g}s"
        )
        drive(args.port, path, headers, args.clients, args.warmup)
        latencies, errors = drive(args.port, path, headers, args.clients, args.duration)
    finally:
        server.stop()
        shutil.rmtree(env["ITSM_VAR_DIR"], ignore_errors=True)

    latencies.sort()
    ms = [value * 1000 for value in latencies]
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    print()
    print(f"machine:   {machine()}")
    print(f"software:  Python {platform.python_version()}, PostgreSQL {postgres}, cache {args.cache_url or 'memory'}")
    print(f"date:      {time.strftime('%Y-%m-%d %H:%M %Z')}; 1-minute load average before the run: {load_before:.2f}")
    print(f"commit:    {commit}{' (with uncommitted changes)' if dirty else ''}")
    print(f"request:   GET {path} ({args.customers} customers)")
    if not ms:
        sys.exit(f"no successful request; errors: {errors}")
    print(f"requests:  {len(ms)} ok in {args.duration:g}s = {len(ms) / args.duration:.0f} requests/s")
    print(
        f"latency:   p50 {percentile(ms, 0.50):.1f} ms, p95 {percentile(ms, 0.95):.1f} ms, "
        f"p99 {percentile(ms, 0.99):.1f} ms, mean {statistics.fmean(ms):.1f} ms, max {ms[-1]:.1f} ms"
    )
    print(f"errors:    {sum(errors.values())} {errors if errors else ''}".rstrip())
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
