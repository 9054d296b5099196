"""Settings shared by every environment, with safe embedded defaults.

Everything environment-specific is read through ``cms.env``; see the README's
table of environment variables.
"""

import dj_database_url

from cms import env
from cms.env import PROJECT_DIR

BASE_DIR = PROJECT_DIR
DATA_DIR = env.data_dir()

# --- Core --------------------------------------------------------------------

DEBUG = env.env_bool("DEBUG", default=True)
# The embedded default keeps its own key in .data/ (mode 0600); production
# settings refuse to start without SECRET_KEY in the environment.
SECRET_KEY = env.env_str("SECRET_KEY") or env.local_secret("secret_key")
ALLOWED_HOSTS = env.env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "cms",
    "cms.home",
    "consultations",
    "engagement",
    "connectors",
    "search",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_tasks",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "cms.urls"
WSGI_APPLICATION = "cms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PROJECT_DIR / "cms" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "cms.context_processors.service",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------
# DATABASE_URL, e.g. postgres://hub:secret@db.internal:5432/hub; the embedded
# default is a SQLite file in the project-local data folder.

DATABASES = {
    "default": dj_database_url.parse(
        env.env_str("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'hub.sqlite3'}",
        conn_max_age=env.env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.env_str("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# --- Static and media ----------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = env.env_str("STATIC_ROOT", str(PROJECT_DIR / "staticfiles"))
STATICFILES_DIRS = [PROJECT_DIR / "cms" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.env_str("MEDIA_ROOT", str(DATA_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# In development WhiteNoise serves straight from the app folders (no collectstatic).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# --- Celery and background tasks --------------------------------------------------
# With no broker the hub runs every task in-process, so nothing else has to run.

CELERY_BROKER_URL = env.env_str("CELERY_BROKER_URL")
CELERY_RESULT_BACKEND = env.env_str("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = env.env_str("CELERY_TASK_DEFAULT_QUEUE", "hub")
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Wagtail's own background work (search indexing, reference index, file
# deletion) goes through django-tasks: to Celery when there is a broker,
# otherwise immediately in-process.
TASKS = {
    "default": {
        "BACKEND": (
            "cms.tasks_backend.CeleryTaskBackend"
            if CELERY_BROKER_URL
            else "django_tasks.backends.immediate.ImmediateBackend"
        )
    }
}

# --- Search --------------------------------------------------------------------
# SEARCH_URL, e.g. opensearch3+http://127.0.0.1:9201; unset means the database
# backend (SQLite FTS5 or PostgreSQL full text).

SEARCH = env.parse_search_url(env.env_str("SEARCH_URL"))
WAGTAILSEARCH_BACKENDS = {
    "default": {
        "BACKEND": SEARCH.backend,
        **(
            {}
            if SEARCH.is_database
            else {
                "URLS": list(SEARCH.urls),
                "INDEX_PREFIX": env.env_str("SEARCH_INDEX_PREFIX", "hub_"),
                "TIMEOUT": env.env_int("SEARCH_TIMEOUT", 10),
                "ATOMIC_REBUILD": True,
            }
        ),
    }
}

# --- Wagtail -------------------------------------------------------------------

WAGTAIL_SITE_NAME = env.env_str("HUB_SITE_NAME", "Consultation hub")
WAGTAILADMIN_BASE_URL = env.env_str("HUB_BASE_URL", "http://127.0.0.1:8000")
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "rtf", "txt", "xlsx"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 10 * 1024 * 1024

# --- Connectors ------------------------------------------------------------------
# Channel credentials are encrypted with HUB_CHANNEL_KEY (comma-separated keys:
# the first encrypts, all decrypt); the embedded default keeps a random key in
# .data/channel_key (mode 0600).

HUB_CHANNEL_KEY = env.env_str("HUB_CHANNEL_KEY") or env.local_secret("channel_key")
# The networks, by name (connectors.registry): the backend class that declares everything
# about the network, OPTIONS over its defaults (POLL_INTERVAL seconds between polls of one
# consultation, REQUEST_BUDGET requests per channel per HUB_COLLECT_RATE_WINDOW, READ_BUDGET
# posts read per consultation where the network bills reads), and the sandbox that stands
# in for it in the demo and the tests (not shipped in the installed package).
HUB_CONNECTORS = {
    "x": {
        "BACKEND": "connectors.backends.x.XConnector",
        "OPTIONS": env.env_options(
            POLL_INTERVAL="HUB_COLLECT_INTERVAL_X",
            REQUEST_BUDGET="HUB_COLLECT_RATE_BUDGET_X",
            READ_BUDGET="HUB_X_READ_BUDGET",
        ),
        "SANDBOX": "connectors.sandbox.x.XApi",
    },
    "mastodon": {
        "BACKEND": "connectors.backends.mastodon.MastodonConnector",
        "OPTIONS": env.env_options(
            POLL_INTERVAL="HUB_COLLECT_INTERVAL_MASTODON",
            REQUEST_BUDGET="HUB_COLLECT_RATE_BUDGET_MASTODON",
        ),
        "SANDBOX": "connectors.sandbox.mastodon.MastodonApi",
    },
    "bluesky": {
        "BACKEND": "connectors.backends.bluesky.BlueskyConnector",
        "OPTIONS": env.env_options(
            POLL_INTERVAL="HUB_COLLECT_INTERVAL_BLUESKY",
            REQUEST_BUDGET="HUB_COLLECT_RATE_BUDGET_BLUESKY",
        ),
        "SANDBOX": "connectors.sandbox.bluesky.BlueskyApi",
    },
}
# Seconds per request to a network, and the first retry delay after a 5xx (doubling).
HUB_CONNECTOR_TIMEOUT = env.env_int("HUB_CONNECTOR_TIMEOUT", 10)
HUB_DELIVERY_RETRY_BASE = env.env_int("HUB_DELIVERY_RETRY_BASE", 30)
# The demo: seed_demo reads the sandbox command's credentials file from here, when set.
HUB_SANDBOX_CREDENTIALS = env.env_str("HUB_SANDBOX_CREDENTIALS")
# Collecting replies: beat looks for due polls every HUB_COLLECT_TICK seconds; each
# consultation is polled per channel every POLL_INTERVAL seconds of its network (above)
# while open and for HUB_COLLECT_AFTER_CLOSE_DAYS after it closes.
HUB_COLLECT_TICK = env.env_int("HUB_COLLECT_TICK", 15)
HUB_COLLECT_AFTER_CLOSE_DAYS = env.env_int("HUB_COLLECT_AFTER_CLOSE_DAYS", 7)
HUB_COLLECT_PAGE_SIZE = env.env_int("HUB_COLLECT_PAGE_SIZE", 100)
HUB_COLLECT_PAGES_PER_POLL = env.env_int("HUB_COLLECT_PAGES_PER_POLL", 50)
# The window of each network's REQUEST_BUDGET; over a budget (or a READ_BUDGET),
# collection stops and the record says it is incomplete.
HUB_COLLECT_RATE_WINDOW = env.env_int("HUB_COLLECT_RATE_WINDOW", 900)
# The deletion sweep: how often, and how many collected posts per consultation and channel.
HUB_SWEEP_INTERVAL = env.env_int("HUB_SWEEP_INTERVAL", 600)
HUB_SWEEP_BATCH = env.env_int("HUB_SWEEP_BATCH", 100)
# Analysis (engagement.services.analysis): beat re-analyses consultations with new or
# changed responses every HUB_ANALYSIS_INTERVAL seconds (the debounce), with a fixed seed.
HUB_ANALYSIS_INTERVAL = env.env_int("HUB_ANALYSIS_INTERVAL", 300)
HUB_ANALYSIS_SEED = env.env_int("HUB_ANALYSIS_SEED", 0)
CELERY_BEAT_SCHEDULE = {
    # Wagtail's go-live and expiry dates (consultations scheduled to publish).
    "consultations-publish-scheduled": {
        "task": "consultations.publish_scheduled",
        "schedule": 60.0,
    },
    "connectors-send-due-reminders": {
        "task": "connectors.tasks.send_due_reminders",
        "schedule": 300.0,
    },
    "connectors-collect-replies": {
        "task": "connectors.tasks.collect_due_replies",
        "schedule": float(HUB_COLLECT_TICK),
    },
    "connectors-sweep-deletions": {
        "task": "connectors.tasks.sweep_deletions",
        "schedule": float(HUB_SWEEP_INTERVAL),
    },
    "engagement-analyse-due": {
        "task": "engagement.tasks.analyse_due",
        "schedule": float(HUB_ANALYSIS_INTERVAL),
    },
}

# --- Search: the index outbox (search/) --------------------------------------------
# Changes to responses are queued in the database and drained to the search backend in
# bulk: on commit (in-process without a broker) and by beat every
# HUB_SEARCH_DRAIN_INTERVAL seconds, which also catches up after a search node outage.

HUB_SEARCH_DRAIN_INTERVAL = env.env_int("HUB_SEARCH_DRAIN_INTERVAL", 10)
HUB_SEARCH_DRAIN_BATCH = env.env_int("HUB_SEARCH_DRAIN_BATCH", 500)
HUB_SEARCH_DRAIN_ON_COMMIT = env.env_bool("HUB_SEARCH_DRAIN_ON_COMMIT", True)
# Bulk updates send no signals: the drain sweeps rows older than this many seconds.
HUB_SEARCH_SWEEP_SETTLE = env.env_int("HUB_SEARCH_SWEEP_SETTLE", 30)
# Most matches a public search ranks, counts and pages through.
HUB_SEARCH_MAX_MATCHES = env.env_int("HUB_SEARCH_MAX_MATCHES", 10_000)
CELERY_BEAT_SCHEDULE["search-drain-index"] = {
    "task": "search.drain_search_index",
    "schedule": float(HUB_SEARCH_DRAIN_INTERVAL),
}

# --- Cache (consultations: the response form's rate limit) ----------------------
# CACHE_URL, e.g. redis://redis.internal:6379/2, shared by every web process; the
# embedded default is per-process memory, enough for one runserver.

CACHE_URL = env.env_str("CACHE_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "hub"}
    )
}

# --- Consultations ---------------------------------------------------------------
# Web responses one client (IP address) may submit per window of seconds.

HUB_RESPONSE_RATE_LIMIT = env.env_int("HUB_RESPONSE_RATE_LIMIT", 20)
HUB_RESPONSE_RATE_WINDOW = env.env_int("HUB_RESPONSE_RATE_WINDOW", 3600)
# Reverse proxies in front of the hub that append to X-Forwarded-For (0: none,
# the client is REMOTE_ADDR). Behind one load balancer, set 1.
HUB_TRUSTED_PROXY_COUNT = env.env_int("HUB_TRUSTED_PROXY_COUNT", 0)

# --- Logging -------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "elastic_transport": {"level": "WARNING"},
        "opensearch": {"level": "WARNING"},
        # One line per Wagtail housekeeping task is noise at INFO.
        "django_tasks": {"level": "WARNING"},
        # Connectors: atproto's HTTP client logs every request to a network at INFO.
        "httpx": {"level": "WARNING"},
    },
}
