"""Production mode: `check --deploy` is clean, static files collect, .env.example is complete.

These run manage.py in a subprocess with the product's settings configured through the
environment, exactly as an operator does; nothing here connects to the configured servers.
"""

import os
import re
import secrets
import subprocess
import sys

from django.conf import settings

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "itsm.settings",
    "DJANGO_DEBUG": "0",
    "ALLOWED_HOSTS": "itsm.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
}


def manage(*args, tmp_path, **env) -> subprocess.CompletedProcess:
    # Only what an operator would set: the test process's own variables (pytest-django's,
    # Playwright's DJANGO_ALLOW_ASYNC_UNSAFE, CI's DATABASE_URL...) must not leak in.
    environ = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    environ.update(PRODUCTION_ENV, ITSM_VAR_DIR=str(tmp_path / "var"), **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        check=False,
        cwd=settings.BASE_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_no_issues(tmp_path):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, SECRET_KEY=secrets.token_urlsafe(50)
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_production_mode_refuses_to_start_without_a_secret_key(tmp_path):
    result = manage("check", tmp_path=tmp_path, SECRET_KEY="")

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_collectstatic_writes_a_manifest_with_hashed_names(tmp_path):
    static_root = tmp_path / "static"

    result = manage(
        "collectstatic",
        "--no-input",
        tmp_path=tmp_path,
        SECRET_KEY=secrets.token_urlsafe(50),
        STATIC_ROOT=str(static_root),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert (static_root / "staticfiles.json").is_file()
    hashed = list(static_root.glob("admin/css/base.*.css"))
    assert hashed and any(path.with_suffix(path.suffix + ".gz").is_file() for path in hashed)


def _settings_env_vars() -> set[str]:
    source = (settings.BASE_DIR / "itsm" / "settings.py").read_text()
    pattern = r"""(?:os\.environ(?:\.get)?\s*[\[(]|env_bool\(|env_list\()\s*["']([A-Z][A-Z0-9_]*)["']"""
    # dj_database_url.config() reads DATABASE_URL itself.
    return set(re.findall(pattern, source)) | {"DATABASE_URL"}


def test_env_example_documents_every_variable_that_settings_read():
    names = _settings_env_vars()
    assert {"SECRET_KEY", "DJANGO_DEBUG", "ALLOWED_HOSTS", "EMAIL_BACKEND"} <= names  # the pattern works
    example = (settings.BASE_DIR / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))

    assert sorted(names - documented) == [], "add these to .env.example (and docs/operations.md)"


def test_debug_is_off_unless_someone_turns_it_on(tmp_path):
    # An installation that forgets DJANGO_DEBUG gets production behaviour, never debug pages:
    # without a secret key it refuses to start, with one it runs with DEBUG off.
    def debug_without_the_variable(**env) -> subprocess.CompletedProcess:
        environ = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
        environ.update({k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_DEBUG"},
                       ITSM_VAR_DIR=str(tmp_path / "var"), **env)
        return subprocess.run([sys.executable, "manage.py", "shell", "-c",
                               "from django.conf import settings; print('DEBUG', settings.DEBUG)"],
                              check=False, cwd=settings.BASE_DIR, env=environ, capture_output=True, text=True,
                              timeout=120)

    refused = debug_without_the_variable()
    started = debug_without_the_variable(SECRET_KEY=secrets.token_urlsafe(50))

    assert refused.returncode != 0 and "SECRET_KEY must be set" in refused.stderr
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip().splitlines()[-1] == "DEBUG False"


def test_manage_py_by_hand_on_the_embedded_default_runs_with_debug_off(tmp_path):
    # No DJANGO_DEBUG, no SECRET_KEY, no DATABASE_URL: a newcomer's `manage.py check` works, with
    # DEBUG off and a key of the installation's own, kept in var/ and the same on every run.
    environ = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    environ.update(DJANGO_SETTINGS_MODULE="itsm.settings", ITSM_VAR_DIR=str(tmp_path / "var"))

    def debug_and_key() -> list[str]:
        done = subprocess.run([sys.executable, "manage.py", "shell", "-c",
                               "from django.conf import settings; print(settings.DEBUG, settings.SECRET_KEY)"],
                              check=False, cwd=settings.BASE_DIR, env=environ, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1].split()

    first, second = debug_and_key(), debug_and_key()

    assert first[0] == "False" and len(first[1]) >= 50 and "insecure" not in first[1]
    assert second == first
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o077 == 0  # its owner's only
