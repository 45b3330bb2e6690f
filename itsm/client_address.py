"""The client's address: one rule for the login lock-out (django-axes), the API's rate limits
and the access log.

Behind PROXY_COUNT proxies, each proxy appends the address it received the request from to
X-Forwarded-For (nginx's `$proxy_add_x_forwarded_for`), and REMOTE_ADDR is the last proxy. So
the client is the PROXY_COUNT-th address from the right; everything left of it was written by
the client itself and may be forged. With PROXY_COUNT=0 the header is ignored: anyone can send
it. A header with fewer addresses than proxies (a request that did not pass through them all)
or a value that is not an address falls back to REMOTE_ADDR, which nobody can forge.
"""

import ipaddress
import os
from collections.abc import Mapping

from django.conf import settings


def proxy_count_from_environment() -> int:
    """PROXY_COUNT as the settings read it, for processes without Django settings (gunicorn's
    access log)."""
    return int(os.environ.get("PROXY_COUNT", "0") or 0)


def address_from(meta: Mapping, proxy_count: int) -> str | None:
    """The client's address from a WSGI environ / `request.META`, trusting exactly
    `proxy_count` proxies."""
    remote = meta.get("REMOTE_ADDR") or None
    if proxy_count <= 0:
        return remote
    hops = [hop.strip() for hop in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    if not hops[-1] or len(hops) < proxy_count:
        return remote
    return _address(hops[-proxy_count]) or remote


def client_address(request) -> str | None:
    """The address of the client of `request` (settings.PROXY_COUNT proxies trusted).
    `AXES_CLIENT_IP_CALLABLE` names this function; the API throttles call it."""
    return address_from(request.META, settings.PROXY_COUNT)


def _address(value: str) -> str | None:
    """`value` as a normalised IP address (a port, as some proxies add, taken off), else None."""
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # 192.0.2.1:443
        value = value.split(":")[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None
