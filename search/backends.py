"""The search backends, built once per process and reused.

modelsearch's ``get_search_backend()`` builds a new backend on every call, and with it a
new OpenSearch/Elasticsearch client whose first request opens a new TCP connection: on
a search that was ~4 ms of the hub's own time per call (scripts/bench_scale.py). The
clients are thread-safe (a pool of connections), so one backend per name serves every
thread of a process.

Two things make a cached backend stale, and both drop it:

- the backends' setting changes (tests override it): Django's ``setting_changed``;
- the process forks (Celery's prefork pool, gunicorn with ``--preload``): a child must
  not share its parent's pooled sockets, whose requests and answers would interleave
  on one connection. ``os.register_at_fork`` drops the cache in the child, which then
  builds its own client on its first search; the parent keeps its own.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

from django.core.signals import setting_changed
from modelsearch.backends import get_search_backend
from modelsearch.conf import get_app_config

# Wagtail's app config reads WAGTAILSEARCH_BACKENDS; modelsearch's own, MODELSEARCH_BACKENDS.
BACKEND_SETTINGS = frozenset({"WAGTAILSEARCH_BACKENDS", "MODELSEARCH_BACKENDS"})

_backends: dict[str, Any] = {}
_building = threading.Lock()


def search_backend(name: str = "default") -> Any:
    """The backend configured as ``name``, the same object for every call in this process."""
    backend = _backends.get(name)
    if backend is None:
        with _building:  # one client per process, even when threads ask at once
            backend = _backends.get(name)
            if backend is None:
                backend = _backends[name] = get_search_backend(name)
    return backend


def search_backends_with_name(*, with_auto_update: bool = False) -> Iterator[tuple[str, Any]]:
    """(name, backend) for each configured backend, as modelsearch's own function lists them."""
    for name, params in get_app_config().get_search_backend_config().items():
        if with_auto_update and params.get("AUTO_UPDATE", True) is False:
            continue
        yield name, search_backend(name)


def search_backends_forget() -> None:
    """Drop every cached backend: the next call builds them again from the settings."""
    _backends.clear()


def _setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in BACKEND_SETTINGS:
        search_backends_forget()


def _forked_child() -> None:
    global _building  # noqa: PLW0603 - the child's own lock, as well as its own clients
    # A thread of the parent may have held the lock at the moment of the fork.
    _building = threading.Lock()
    search_backends_forget()


setting_changed.connect(_setting_changed, dispatch_uid="hubsearch-backends-setting-changed")
os.register_at_fork(after_in_child=_forked_child)
