"""The offline verifier, scripts/verify_evidence.py, loaded from its file: the one
implementation that both `manage.py verify_evidence` and auditors (who get the file alone) run."""

import functools
import importlib.util

from django.conf import settings

SCRIPT = "scripts/verify_evidence.py"


@functools.cache
def checker():
    spec = importlib.util.spec_from_file_location("verify_evidence", settings.BASE_DIR / SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def verify(path, public_key: str | None = None) -> tuple[list[str], dict]:
    return checker().verify(path, public_key)
