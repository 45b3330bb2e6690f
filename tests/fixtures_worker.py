"""Fixtures with real parts: a Celery worker process, an unreachable broker, parallel connections.

`live_worker` starts `celery -A itsm worker` as a separate process with the product's own
settings (itsm.settings, configured through the environment as in production), sharing the
test database and this session's broker and queue (see tests/settings.py). Tests that use it
need committed data, so it brings `transactional_db`; mark them `@pytest.mark.worker`.
"""

import email
import functools
import importlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

READY_TIMEOUT = 60  # seconds; a cold start takes about two
TASK_TIMEOUT = 30
STOP_TIMEOUT = 20
RACE_WINDOW = 0.3  # seconds
# Nothing listens on port 1: connecting is refused at once, as when the broker is down.
UNREACHABLE_BROKER_URL = "redis://127.0.0.1:1/0"

# Celery's own log lines (celery.app.trace) at level INFO.
_SUCCEEDED = re.compile(r"Task (?P<name>[\w.]+)\[(?P<id>[\w-]+)\] succeeded in [\d.e-]+s: (?P<value>.*)$", re.MULTILINE)
_FAILED = re.compile(r"Task (?P<name>[\w.]+)\[(?P<id>[\w-]+)\] (raised unexpected|retry|INTERNAL ERROR)", re.MULTILINE)
# The file-based email backend ends every message with this line.
_EMAIL_SEPARATOR = "\n" + "-" * 79 + "\n"


