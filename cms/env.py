"""The one place the hub reads its environment.

Every variable is declared once in ``HubEnvironment`` with its type, its
embedded default and what it means; settings modules read them from
``environment()`` and nothing else reads ``os.environ``. Every variable has a
safe embedded default so that ``make demo`` works on a fresh machine with
nothing else running. Production settings add checks on top
(``cms/settings/production.py``). ``tests/cms/test_settings.py`` keeps the
README's table of variables and this declaration in step.

Settings that differ per social network (polling interval, request budget) are
read by ``cms/settings/`` for each registered connector; see the README.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import unquote, urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured
from pydantic import BeforeValidator, Field, ValidationError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _comma_separated(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


CommaList = Annotated[list[str], NoDecode, BeforeValidator(_comma_separated)]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class HubEnvironment(BaseSettings):
    """Every environment variable the hub reads: type, embedded default, meaning.

    An empty variable counts as unset. A value of the wrong type stops the hub
    at start-up with the variable's name (see ``environment()``).
    """

    model_config = SettingsConfigDict(case_sensitive=True, env_ignore_empty=True, extra="ignore")

    # --- Core
    SECRET_KEY: str = Field(
        "",
        description="Django's secret key; **required** in production (embedded: a random key kept in `.data/secret_key`)",
    )
    DEBUG: bool | None = Field(
        None,
        description="Django debug mode (`true` embedded, `false` in production, which refuses to start with it on)",
    )
    ALLOWED_HOSTS: CommaList = Field(
        ["127.0.0.1", "localhost", "[::1]"],
        description="comma-separated host names the hub answers to; **required** in production",
    )
    CSRF_TRUSTED_ORIGINS: CommaList = Field(
        [], description="comma-separated origins, e.g. `https://hub.example.gov.uk`"
    )
    HUB_DATA_DIR: Path = Field(
        PROJECT_DIR / ".data",
        description="where the embedded default keeps its database, media and local keys",
    )
    TIME_ZONE: str = Field("Europe/London", description="the hub's time zone")
    LOG_LEVEL: LogLevel = Field("INFO", description="root log level")
    PROMETHEUS_MULTIPROC_DIR: Path | None = Field(
        None,
        description="an empty directory shared by gunicorn's workers, so `/metrics` adds up their request metrics (prometheus_client's own variable; empty it at each start)",
    )
    HUB_LOG_FORMAT: Literal["plain", "json"] = Field(
        "plain",
        description="`json`: one JSON object per log line, with `request_id` (production's default); `plain`: text",
    )
    MEDIA_ROOT: Path | None = Field(None, description="uploaded files (embedded: `.data/media`)")
    STATIC_ROOT: Path = Field(
        PROJECT_DIR / "staticfiles", description="where `collectstatic` writes"
    )
    SECURE_SSL_REDIRECT: bool = Field(
        True,
        description="production: redirect HTTP to HTTPS (behind a proxy that sets `X-Forwarded-Proto`)",
    )
    SECURE_HSTS_SECONDS: int = Field(
        31_536_000, ge=0, description="production: HSTS max-age in seconds"
    )
    HUB_SITE_NAME: str = Field(
        "Consultation hub",
        description="the service name in the header, page titles, emails and feeds (English pages)",
    )
    HUB_SITE_NAME_CY: str = Field(
        "Hyb ymgynghori",
        description="the service name on Welsh pages (`/cy/...`), in Welsh emails and the Welsh feeds",
    )
    HUB_BASE_URL: str = Field(
        "http://127.0.0.1:8000",
        description="the public base URL, for links in the admin, the API and notifications",
    )

    # --- Database
    DATABASE_URL: str = Field(
        "",
        description="e.g. `postgres://hub:secret@db.internal:5432/hub` (embedded: SQLite file `.data/hub.sqlite3`)",
    )
    DATABASE_CONN_MAX_AGE: int = Field(
        0, ge=0, description="seconds to keep database connections open"
    )

    # --- Celery
    CELERY_BROKER_URL: str = Field(
        "",
        description="e.g. `redis://redis.internal:6379/0` (embedded: none, tasks run in-process); Wagtail's background tasks (django-tasks) then go to Celery too",
    )
    CELERY_RESULT_BACKEND: str = Field(
        "", description="where task results are kept (default: the broker URL)"
    )
    CELERY_TASK_DEFAULT_QUEUE: str = Field("hub", description="the queue workers consume")

    # --- Cache
    CACHE_URL: str = Field(
        "",
        description="e.g. `redis://redis.internal:6379/2` (embedded: per-process memory); **required** in production, so the response form's rate limit is shared by every web process",
    )
    HUB_PAGE_CACHE: bool = Field(
        True,
        description="serve anonymous visitors' public pages (consultations, responses, summaries, the API) from the cache (`CACHE_URL`), invalidated when what they show changes",
    )
    HUB_PAGE_CACHE_SECONDS: int = Field(
        60,
        ge=0,
        description="seconds a cached public page is served without being rebuilt (what changes with time alone, such as a consultation closing, shows within this)",
    )
    HUB_PAGE_CACHE_STALE_SECONDS: int = Field(
        86400,
        gt=0,
        description="seconds a cached public page is kept after that, to answer from while the database or the search node is away",
    )
    HUB_PAGE_MAX_AGE: int = Field(
        0,
        ge=0,
        description="`Cache-Control: max-age` of public pages for browsers (they revalidate with `ETag`/`Last-Modified` and get a 304)",
    )
    HUB_PAGE_CDN_MAX_AGE: int = Field(
        0,
        ge=0,
        description="`Cache-Control: s-maxage` of public pages for a CDN or shared proxy in front of the hub; 0 (the default) makes it revalidate every time, so a hidden response is never shown from it",
    )
    HUB_HEALTH_TOKEN: str = Field(
        "",
        description='a bearer token (`Authorization: Bearer …`) that gets `/healthz`\'s details, as staff do; without it everyone else gets only `{"status": …}`',
    )

    # --- Search
    SEARCH_URL: str = Field(
        "",
        description="`opensearch3+http://127.0.0.1:9201`, `opensearch2+…`, `elasticsearch7/8/9+https://user:pass@host:9200`; several nodes of one cluster comma-separated (embedded: none, the database backend: SQLite FTS5 / PostgreSQL full text)",
    )
    SEARCH_INDEX_PREFIX: str = Field(
        "hub_",
        description="prefix of the hub's index names (`hubtest_` in tests), so several hubs can share a cluster",
    )
    SEARCH_TIMEOUT: int = Field(10, gt=0, description="seconds per search request")
    HUB_SEARCH_DRAIN_INTERVAL: int = Field(
        10,
        gt=0,
        description="seconds between drains of the search index outbox (changes queued in the database, so a search outage loses nothing)",
    )
    HUB_SEARCH_DRAIN_BATCH: int = Field(
        500, gt=0, description="outbox rows per bulk request to the search backend"
    )
    HUB_SEARCH_DRAIN_ON_COMMIT: bool = Field(
        True, description="also drain right after each change commits"
    )
    HUB_SEARCH_SWEEP_SETTLE: int = Field(
        30,
        ge=0,
        description="seconds after which bulk updates (which send no signals) are swept into the outbox",
    )

    # --- The web response form
    HUB_RESPONSE_RATE_LIMIT: int = Field(
        20,
        gt=0,
        description="web responses one client (IP address) may send per window; over it they get a 'too many requests' page (HTTP 429)",
    )
    HUB_RESPONSE_RATE_WINDOW: int = Field(
        3600, gt=0, description="the rate limit's window, in seconds"
    )
    HUB_STATUS_LOOKUP_LIMIT: int = Field(
        30,
        gt=0,
        description="lookups of a response's status one client (IP address) may make per window; over it they get a 'too many requests' page (HTTP 429)",
    )
    HUB_STATUS_LOOKUP_WINDOW: int = Field(
        600, gt=0, description="the status lookups' window, in seconds"
    )
    HUB_TRUSTED_PROXY_COUNT: int = Field(
        0,
        ge=0,
        description="reverse proxies in front of the hub that append to `X-Forwarded-For` (set `1` behind one load balancer), so the rate limit sees the real client",
    )

    # --- Admin accounts
    HUB_ADMIN_2FA: bool | None = Field(
        None,
        description="every admin user confirms their log-in with a one-time code from an authenticator app (TOTP), enrolling at their first log-in (`false` embedded, `true` in production)",
    )
    HUB_LOGIN_FAILURE_LIMIT: int = Field(
        5,
        gt=0,
        description="failed admin log-ins for one user name from one address before both are locked out",
    )
    HUB_LOGIN_LOCKOUT: int = Field(
        900, gt=0, description="seconds a locked-out log-in stays locked"
    )
    HUB_SESSION_AGE: int = Field(
        28800,
        gt=0,
        description="production: seconds an admin log-in lasts (it also ends when the browser closes)",
    )

    # --- Connectors
    HUB_CHANNEL_KEY: str = Field(
        "",
        description="Fernet key(s) that encrypt channel credentials at rest; comma-separated to rotate (the first encrypts, all decrypt); **required** in production, the same on every machine (embedded: a random key kept in `.data/channel_key`)",
    )
    HUB_CONNECTOR_TIMEOUT: int = Field(
        10, gt=0, description="seconds per request to a social network"
    )
    HUB_CONNECTOR_ALLOWED_HOSTS: CommaList = Field(
        [],
        description="if set, the only host names a channel's base URL may name (e.g. `api.example.social,social.example.org`); every host must still resolve to a public address",
    )
    HUB_CONNECTOR_ALLOW_LOOPBACK: bool | None = Field(
        None,
        description="let channels reach loopback addresses (the sandbox networks): `true` embedded and in tests, always `false` in production, where a base URL must be HTTPS to a public address",
    )
    HUB_DELIVERY_RETRY_BASE: int = Field(
        30,
        gt=0,
        description="seconds before the first retry of a failed post (doubling after; a network's own rate-limit reset wins)",
    )
    HUB_OUTCOME_REPLY_MAX_AGE: int = Field(
        30,
        gt=0,
        description="days after a consultation's outcome is published during which the hub still replies with it in each announcement thread (so an old outcome is not announced late, e.g. on a newly connected channel)",
    )
    HUB_RESPONDENT_REPLY_HOURLY_CAP: int = Field(
        30,
        gt=0,
        description="replies to respondents (the optional outcome reply to each person who replied, where a consultation's channel turns it on) the hub schedules per channel per hour; the rest wait for a later run",
    )
    HUB_SANDBOX_CREDENTIALS: str = Field(
        "",
        description="a JSON file of sandbox accounts (written by `manage.py sandbox --credentials-file`); `seed_demo` links the demo department's channels to them",
    )
    HUB_DELIVERY_TAKEOVER_INTERVAL: int = Field(
        20,
        gt=0,
        description="seconds between Celery beat's looks for deliveries whose worker died mid-post (taken over and checked against the network before posting again)",
    )
    HUB_COLLECT_TICK: int = Field(
        15,
        gt=0,
        description="seconds between Celery beat's looks for consultations whose replies are due to be collected",
    )
    HUB_COLLECT_AFTER_CLOSE_DAYS: int = Field(
        7,
        ge=0,
        description="days after a consultation closes during which replies are still collected",
    )
    HUB_COLLECT_PAGE_SIZE: int = Field(
        100, gt=0, description="replies asked for per request (capped by each network)"
    )
    HUB_COLLECT_PAGES_PER_POLL: int = Field(
        50, gt=0, description="pages one poll may read before leaving the rest to the next"
    )
    HUB_COLLECT_RATE_WINDOW: int = Field(
        900, gt=0, description="the window, in seconds, of each network's request budget"
    )
    HUB_SWEEP_INTERVAL: int = Field(600, gt=0, description="seconds between deletion sweeps")
    HUB_SWEEP_BATCH: int = Field(
        100,
        gt=0,
        description="collected posts re-checked per consultation and channel per sweep; deleted or private posts become withdrawn tombstones",
    )

    # --- Analysis
    HUB_ANALYSIS_INTERVAL: int = Field(
        300,
        gt=0,
        description="seconds between Celery beat's incremental analysis runs for consultations with new responses",
    )
    HUB_ANALYSIS_SEED: int = Field(0, description="the fixed seed that makes themes repeatable")
    HUB_SUMMARY_INLINE_LIMIT: int = Field(
        5000,
        ge=0,
        description="public responses up to which a visitor's request computes a summary that has no figures yet; above it the page says they are being prepared while a Celery task computes them",
    )
    HUB_SUMMARY_SWEEP_INTERVAL: int = Field(
        300,
        gt=0,
        description="seconds between Celery beat's sweeps that recompute any public summary left out of date (its task lost)",
    )
    HUB_EMBEDDER: str = Field(
        "",
        description="dotted path of the sentence embedder (empty: the bundled all-MiniLM-L6-v2 run in numpy)",
    )
    HUB_SENTIMENT_MODEL: str = Field(
        "",
        description="dotted path of the sentiment model (empty: VADER with the consultation vocabulary)",
    )

    # --- Email
    EMAIL_URL: str = Field(
        "",
        description="how the hub sends email: `smtp://user:pass@mail.internal:25`, `smtp+tls://…:587` (STARTTLS), `smtps://…:465`, `console:` or `file:///var/spool/hub-mail` (embedded: files in `.data/mail/`)",
    )
    HUB_EMAIL_FROM: str = Field(
        "Consultation hub <noreply@localhost>",
        description="the sender of the confirmation and outcome emails: an address the mail server may send as",
    )
    HUB_EMAIL_TIMEOUT: int = Field(
        10, gt=0, description="seconds per connection to the mail server"
    )

    # --- Retention
    HUB_RETENTION_INTERVAL: int = Field(
        3600,
        gt=0,
        description="seconds between Celery beat's retention runs, which expire what each department's retention schedule no longer keeps",
    )


@cache
def environment() -> HubEnvironment:
    """The environment, read and checked once per process."""
    try:
        return HubEnvironment()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()
        )
        raise ImproperlyConfigured(f"The environment is not valid: {problems}") from None


def is_set(name: str) -> bool:
    """Whether the variable was given (non-empty) rather than left to its default."""
    return name in environment().model_fields_set


def data_dir() -> Path:
    """Project-local folder for the embedded default's files (SQLite, media, keys)."""
    path = environment().HUB_DATA_DIR
    path.mkdir(parents=True, exist_ok=True)
    return path


