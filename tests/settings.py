"""Test settings: the product's settings plus a test-only record app."""

import atexit
import os
import shutil
import tempfile
import uuid
from pathlib import Path

# The tests run the embedded development configuration (as `make run` does: DEBUG's defaults for
# the key, email and static files); the operator's production mode is tested apart, in a
# subprocess (tests/itsm/test_production_settings.py). Set before itsm.settings reads it; the
# worker processes the tests start inherit it.
os.environ.setdefault("DJANGO_DEBUG", "1")

from itsm.settings import *  # noqa: E402,F401,F403
from itsm.settings import (  # noqa: E402
    CACHES,
    CELERY_BROKER_URL,
    DATABASES,
    INSTALLED_APPS,
    filesystem_broker_options,
)

INSTALLED_APPS = [*INSTALLED_APPS, "tests.kernel_app"]
ROOT_URLCONF = "tests.urls"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AXES_FAILURE_LIMIT = 5

# --- Real parts (tests/fixtures_worker.py) ------------------------------------------------
# Each test session gets its own id and folder, so sessions running at the same time on one
# machine, or a developer's own worker on var/, never share a test database, a broker folder,
# a task queue or cache keys.
TEST_RUN_ID = uuid.uuid4().hex[:12]
TEST_RUN_DIR = Path(tempfile.mkdtemp(prefix="itsm-tests-"))
_creator_pid = os.getpid()


def _remove_test_run_dir() -> None:
    # At exit of the process that created it, whatever it ran (any pytest invocation, or a
    # script using these settings); never at exit of a forked child.
    if os.getpid() == _creator_pid:
        shutil.rmtree(TEST_RUN_DIR, ignore_errors=True)


atexit.register(_remove_test_run_dir)
CELERY_TASK_DEFAULT_QUEUE = f"itsm-tests-{TEST_RUN_ID}"
CACHES["default"]["KEY_PREFIX"] = f"itsm-tests-{TEST_RUN_ID}"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: a worker process and parallel connections must open the same
    # database (an in-memory database is private to one process, and its shared-cache mode
    # fails at once under concurrent writes instead of waiting for the lock).
    # ITSM_TEST_SQLITE_FILE, read by itsm.settings, still wins when it is set.
    DATABASES["default"].setdefault("TEST", {}).setdefault("NAME", str(TEST_RUN_DIR / "test-db.sqlite3"))
else:
    # test_<name>_<run id>: two sessions against one server do not drop each other's database
    # (pytest-django destroys it at the end; a killed session leaves it behind).
    DATABASES["default"].setdefault("TEST", {}).setdefault(
        "NAME", f"test_{DATABASES['default']['NAME']}_{TEST_RUN_ID}"
    )

if CELERY_BROKER_URL.startswith("filesystem"):
    # The same layout itsm.settings derives from ITSM_VAR_DIR, so a worker started with
    # ITSM_VAR_DIR=TEST_RUN_DIR uses exactly these folders.
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(TEST_RUN_DIR)
