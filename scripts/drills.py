"""Fault drills: the real stack (gunicorn, a Celery worker, Celery beat, PostgreSQL, Redis) with
one server taken away at a time, and the figures operators rely on asserted (issue 16).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/itsm_ci .venv/bin/python scripts/drills.py

Run by .ci/run after the PostgreSQL suite, in about half a minute. It creates (and drops) a
database `itsm_drills_<run id>` on DATABASE_URL's server and starts its own redis-server on a free port
as the broker, so that it can stop and restart it; the cache of the broker drill is that same
server's database 1. Drills:

1. cache down (CACHE_URL at a closed port): API reads and writes succeed, /health/ says the
   cache is down, within a second;
2. broker down: 50 incident creations each answer in under 300 ms, /health/ answers within a
   second; when the broker is back, every outbox row of those incidents is delivered exactly
   once (one email each, one attempt each) by the worker, through beat's outbox sweep;
3. behind a proxy (PROXY_COUNT=1): failed sign-ins from one forwarded address lock that
   address out, not people arriving from another, and a forged X-Forwarded-For does not help;
4. a second beat runs nothing while the first holds the scheduler lease.

These are the only timed assertions of the project (tests never time: CONTRIBUTING.md). The web
processes run with DJANGO_DEBUG=1 (development settings: no collectstatic needed); everything
else is production's configuration. Exits non-zero, with the processes' logs, on a failure.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DRILL_DB = f"itsm_drills_{uuid.uuid4().hex[:8]}"  # one per run: two runs on one server never meet
CREATIONS = 50
CREATION_LIMIT = 0.300  # seconds, each creation while the broker is down
HEALTH_LIMIT = 1.0  # seconds, /health/ while a server is down
DELIVERY_TIMEOUT = 90  # seconds for the sweep and the worker to deliver after the broker returns
START_TIMEOUT = 60

processes: list[tuple[str, subprocess.Popen, Path]] = []
workdir = Path(tempfile.mkdtemp(prefix="itsm-drills-"))


class DrillFailed(AssertionError):
    pass


def check(condition, message: str) -> None:
    if not condition:
        raise DrillFailed(message)


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def closed_port() -> int:
    return free_port()  # nothing listens there once the probe socket is closed


def start(name: str, command: list[str], env: dict) -> subprocess.Popen:
    log_path = workdir / f"{name}.log"
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    processes.append((name, process, log_path))
    return process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: it and its children only
        except ProcessLookupError:
            pass
        process.wait(timeout=20)


def wait_until(what: str, predicate, timeout: float = START_TIMEOUT, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise DrillFailed(f"waited {timeout}s for {what}")
        time.sleep(interval)


# --- servers ---------------------------------------------------------------------------------

def start_redis(port: int) -> subprocess.Popen:
    process = start(f"redis-{port}", ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(workdir)], dict(os.environ))
    wait_until(f"redis on {port}", lambda: redis_answers(port), timeout=20)
    return process


def redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def drill_database_url() -> str:
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith("postgres"):
        sys.exit("scripts/drills.py needs DATABASE_URL=postgres://... (the drills run on PostgreSQL)")
    return urlunsplit(urlsplit(configured)._replace(path=f"/{DRILL_DB}"))


def recreate_database(url: str) -> None:
    import psycopg2

    parts = urlsplit(url)
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DRILL_DB} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {DRILL_DB}")
    admin.close()


def drop_database(url: str) -> None:
    import psycopg2

    admin = psycopg2.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DRILL_DB} WITH (FORCE)")
    admin.close()


# --- the product -----------------------------------------------------------------------------

def product_env(**overrides) -> dict:
    env = {key: value for key, value in os.environ.items()
           if key not in ("CACHE_URL", "CELERY_BROKER_URL", "CELERY_BROKER_WRITE_URL", "PROXY_COUNT")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "itsm.settings", "DJANGO_DEBUG": "1", "PYTHONUNBUFFERED": "1",
        "ITSM_VAR_DIR": str(workdir / "var"), "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(workdir / "mail"), "LOG_LEVEL": "INFO", "CELERY_TASK_DEFAULT_QUEUE": "drills",
    })
    env.update(overrides)
    return env


def set_up_data() -> dict:
    """Users, a team with an address (an assignment sends it one email), a token."""
    import django

    django.setup()
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from itsm import services
    from itsm.choices import Role
    from itsm.models import User

    call_command("migrate", verbosity=0, interactive=False)
    agent = User.objects.create_user("drill-agent", password="drill-password-1", email="agent@example.com")
    agent.groups.add(Group.objects.get_or_create(name=Role.AGENT)[0])
    requester = User.objects.create_user("drill-caller", password="drill-password-1", email="caller@example.com")
    requester.groups.add(Group.objects.get_or_create(name=Role.REQUESTER)[0])
    team = services.team_create(actor=services.system_actor(), data={"name": "Drill desk", "email": "desk@example.com"},
                                members=[agent])
    _, secret = services.token_create(actor=agent, user=agent, name="drills", days=1, read_only=False)
    return {"token": secret, "caller": requester.pk, "team": team.pk}


def start_web(name: str, port: int, env: dict) -> str:
    start(name, [PYTHON, "-m", "gunicorn", "itsm.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                 "--threads", "4"], {**env, "BIND_ADDRESS": "127.0.0.1", "PORT": str(port)})
    base = f"http://127.0.0.1:{port}"
    wait_until(f"{name} to answer", lambda: answers(f"{base}/health/"))
    return base


def answers(url: str) -> bool:
    import requests

    try:
        requests.get(url, timeout=2)
        return True
    except requests.RequestException:
        return False


def start_worker(env: dict) -> subprocess.Popen:
    process = start("worker", [PYTHON, "-m", "celery", "-A", "itsm", "worker", "--loglevel", "INFO", "--pool",
                               "prefork", "--concurrency", "2", "--without-mingle", "--without-gossip",
                               "--hostname", "drills@%h"], env)
    wait_until("the worker to be ready", lambda: re.search(r"drills@\S+ ready\.", log_of("worker")))
    return process


def start_beat(env: dict, name: str = "beat") -> subprocess.Popen:
    return start(name, [PYTHON, "-m", "celery", "-A", "itsm", "beat", "--loglevel", "INFO",
                        "--schedule", str(workdir / f"{name}-schedule")], env)


def drill_second_beat(base: str, env: dict) -> None:
    """A second beat started by mistake runs nothing and says so; /health/ names the first."""
    import requests

    wait_until("the first beat to hold the scheduler lease",
               lambda: requests.get(f"{base}/health/", timeout=5).json()["checks"]["scheduler"]["ok"], timeout=30)
    owner = requests.get(f"{base}/health/", timeout=5).json()["checks"]["scheduler"]["owner"]
    second = start_beat(env, "beat2")
    wait_until("the second beat to refuse", lambda: "another beat holds the scheduler lease" in log_of("beat2"),
               timeout=30)
    stop(second)
    check("Sending due task" not in log_of("beat2"), "second beat: it published periodic tasks")
    print(f"  second beat: refused to run the schedule (the lease is held by {owner})")


def log_of(name: str) -> str:
    return (workdir / f"{name}.log").read_text(errors="replace")


def api(base: str, data: dict):
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {data['token']}"
    session.base = base
    return session


def create_incident(session, data: dict, n: int):
    started = time.monotonic()
    response = session.post(f"{session.base}/api/v1/incidents/", timeout=10, json={
        "short_description": f"Drill incident {n}", "caller": data["caller"], "assignment_group": data["team"]})
    return response, time.monotonic() - started


def timed_health(base: str):
    import requests

    started = time.monotonic()
    response = requests.get(f"{base}/health/", timeout=10)
    return response, time.monotonic() - started


# --- drills ----------------------------------------------------------------------------------

def drill_cache_down(base: str, data: dict) -> None:
    session = api(base, data)
    me = session.get(f"{base}/api/v1/me/", timeout=10)
    check(me.status_code == 200, f"cache down: GET /api/v1/me/ answered {me.status_code}: {me.text[:300]}")
    created, _ = create_incident(session, data, 0)
    check(created.status_code == 201, f"cache down: a creation answered {created.status_code}: {created.text[:300]}")
    listed = session.get(f"{base}/api/v1/incidents/", timeout=10)
    check(listed.status_code == 200, f"cache down: the incident list answered {listed.status_code}")
    health, seconds = timed_health(base)
    cache = health.json()["checks"]["cache"]
    check(health.status_code == 503 and cache["ok"] is False, f"cache down: /health/ said {health.text}")
    check(seconds < HEALTH_LIMIT, f"cache down: /health/ took {seconds:.2f}s")
    print(f"  cache down: API read, write and list succeeded; /health/ says cache down in {seconds * 1000:.0f} ms")


def drill_broker_down(base: str, data: dict, broker_port: int, env: dict) -> None:
    import django  # noqa: F401  (set up by set_up_data)
    from django.db import connection

    from itsm.choices import OutboxStatus
    from itsm.models import OutboxMessage

    session = api(base, data)
    warm, _ = create_incident(session, data, -1)  # connections open, as on a live system
    check(warm.status_code == 201, f"broker drill: the warm-up creation answered {warm.status_code}")
    first_id = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def warm_up_delivered():
        connection.close()
        return not OutboxMessage.objects.exclude(status=OutboxStatus.DELIVERED).exists()

    # The outage starts between deliveries (a worker acknowledging a task at the moment Redis goes
    # away may exit with kombu's "Unrecoverable error"; its supervisor restarts it, see below).
    wait_until("the warm-up message to be delivered", warm_up_delivered, timeout=30)

    subprocess.run(["redis-cli", "-p", str(broker_port), "shutdown", "nosave"], capture_output=True, timeout=10)
    wait_until("the broker to stop", lambda: not redis_answers(broker_port), timeout=10)

    timings = []
    for n in range(CREATIONS):
        response, seconds = create_incident(session, data, n)
        check(response.status_code == 201, f"broker down: creation {n} answered {response.status_code}: "
                                           f"{response.text[:300]}")
        timings.append(seconds)
    slow = [(n, round(s * 1000)) for n, s in enumerate(timings) if s >= CREATION_LIMIT]
    check(not slow, f"broker down: creations over {CREATION_LIMIT * 1000:.0f} ms (n, ms): {slow}")
    health, health_seconds = timed_health(base)
    check(health.status_code == 503 and health.json()["checks"]["broker"]["ok"] is False,
          f"broker down: /health/ said {health.text}")
    check(health_seconds < HEALTH_LIMIT, f"broker down: /health/ took {health_seconds:.2f}s")

    rows = OutboxMessage.objects.filter(pk__gt=first_id)
    count = rows.count()
    check(count >= CREATIONS, f"broker down: expected an outbox message per creation, found {count}")
    check(not rows.exclude(status=OutboxStatus.PENDING).exists(), "broker down: a message left pending was not")
    print(f"  broker down: {CREATIONS} creations, slowest {max(timings) * 1000:.0f} ms, median "
          f"{sorted(timings)[len(timings) // 2] * 1000:.0f} ms; /health/ in {health_seconds * 1000:.0f} ms; "
          f"{count} messages pending")

    start_redis(broker_port)  # the broker is back, empty, on the same address
    returned = time.monotonic()
    worker = next(process for name, process, _log in processes if name == "worker")
    if worker.poll() is not None:  # as systemd's Restart=on-failure / compose's restart policy would
        print(f"  note: the worker exited during the outage (status {worker.returncode}); restarted")
        start_worker(env)

    def all_delivered():
        connection.close()  # a fresh read each time
        return not rows.exclude(status=OutboxStatus.DELIVERED).exists()

    wait_until(f"every message to be delivered (worker log: {workdir / 'worker.log'})", all_delivered,
               timeout=DELIVERY_TIMEOUT, interval=1)
    attempts = sorted(set(rows.values_list("attempts", flat=True)))
    check(attempts == [1], f"broker drill: delivery attempts per message {attempts}, expected exactly one each")
    sent = Counter(sent_emails())
    twice = {subject: n for subject, n in sent.items() if n > 1}
    missing = [row.payload["subject"] for row in rows if not sent[row.payload["subject"]]]
    check(not twice and not missing, f"broker drill: emails sent twice {twice}, never sent {missing}")
    print(f"  broker back: {count} messages delivered once each, {time.monotonic() - returned:.0f} s after it returned")


def sent_emails() -> list[str]:
    """The subjects of the emails the worker wrote (file backend)."""
    subjects = []
    for path in (workdir / "mail").glob("*.log"):
        subjects += re.findall(r"^Subject: (.*)$", path.read_text(errors="replace"), re.MULTILINE)
    return subjects


def drill_proxy(base: str) -> None:
    import requests

    def sign_in(username, password, forwarded):
        session = requests.Session()
        session.get(f"{base}/accounts/login/", timeout=10)
        token = session.cookies.get("csrftoken")
        return session.post(f"{base}/accounts/login/", timeout=10, allow_redirects=False,
                            headers={"X-Forwarded-For": forwarded, "Referer": f"{base}/accounts/login/"},
                            data={"username": username, "password": password, "csrfmiddlewaretoken": token})

    for n in range(6):
        sign_in(f"made-up-{n}", "wrong", f"192.0.2.{n}, 203.0.113.9")  # forged left part, proxy's right
    attacker = sign_in("drill-agent", "drill-password-1", "192.0.2.99, 203.0.113.9")
    colleague = sign_in("drill-agent", "drill-password-1", "198.51.100.7")
    check(attacker.status_code == 429, f"proxy: the attacker's address was not locked ({attacker.status_code})")
    check(colleague.status_code == 302, f"proxy: a user from another address got {colleague.status_code}")
    logged = lambda: re.findall(r'^(\S+) "POST /accounts/login/', log_of("web"), re.MULTILINE)  # noqa: E731
    wait_until("the access log lines of the sign-ins", lambda: len(logged()) >= 8, timeout=10)
    check(set(logged()) == {"203.0.113.9", "198.51.100.7"}, f"proxy: the access log named {set(logged())}")
    print("  proxy: 6 failed sign-ins lock 203.0.113.9 (forged X-Forwarded-For ignored); 198.51.100.7 signs in;"
          " the access log names the clients")


def main() -> int:
    started = time.monotonic()
    # `timeout` in .ci/run sends SIGTERM: stop the processes started here on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("drills: terminated"))
    database_url = drill_database_url()
    broker_port, cache_port = free_port(), closed_port()
    broker_url = f"redis://127.0.0.1:{broker_port}/0"
    os.environ.update(product_env(DATABASE_URL=database_url, CELERY_BROKER_URL=broker_url))
    sys.path.insert(0, str(BASE_DIR))
    (workdir / "mail").mkdir()
    failed = None
    try:
        recreate_database(database_url)
        start_redis(broker_port)
        data = set_up_data()
        env = product_env(DATABASE_URL=database_url, CELERY_BROKER_URL=broker_url)
        start_worker(env)
        start_beat(env)
        cache_down_web = start_web("web-cache-down", free_port(),
                                   {**env, "CACHE_URL": f"redis://127.0.0.1:{cache_port}/0"})
        web = start_web("web", free_port(), {**env, "CACHE_URL": f"redis://127.0.0.1:{broker_port}/1",
                                             "PROXY_COUNT": "1"})
        print(f"drills: stack up in {time.monotonic() - started:.0f} s (logs in {workdir})")
        drill_cache_down(cache_down_web, data)
        drill_second_beat(web, env)
        drill_proxy(web)
        drill_broker_down(web, data, broker_port, env)
    except DrillFailed as exc:
        failed = exc
    finally:
        for _name, process, _log in reversed(processes):
            stop(process)
        try:
            from django.db import connections

            connections.close_all()
            drop_database(database_url)
        except Exception as exc:  # noqa: BLE001  cleanup only
            print(f"could not drop {DRILL_DB}: {exc}")
    if failed is not None:
        print(f"\nDRILL FAILED: {failed}\n")
        for name, _process, log_path in processes:
            print(f"--- {name} ({log_path}), last lines ---")
            print("\n".join(log_path.read_text(errors="replace").splitlines()[-40:]))
        return 1
    shutil.rmtree(workdir, ignore_errors=True)
    print(f"drills passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
