"""How a test says it needs a real service.

Under ``make test`` (HUB_REQUIRE_SERVICES=1) and in CI (CI=true) a missing
service is a failure with a message saying what is missing. Only a developer
running pytest by hand, without the services, gets a skip that says how to
start them. Nothing here imports Django, so it can be tested on its own.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

_TRUE = {"1", "true", "yes", "on"}


def services_required() -> bool:
    return any(
        os.environ.get(name, "").strip().lower() in _TRUE for name in ("CI", "HUB_REQUIRE_SERVICES")
    )


def require_service(name: str, problem: str | None) -> None:
    """Fail (under CI/make test) or skip (by hand) when ``problem`` says the service is missing."""
    if problem is None:
        return
    message = f"{name} is not available: {problem}. Start the services with `make services-up`."
    if services_required():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def port_problem(host: str, port: int, timeout: float = 1.0) -> str | None:
    """None when something accepts TCP connections at host:port, else why not."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as error:
        return f"nothing accepts connections at {host}:{port} ({error})"


def url_problem(url: str | None, *, what: str) -> str | None:
    if not url:
        return f"{what} is not configured"
    parts = urlsplit(url)
    if not parts.hostname:
        return f"{what} {url!r} has no host"
    default_port = {"redis": 6379, "postgres": 5432, "http": 80, "https": 443}.get(parts.scheme, 0)
    return port_problem(parts.hostname, parts.port or default_port)


def first_problem(*checks: Callable[[], str | None]) -> str | None:
    for check in checks:
        problem = check()
        if problem:
            return problem
    return None