@dataclass
class LiveWorker:
    process: subprocess.Popen
    nodename: str
    log_path: Path
    mail_dir: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def failure(self, message: str) -> str:
        """`message` followed by the end of the worker's log, for assertion messages."""
        return f"{message}\n--- worker log ({self.log_path}) ---\n{self.log()[-6000:]}"

    def finished(self, task_name: str) -> list[str]:
        """Results (as the worker logged them: reprs) of the executions of `task_name` so far."""
        return [m["value"] for m in _SUCCEEDED.finditer(self.log()) if m["name"] == task_name]

    def finished_runs(self, task_id: str) -> list[str]:
        """Results of the executions of the task with this id (a redelivered message keeps it)."""
        return [m["value"] for m in _SUCCEEDED.finditer(self.log()) if m["id"] == task_id]

    def wait_for_tasks(self, task_name: str, count: int, timeout: float = TASK_TIMEOUT) -> list[str]:
        """Wait until the worker has finished `count` executions of `task_name`; return their results.

        Fails at once if a task raised or the worker died, and after `timeout` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            results = self.finished(task_name)
            if len(results) >= count:
                return results
            if failed := _FAILED.search(self.log()):
                pytest.fail(self.failure(f"a task failed in the worker: {failed.group(0)}"))
            if self.process.poll() is not None:
                pytest.fail(self.failure(f"the worker exited with status {self.process.returncode}"))
            if time.monotonic() > deadline:
                pytest.fail(self.failure(
                    f"waited {timeout}s for {count} execution(s) of {task_name}, saw {len(results)}: {results}"))
            time.sleep(0.05)

    def sent_emails(self) -> list[Message]:
        """Every email the worker sent, oldest first (parsed from the file backend's output)."""
        messages = []
        for path in sorted(self.mail_dir.glob("*.log")):
            for chunk in path.read_text().split(_EMAIL_SEPARATOR):
                if chunk.strip():
                    messages.append(email.message_from_string(chunk))
        return messages


def _worker_database_url(connection) -> str:
    """The URL of the database this test runs against (the test database, not the configured one)."""
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(settings_dict["NAME"])
        if connection.is_in_memory_db():
            pytest.fail(f"the SQLite test database {name!r} is in memory; a worker process cannot open it "
                        "(tests/settings.py sets a file)")
        return f"sqlite:///{name}"
    # Same server, credentials and options as DATABASE_URL; only the database name differs.
    configured = os.environ.get("DATABASE_URL")
    if not configured:
        pytest.fail(f"{connection.vendor} database configured without DATABASE_URL; cannot point a worker at it")
    return urlunsplit(urlsplit(configured)._replace(path="/" + settings_dict["NAME"]))


def _purge_test_queue() -> int:
    """Drop every waiting task of this session's queue (left by earlier tests, or restored by a
    stopped worker), so a worker sees only what its own test publishes."""
    from itsm.celery import app

    return app.control.purge()


def _stop(process: subprocess.Popen) -> None:
    """Kill the worker and its pool processes (SIGKILL) and wait until the worker is gone.

    The test is over: nothing it asserts can depend on a task still running, and the queue is
    purged after. A warm shutdown (SIGTERM) took about 6 s a worker, most of it the worker
    polling and tearing down after it had stopped consuming."""
    # The worker leads its own process group (start_new_session): this reaches its pool
    # children too, and nothing else.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=STOP_TIMEOUT)


@pytest.fixture
def live_worker(transactional_db, tmp_path) -> Iterator[LiveWorker]:
    """A real Celery worker process (prefork, two children) on the test database and this
    session's broker queue; its emails go to files (see `LiveWorker.sent_emails`).

    Stopped (killed, with its pool processes) after the test, also when it fails, before the
    database is flushed.
    """
    from django.conf import settings
    from django.db import connection

    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log_path = tmp_path / "worker.log"
    nodename = f"itsm-test-{uuid.uuid4().hex[:8]}@%h"
    env = {
        **os.environ,
        # The product's settings, configured the way an operator does: through the environment.
        "DJANGO_SETTINGS_MODULE": "itsm.settings",
        "DATABASE_URL": _worker_database_url(connection),
        # With the filesystem broker, itsm.settings then derives the same folders as this process.
        "ITSM_VAR_DIR": str(settings.TEST_RUN_DIR),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        # Tasks the worker itself sends stay on this session's queue too.
        "CELERY_TASK_DEFAULT_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("ITSM_TEST_SQLITE_FILE", None)
    command = [
        sys.executable, "-m", "celery", "-A", "itsm", "worker", "--loglevel", "INFO",
        "--pool", "prefork", "--concurrency", "2",
        "--without-mingle", "--without-gossip", "--without-heartbeat",
        "--hostname", nodename,
    ]
    _purge_test_queue()
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
    worker = LiveWorker(process=process, nodename=nodename, log_path=log_path, mail_dir=mail_dir)
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        ready = re.compile(rf"{re.escape(nodename.split('@')[0])}@\S+ ready\.")
        while not ready.search(worker.log()):
            if process.poll() is not None:
                pytest.fail(worker.failure(f"the worker exited with status {process.returncode} before it was ready"))
            if time.monotonic() > deadline:
                pytest.fail(worker.failure(f"the worker was not ready within {READY_TIMEOUT}s"))
            time.sleep(0.1)
        yield worker
    finally:
        _stop(process)
        _purge_test_queue()


def _forget_broker_connections(app) -> None:
    # The app keeps a pool of broker connections and producers, created from the configuration
    # on first use; dropping them (as Celery does after a fork) makes the next publish connect
    # to whatever broker is configured now.
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def _broker_unreachable():
    from django.conf import settings

    from itsm.celery import app

    if "CELERY_BROKER_WRITE_URL" in os.environ:  # it would win over the setting changed here
        pytest.fail("unset CELERY_BROKER_WRITE_URL: it prevents simulating a broker outage")
    conf = app.conf
    saved, saved_options = conf.get("broker_write_url"), conf.broker_transport_options
    _forget_broker_connections(app)
    conf.broker_write_url = UNREACHABLE_BROKER_URL
    # The product's options for a server broker (the filesystem transport's mean nothing to it).
    conf.broker_transport_options = dict(settings.BROKER_FAIL_FAST)
    try:
        yield
    finally:
        conf.broker_write_url = saved
        conf.broker_transport_options = saved_options
        _forget_broker_connections(app)


@pytest.fixture
def broker_unreachable():
    """A context manager: inside it, this process publishes to a broker that refuses connections
    (a worker already running stays connected to the real one, as in a network split)."""
    return _broker_unreachable


@pytest.fixture
def run_concurrently(transactional_db) -> Callable:
    """`run_concurrently(f, g, ...)` calls each function in its own thread, all released at the
    same moment, each on its own database connection; returns, in order, each one's result or
    the exception it raised."""

    def run(*calls: Callable) -> list:
        from django.db import connection

        start = threading.Barrier(len(calls))

        def call(func):
            try:
                start.wait(timeout=30)
                return func()
            except Exception as exc:  # noqa: BLE001  returned: the test asserts which one lost, and how
                return exc
            finally:
                connection.close()

        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            return list(pool.map(call, calls))

    return run


@pytest.fixture
def widen_race(monkeypatch) -> Callable[[str], None]:
    """`widen_race("package.module.function")` makes that function wait RACE_WINDOW seconds
    before it runs (for the rest of the test). Placed inside the transaction under test, it
    keeps parallel callers overlapping there; without it the first caller often commits before
    the second starts, and a missing lock would go unnoticed."""

    def widen(target: str) -> None:
        module_name, name = target.rsplit(".", 1)
        original = getattr(importlib.import_module(module_name), name)

        @functools.wraps(original)
        def slowed(*args, **kwargs):
            time.sleep(RACE_WINDOW)
            return original(*args, **kwargs)

        monkeypatch.setattr(target, slowed)

    return widen


def pytest_unconfigure(config):
    """Delete this session's queue when the broker is a server (tests/settings.py removes the
    session's folder, and with it a filesystem broker's queue)."""
    from django.conf import settings

    if not settings.configured or not hasattr(settings, "TEST_RUN_DIR"):
        return
    if not settings.CELERY_BROKER_URL.startswith("filesystem"):
        try:
            from itsm.celery import app

            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1)
                queue = app.amqp.queues[settings.CELERY_TASK_DEFAULT_QUEUE](conn.default_channel)
                queue.declare()  # the channel learns the binding, so that delete removes it too
                queue.delete()
        except Exception as exc:  # noqa: BLE001  a broker gone by now must not fail the run
            print(f"could not delete the test queue {settings.CELERY_TASK_DEFAULT_QUEUE}: {exc}")


def _start_worker(tmp_path: Path, label: str, env: dict | None = None, include: tuple = ()) -> LiveWorker:
    """Start a worker like `live_worker` does (same settings, queue, pool), logging to
    `tmp_path/<label>.log` and writing its emails to `tmp_path/<label>-mail`; wait until ready.
    `env`: more environment variables; `include`: more modules it imports (test hooks such as
    tests.worker_hooks)."""
    from django.conf import settings
    from django.db import connection

    mail_dir = tmp_path / f"{label}-mail"
    mail_dir.mkdir()
    log_path = tmp_path / f"{label}.log"
    nodename = f"itsm-test-{uuid.uuid4().hex[:8]}@%h"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "itsm.settings",
        "DATABASE_URL": _worker_database_url(connection),
        "ITSM_VAR_DIR": str(settings.TEST_RUN_DIR),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "CELERY_TASK_DEFAULT_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    env.pop("ITSM_TEST_SQLITE_FILE", None)
    command = [
        sys.executable, "-m", "celery", "-A", "itsm", "worker", "--loglevel", "INFO",
        "--pool", "prefork", "--concurrency", "2",
        "--without-mingle", "--without-gossip", "--without-heartbeat",
        "--hostname", nodename,
        *(["--include", ",".join(include)] if include else []),
    ]
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
    worker = LiveWorker(process=process, nodename=nodename, log_path=log_path, mail_dir=mail_dir)
    deadline = time.monotonic() + READY_TIMEOUT
    ready = re.compile(rf"{re.escape(nodename.split('@')[0])}@\S+ ready\.")
    while not ready.search(worker.log()):
        if process.poll() is not None:
            _stop(process)
            pytest.fail(worker.failure(f"the worker exited with status {process.returncode} before it was ready"))
        if time.monotonic() > deadline:
            _stop(process)
            pytest.fail(worker.failure(f"the worker was not ready within {READY_TIMEOUT}s"))
        time.sleep(0.1)
    return worker


@pytest.fixture
def worker_factory(transactional_db, tmp_path) -> Iterator[Callable[[], LiveWorker]]:
    """`worker_factory()` starts one more real worker (as `live_worker`) and returns it; call it
    again for a second one, e.g. after killing the first (`os.killpg(worker.process.pid, SIGKILL)`).
    `worker_factory(env={...}, include=("tests.worker_hooks",))` adds environment variables and
    modules the worker imports (test hooks, see tests/worker_hooks.py).

    The queue is purged before the first worker only (a second one sees what the first left);
    every worker started is stopped after the test, then the queue is purged.
    """
    started: list[LiveWorker] = []

    def start(env: dict | None = None, include: tuple = ()) -> LiveWorker:
        if not started:
            _purge_test_queue()
        worker = _start_worker(tmp_path, f"worker{len(started) + 1}", env=env, include=include)
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            _stop(worker.process)
        _purge_test_queue()
