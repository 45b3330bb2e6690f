"""itsm.mounts: apps mount their URLs in ready(); the kernel's URLconf names no app."""

from pathlib import Path

import pytest
from django.urls import reverse

from itsm import mounts

ROOT = Path(__file__).resolve().parents[2]


def test_the_apps_pages_and_api_are_mounted_where_they_registered():
    assert reverse("ci_list") == "/cmdb/"
    assert reverse("incident_list") == "/incidents/"
    assert reverse("portal_incident_list").startswith("/portal/")
    assert reverse("api:incidents:incident-list") == "/api/v1/incidents/"
    assert reverse("api:slas:calendar-list").startswith("/api/v1/slas/")


def test_a_prefix_mounted_twice_is_refused_and_the_same_mount_again_is_ignored(monkeypatch):
    monkeypatch.setattr(mounts, "_pages", [])
    mounts.mount_pages("things/", "tests.urls")
    mounts.mount_pages("things/", "tests.urls")  # ready() run again

    with pytest.raises(ValueError, match="already mounted"):
        mounts.mount_pages("things/", "itsm.urls")
    assert len(mounts.page_urlpatterns()) == 1


def test_the_kernel_urlconf_names_no_process_app():
    source = (ROOT / "itsm/urls.py").read_text()

    for app in ("config_items", "slas", "incidents", "problems", "changes", "releases", "audits"):
        assert app not in source