def private_file_ensure(name: str | os.PathLike) -> None:
    """Create an empty file only its owner may read (mode 0600), unless it exists already."""
    path = Path(name)
    if str(name) in ("", ":memory:") or path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:  # another process made it first
        pass


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


# --- Email ------------------------------------------------------------------

_EMAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtp+tls": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
}


@dataclass(frozen=True)
class EmailConfig:
    """Django's email settings, from ``EMAIL_URL``."""

    backend: str
    host: str = "localhost"
    port: int = 25
    user: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False
    file_path: str = ""


def parse_email_url(url: str, *, default_file_path: Path) -> EmailConfig:
    """Turn ``EMAIL_URL`` into Django's email settings.

    ``smtp://user:pass@host:25`` plain SMTP, ``smtp+tls://…:587`` with STARTTLS,
    ``smtps://…:465`` over TLS, ``console:`` to standard output, ``file:///path`` one file
    per email in that folder. Empty: files in ``default_file_path`` (the embedded default
    sends nothing anywhere).
    """
    url = url.strip()
    if not url:
        return EmailConfig(backend=_EMAIL_BACKENDS["file"], file_path=str(default_file_path))
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _EMAIL_BACKENDS:
        known = ", ".join(sorted(_EMAIL_BACKENDS))
        raise ImproperlyConfigured(f"EMAIL_URL must start with one of {known}; got {scheme!r}")
    if scheme == "console":
        return EmailConfig(backend=_EMAIL_BACKENDS["console"])
    if scheme == "file":
        if not parts.path:
            raise ImproperlyConfigured("EMAIL_URL file:// needs a folder, e.g. file:///var/mail")
        return EmailConfig(backend=_EMAIL_BACKENDS["file"], file_path=unquote(parts.path))
    if not parts.hostname:
        raise ImproperlyConfigured(f"EMAIL_URL {redact_url(url)!r} names no host")
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"EMAIL_URL {redact_url(url)!r} has a bad port") from None
    default_port = {"smtp": 25, "smtp+tls": 587, "smtps": 465}[scheme]
    return EmailConfig(
        backend=_EMAIL_BACKENDS[scheme],
        host=parts.hostname,
        port=port or default_port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=scheme == "smtp+tls",
        use_ssl=scheme == "smtps",
    )


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


