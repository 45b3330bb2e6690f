"""Where each app's URLs are mounted: a registry filled in `AppConfig.ready()`.

The kernel's URLconf (`itsm/urls.py`) mounts its own pages, then every registered mount, in
the order the apps registered them (INSTALLED_APPS order). It never names a process app, so
an app that is not installed has no URLs and the kernel imports nothing of it:

    # incidents/apps.py, in IncidentsConfig.ready()
    from itsm.mounts import mount_api, mount_pages
    mount_pages("incidents/", "incidents.urls")
    mount_pages("portal/", "incidents.urls", patterns="portal_urlpatterns")
    mount_api("incidents/", "incidents.api.urls", namespace="incidents")

Convention: an app's browser pages live under `/<prefix>/` from `<app>/urls.py`
(`urlpatterns`, or another list named by `patterns` for a second prefix such as the portal);
its API under `/api/v1/<prefix>/` from `<app>/api/urls.py`, namespaced `api:<namespace>:`.
URLconfs are given as dotted paths and imported only when the URLconf is built, after every
app is ready.
"""

from dataclasses import dataclass
from importlib import import_module

from django.urls import include, path


@dataclass(frozen=True)
class Mount:
    prefix: str  # "incidents/": relative to the site root, or to /api/v1/ for the API
    urlconf: str  # a dotted module path: "incidents.urls"
    patterns: str = "urlpatterns"  # the module's list of patterns to mount
    namespace: str = ""  # API mounts: reverse("api:<namespace>:<name>")

    def include(self):
        if self.patterns == "urlpatterns":
            target = self.urlconf
        else:
            target = getattr(import_module(self.urlconf), self.patterns)
        if self.namespace:
            return include((target, self.namespace), namespace=self.namespace)
        return include(target)


_pages: list[Mount] = []
_api: list[Mount] = []


def _add(mounts: list[Mount], mount: Mount) -> None:
    for known in mounts:
        if known == mount:
            return  # registered twice (ready() run again): once is enough
        if known.prefix == mount.prefix:
            raise ValueError(f"URL prefix {mount.prefix!r} is already mounted from {known.urlconf}")
    mounts.append(mount)


def mount_pages(prefix: str, urlconf: str, *, patterns: str = "urlpatterns") -> None:
    """Mount an app's browser pages under `/<prefix>`."""
    _add(_pages, Mount(prefix, urlconf, patterns))


def mount_api(prefix: str, urlconf: str, *, namespace: str) -> None:
    """Mount an app's API under `/api/v1/<prefix>`, with names `api:<namespace>:...`."""
    _add(_api, Mount(prefix, urlconf, namespace=namespace))


def page_urlpatterns() -> list:
    return [path(mount.prefix, mount.include()) for mount in _pages]


def api_urlpatterns() -> list:
    return [path(mount.prefix, mount.include()) for mount in _api]
