"""itsm.generations: a per-process copy is read again after every bump, in this process or
another, and never filed from a transaction that rolled back."""

import pytest
from django.db import transaction

from itsm import generations
from itsm.generations import GenerationCache

pytestmark = pytest.mark.django_db


class Reader:
    def __init__(self):
        self.reads = 0

    def __call__(self):
        self.reads += 1
        return f"copy {self.reads}"


def test_a_copy_is_reused_until_a_writer_bumps_the_stamp(django_capture_on_commit_callbacks):
    cache, read = GenerationCache("tests.things"), Reader()

    with django_capture_on_commit_callbacks(execute=True):
        assert cache.get("key", read) == "copy 1"
    assert cache.get("key", read) == "copy 1"
    with django_capture_on_commit_callbacks(execute=True):
        generations.bump("tests.things")
        assert cache.get("key", read) == "copy 2"

    assert read.reads == 2


def test_a_bump_by_another_process_is_seen(django_capture_on_commit_callbacks):
    # Two caches of one name stand for two processes: the stamp is in the database.
    web, worker, read = GenerationCache("tests.things"), GenerationCache("tests.things"), Reader()
    with django_capture_on_commit_callbacks(execute=True):
        worker.get("key", read)

    web.bump()

    with django_capture_on_commit_callbacks(execute=True):
        assert worker.get("key", read) == "copy 2"


def test_a_copy_read_in_a_rolled_back_transaction_is_not_filed():
    cache, read = GenerationCache("tests.things"), Reader()

    with pytest.raises(RuntimeError), transaction.atomic():
        cache.get("key", read)
        raise RuntimeError("rolled back")

    assert not cache.holds("key")


def test_a_rolled_back_bump_keeps_the_old_stamp_and_stamps_are_never_reused():
    generations.bump("tests.things")
    before = generations.current("tests.things")

    with pytest.raises(RuntimeError), transaction.atomic():
        generations.bump("tests.things")
        inside = generations.current("tests.things")
        raise RuntimeError("rolled back")

    assert generations.current("tests.things") == before != inside
    generations.bump("tests.things")
    assert generations.current("tests.things") not in (before, inside, "")
