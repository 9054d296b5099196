"""Health of the parts the hub depends on: database, broker and search.

Each check returns "ok" or a short error; nothing here raises, so a broken
dependency is reported rather than turning the health page itself into a 500.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from cms.celery import app
from search.backends import search_backend
from search.indexes import index_mapping_problems

OK = "ok"
NOT_CONFIGURED = "not configured (tasks run in-process)"


@dataclass(frozen=True)
class PartHealth:
    name: str
    status: str
    configured: bool = True
    detail: str = ""

    @property
    def healthy(self) -> bool:
        return self.status == OK or not self.configured


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"error: {type(error).__name__}" + (f": {text[:200]}" if text else "")


def database_health() -> PartHealth:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any failure is the answer
        return PartHealth("database", _describe(error))
    return PartHealth("database", OK)


def broker_health(timeout: float = 2.0) -> PartHealth:
    if not settings.CELERY_BROKER_URL:
        return PartHealth("broker", NOT_CONFIGURED, configured=False)
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as error:  # noqa: BLE001
        return PartHealth("broker", _describe(error))
    return PartHealth("broker", OK)


def search_health() -> PartHealth:
    try:
        backend = search_backend()
        client = getattr(backend, "es", None)
        if client is None:
            # The database backend keeps its index in the database itself.
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return PartHealth("search", OK, detail=f"database ({connection.vendor})")
        version = client.info().get("version", {})
        # An index the node created by itself (dynamic mapping) answers every search
        # with nothing: report it rather than let the public pages go quietly empty.
        problems = index_mapping_problems(backend=backend)
    except Exception as error:  # noqa: BLE001
        return PartHealth("search", _describe(error))
    node = f"{version.get('distribution', 'elasticsearch')} {version.get('number', '?')}"
    if problems:
        shown = "; ".join(problems[:5]) + (
            f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        )
        return PartHealth(
            "search",
            "error: an index's mapping is not the hub's (run rebuild_search_index)",
            detail=f"{node}: {shown}",
        )
    return PartHealth("search", OK, detail=node)


def hub_health() -> list[PartHealth]:
    return [database_health(), broker_health(), search_health()]
