"""Test-only hooks for a real worker (tests/fixtures_worker.py, `worker_factory(include=...)`).

A worker started with `--include tests.worker_hooks` and ITSM_TEST_SWEEP_GATE=<folder> makes
the SLA sweep observable and holdable between its chunks: after each chunk has committed, the
pool process appends "<pid> <timers checked>" to <folder>/progress, then waits as long as
<folder>/hold exists. A test can thus kill the process running a sweep at a known point in
the middle of its batch. ITSM_TEST_SWEEP_CHUNK sets the chunk's size (a batch of two chunks
then needs tens of clocks, not hundreds). The worker also declares a killed pool process lost after one second
instead of ten (`worker_lost_wait`: how long it waits for a result the process may have sent).
Without the variable nothing is changed.
"""

import os
import time
from pathlib import Path

from celery.signals import worker_init, worker_process_init

POLL = 0.02  # seconds


@worker_init.connect
def lose_killed_processes_sooner(sender, **kwargs):
    if os.environ.get("ITSM_TEST_SWEEP_GATE"):
        sender.worker_lost_wait = 1.0


@worker_process_init.connect
def hold_the_sweep_between_chunks(**kwargs):
    gate = os.environ.get("ITSM_TEST_SWEEP_GATE")
    if not gate:
        return
    from slas.services import sweep

    folder = Path(gate)
    chunk = sweep._sweep_chunk
    if size := os.environ.get("ITSM_TEST_SWEEP_CHUNK"):
        sweep.SWEEP_CHUNK = int(size)

    def chunk_then_wait(*args, **kwargs):
        checked, escalations = chunk(*args, **kwargs)  # its own transaction: committed on return
        with open(folder / "progress", "a") as progress:
            progress.write(f"{os.getpid()} {checked}\n")
        while (folder / "hold").exists():
            time.sleep(POLL)
        return checked, escalations

    sweep._sweep_chunk = chunk_then_wait
