import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def test_the_committed_schema_is_current_and_valid(tmp_path):
    generated = tmp_path / "openapi.yaml"
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", str(generated)],
        # DJANGO_DEBUG=1 as `make schema` sets it: without it the settings refuse to run keyless.
        cwd=ROOT, capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "itsm.settings", "DJANGO_DEBUG": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert generated.read_text() == (ROOT / "docs/openapi.yaml").read_text(), "run `make schema` and commit it"


def test_schema_and_docs_are_served_without_any_external_asset(agent, client):
    client.force_login(agent)

    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200 and b"/api/v1/customers/" in schema.content
    assert docs.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs.content.decode())
    assert assets and all(a.startswith("/") for a in assets), assets


def test_the_schema_is_not_public(client):
    assert client.get("/api/schema/").status_code in (401, 403)