def per_network_int(prefix: str, network: str, default: int) -> int:
    """A whole-number setting given per social network, e.g. ``HUB_COLLECT_INTERVAL_X``.

    Networks are registered in settings (``HUB_CONNECTORS``), so their variables
    cannot be declared on ``HubEnvironment``; the README lists them.
    """
    name = f"{prefix}_{network.upper()}"
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value <= 0:
        raise ImproperlyConfigured(f"{name} must be greater than 0, not {value}")
    return value


#: ``HUB_CONNECTORS`` OPTIONS a network may take from the environment, by variable prefix.
NETWORK_OPTION_PREFIXES = {
    "POLL_INTERVAL": "HUB_COLLECT_INTERVAL",
    "REQUEST_BUDGET": "HUB_COLLECT_RATE_BUDGET",
    "READ_BUDGET": "HUB_READ_BUDGET",
    "QUOTA_UNITS": "HUB_QUOTA_UNITS",
}


def network_options(network: str) -> dict[str, int]:
    """The OPTIONS of ``HUB_CONNECTORS[network]`` given in the environment
    (``HUB_COLLECT_INTERVAL_<NETWORK>``, ...). Unset ones are left out, so the backend
    class's own default applies."""
    options = {}
    for option, prefix in NETWORK_OPTION_PREFIXES.items():
        if os.environ.get(f"{prefix}_{network.upper()}", "").strip():
            options[option] = per_network_int(prefix, network, 0)
    return options
