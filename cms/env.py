"""The one place the hub reads its environment.

Every setting has a safe embedded default so that ``make demo`` works on a fresh
machine with nothing else running. Production settings add checks on top
(``cms/settings/production.py``); they never read the environment themselves.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

PROJECT_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from error


def env_options(**names: str) -> dict[str, int]:
    """``{OPTION: int(os.environ[VARIABLE])}`` for the variables that are set; unset ones are
    left out, so the class's own default applies (``HUB_CONNECTORS`` OPTIONS)."""
    return {
        option: env_int(variable, 0)
        for option, variable in names.items()
        if (os.environ.get(variable) or "").strip()
    }


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def data_dir() -> Path:
    """Project-local folder for the embedded default's files (SQLite, media, keys)."""
    path = Path(env_str("HUB_DATA_DIR", str(PROJECT_DIR / ".data")))
    path.mkdir(parents=True, exist_ok=True)
    return path


def local_secret(filename: str, *, nbytes: int = 50) -> str:
    """Read a secret from a file in the data folder, creating it (mode 0600) on first use.

    Used only by the embedded default, so that no secret is ever committed and a
    demo restart keeps sessions and encrypted tokens readable.
    """
    path = data_dir() / filename
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(nbytes))
    return path.read_text().strip()


# --- Search -----------------------------------------------------------------

_SEARCH_BACKENDS = {
    "opensearch2": "modelsearch.backends.opensearch2",
    "opensearch3": "modelsearch.backends.opensearch3",
    "elasticsearch7": "modelsearch.backends.elasticsearch7",
    "elasticsearch8": "modelsearch.backends.elasticsearch8",
    "elasticsearch9": "modelsearch.backends.elasticsearch9",
}


@dataclass(frozen=True)
class SearchConfig:
    backend: str
    urls: tuple[str, ...]

    @property
    def is_database(self) -> bool:
        return self.backend == "modelsearch.backends.database"


def parse_search_url(url: str) -> SearchConfig:
    """Turn ``SEARCH_URL`` into a backend path and node URLs.

    ``opensearch3+http://127.0.0.1:9201`` → the OpenSearch 3 backend on that node;
    several nodes of one cluster may be given comma-separated after the scheme
    (``opensearch3+http://a:9200,http://b:9200``). An empty value means the
    database backend (SQLite FTS5 or PostgreSQL full text).
    """
    url = url.strip()
    if not url:
        return SearchConfig(backend="modelsearch.backends.database", urls=())
    kind, plus, rest = url.partition("+")
    if not plus or kind not in _SEARCH_BACKENDS:
        known = ", ".join(sorted(_SEARCH_BACKENDS))
        raise ImproperlyConfigured(
            f"SEARCH_URL must look like 'opensearch3+http://host:9200' with one of: {known}; "
            f"got {url!r}"
        )
    urls = []
    for node in rest.split(","):
        parts = urlsplit(node.strip())
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ImproperlyConfigured(f"SEARCH_URL node {node!r} must be an http(s) URL")
        urls.append(urlunsplit(parts))
    return SearchConfig(backend=_SEARCH_BACKENDS[kind], urls=tuple(urls))


def redact_url(url: str) -> str:
    """The URL with any password replaced, for logs and health output."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = unquote(parts.username or "")
    netloc = f"{user}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
