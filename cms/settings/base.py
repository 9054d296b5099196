"""Settings shared by every environment, with safe embedded defaults.

Everything environment-specific is read through ``cms.env``; see the README's
table of environment variables.
"""

from datetime import timedelta
from typing import Any

import dj_database_url
from csp.constants import NONCE, NONE, SELF

from cms import env
from cms.env import PROJECT_DIR
from search.welsh import welsh_analysis

ENV = env.environment()

BASE_DIR = PROJECT_DIR
DATA_DIR = env.data_dir()

# --- Core --------------------------------------------------------------------

DEBUG = True if ENV.DEBUG is None else ENV.DEBUG
# The embedded default keeps its own key in .data/ (mode 0600); production
# settings refuse to start without SECRET_KEY in the environment.
SECRET_KEY = ENV.SECRET_KEY or env.local_secret("secret_key")
ALLOWED_HOSTS = ENV.ALLOWED_HOSTS
CSRF_TRUSTED_ORIGINS = ENV.CSRF_TRUSTED_ORIGINS

INSTALLED_APPS = [
    "cms",
    "cms.home",
    "consultations",
    "engagement.record",
    "engagement.moderation",
    "engagement.analysis",
    "engagement.opendata",
    "connectors",
    "search",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.simple_translation",
    "wagtail.locales",
    "wagtail.embeds",
    "wagtail.sites",
    "consultations.apps.HubUsersConfig",  # wagtail.users, scoped to departments
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
    "django_prometheus",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    # First and (nearly) last, as django-prometheus asks, so it times the whole request.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "cms.observability.request_id_middleware",
    "django.middleware.security.SecurityMiddleware",
    "cms.middleware.HubCSPMiddleware",
    "cms.middleware.permissions_policy_middleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions, before CommonMiddleware (Django's order): /cy/... is Welsh, the
    # unprefixed site English whatever the browser asks for (prefix_default_language=False).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "cms.two_factor.AdminTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Inside the session, CSRF, (locale) and CSP middleware: it sees whether a page used a
    # session or a CSRF token before storing it, and the CSP header is added to cached
    # bodies on the way out with the nonce they carry (cms/caching.py).
    "cms.caching.PublicPageCacheMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks: it turns a lock-out into its answer.
    "axes.middleware.AxesMiddleware",
]

# --- Admin accounts: log-in throttling and two-factor authentication ---------------------
# django-axes counts failed log-ins (the Wagtail admin's log-in form authenticates through
# these backends) per user name and address; AxesStandaloneBackend refuses a locked one.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = ENV.HUB_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(seconds=ENV.HUB_LOGIN_LOCKOUT)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "cms/login_locked.html"
AXES_IPWARE_PROXY_COUNT = ENV.HUB_TRUSTED_PROXY_COUNT or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if ENV.HUB_TRUSTED_PROXY_COUNT else ["REMOTE_ADDR"]
)
# Two-factor authentication for the admin (cms/two_factor.py); production turns it on.
HUB_ADMIN_2FA = bool(ENV.HUB_ADMIN_2FA)
OTP_TOTP_ISSUER = ENV.HUB_SITE_NAME

# --- Security headers ------------------------------------------------------------
# Content-Security-Policy (django-csp): public pages run only our own scripts, each inline
# one by its nonce (``{{ request.csp_nonce }}``); the Wagtail admin has its own policy.
_VIDEO_HOSTS = [
    "https://www.youtube-nocookie.com",
    "https://www.youtube.com",
    "https://player.vimeo.com",
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-src": _VIDEO_HOSTS,
        "frame-ancestors": [SELF],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
HUB_ADMIN_PATH_PREFIX = "/admin/"
HUB_ADMIN_CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, "'unsafe-inline'"],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-src": [SELF, *_VIDEO_HOSTS],
        "frame-ancestors": [SELF],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
HUB_PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=()"
)

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
                "django.template.context_processors.i18n",
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
        ENV.DATABASE_URL or f"sqlite:///{DATA_DIR / 'hub.sqlite3'}",
        conn_max_age=ENV.DATABASE_CONN_MAX_AGE,
        # A kept connection that died with a database restart is replaced before it is
        # used, instead of failing the first request or task of each process after it.
        conn_health_checks=ENV.DATABASE_CONN_MAX_AGE > 0,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite would create the file readable by every user (umask); create it private first.
    env.private_file_ensure(DATABASES["default"]["NAME"])

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = ENV.TIME_ZONE
USE_I18N = True
# The public site in English (the default, unprefixed URLs) and Welsh (/cy/...); pages,
# their questions and the privacy notices are translated in the CMS (docs/adr/0018).
LANGUAGES = [("en-gb", "English"), ("cy", "Cymraeg")]
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
LOCALE_PATHS = [PROJECT_DIR / "locale"]
USE_TZ = True

# --- Static and media ----------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = str(ENV.STATIC_ROOT)
STATICFILES_DIRS = [PROJECT_DIR / "cms" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = str(ENV.MEDIA_ROOT or DATA_DIR / "media")
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

CELERY_BROKER_URL = ENV.CELERY_BROKER_URL
CELERY_RESULT_BACKEND = ENV.CELERY_RESULT_BACKEND or CELERY_BROKER_URL
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = ENV.CELERY_TASK_DEFAULT_QUEUE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers log through LOGGING below, as the web process does (request ids, JSON lines).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

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

SEARCH = env.parse_search_url(ENV.SEARCH_URL)
# The hub's analysers, one per language of Response.INDEXED_LANGUAGES: the index is
# created with them (search.services.search_index_ensure) and /healthz checks them.
# English: KStem ("light_english"), which keeps "bus" and "buses" together where Porter
# does not, and English stop words. Welsh has no stemmer in OpenSearch (its mutations
# change the start of words): its stop words, and each word also indexed and searched in
# the radical forms it may be a mutation of, and a few plurals (search/welsh.py).
_WELSH_ANALYSIS = welsh_analysis()
SEARCH_ANALYSIS = {
    "filter": {
        "hub_english_possessive": {"type": "stemmer", "language": "possessive_english"},
        "hub_english_stop": {"type": "stop", "stopwords": "_english_"},
        "hub_english_stemmer": {"type": "stemmer", "language": "light_english"},
        **_WELSH_ANALYSIS["filter"],
    },
    "analyzer": {
        "hub_english": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": [
                "hub_english_possessive",
                "lowercase",
                "asciifolding",
                "hub_english_stop",
                "hub_english_stemmer",
            ],
        },
        **_WELSH_ANALYSIS["analyzer"],
    },
}
WAGTAILSEARCH_BACKENDS = {
    "default": {
        "BACKEND": SEARCH.backend,
        **(
            {}
            if SEARCH.is_database
            else {
                "URLS": list(SEARCH.urls),
                "INDEX_PREFIX": ENV.SEARCH_INDEX_PREFIX,
                "TIMEOUT": ENV.SEARCH_TIMEOUT,
                "ATOMIC_REBUILD": True,
                "INDEX_SETTINGS": {"settings": {"analysis": SEARCH_ANALYSIS}},
            }
        ),
    }
}

# --- Wagtail -------------------------------------------------------------------

WAGTAIL_SITE_NAME = ENV.HUB_SITE_NAME
# The same service's name in Welsh, for the /cy/ pages, Welsh emails and feeds
# (consultations.service_name).
HUB_SITE_NAME_CY = ENV.HUB_SITE_NAME_CY
HUB_BASE_URL = ENV.HUB_BASE_URL.rstrip("/")
WAGTAILADMIN_BASE_URL = HUB_BASE_URL
# No Gravatar: it would tell a third party which admins are online (and break the CSP).
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# No call home for new releases from every admin page (nor a CSP exception for it).
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "rtf", "txt", "xlsx"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 10 * 1024 * 1024

# --- Connectors ------------------------------------------------------------------
# Channel credentials are encrypted with HUB_CHANNEL_KEY (comma-separated keys:
# the first encrypts, all decrypt); the embedded default keeps a random key in
# .data/channel_key (mode 0600).

HUB_CHANNEL_KEY = ENV.HUB_CHANNEL_KEY or env.local_secret("channel_key")
# The networks, by name (connectors.registry): the backend class that declares everything
# about the network, OPTIONS over its defaults (POLL_INTERVAL seconds between polls of one
# consultation, REQUEST_BUDGET requests per channel per HUB_COLLECT_RATE_WINDOW, READ_BUDGET
# posts read per consultation where the network bills reads, QUOTA_UNITS per channel a day
# where it meters a daily quota; each also from the environment as HUB_COLLECT_INTERVAL_<NETWORK>,
# HUB_COLLECT_RATE_BUDGET_<NETWORK>, HUB_READ_BUDGET_<NETWORK>, HUB_QUOTA_UNITS_<NETWORK>),
# and the sandbox that stands in for it in the demo and the tests (not shipped).
HUB_CONNECTORS = {
    "x": {
        "BACKEND": "connectors.backends.x.XConnector",
        "OPTIONS": env.network_options("x"),
        "SANDBOX": "connectors.sandbox.x.XApi",
    },
    "mastodon": {
        "BACKEND": "connectors.backends.mastodon.MastodonConnector",
        "OPTIONS": env.network_options("mastodon"),
        "SANDBOX": "connectors.sandbox.mastodon.MastodonApi",
    },
    "bluesky": {
        "BACKEND": "connectors.backends.bluesky.BlueskyConnector",
        "OPTIONS": env.network_options("bluesky"),
        "SANDBOX": "connectors.sandbox.bluesky.BlueskyApi",
    },
    "facebook": {
        "BACKEND": "connectors.backends.facebook.FacebookConnector",
        # The Graph API version is pinned: Meta retires each one two years after release.
        "OPTIONS": {"GRAPH_API_VERSION": "v23.0", **env.network_options("facebook")},
        "SANDBOX": "connectors.sandbox.facebook.FacebookApi",
    },
    "youtube": {
        "BACKEND": "connectors.backends.youtube.YouTubeConnector",
        # The Google Cloud project's daily Data API quota (10,000 units unless raised).
        "OPTIONS": {"QUOTA_UNITS": 10_000, **env.network_options("youtube")},
        "SANDBOX": "connectors.sandbox.youtube.YouTubeApi",
    },
    "linkedin": {
        "BACKEND": "connectors.backends.linkedin.LinkedInConnector",
        # The LinkedIn-Version is pinned: LinkedIn sunsets each monthly version after a year.
        "OPTIONS": {"LINKEDIN_VERSION": "202603", **env.network_options("linkedin")},
        "SANDBOX": "connectors.sandbox.linkedin.LinkedInApi",
    },
}
# Seconds per request to a network, and the first retry delay after a 5xx (doubling).
HUB_CONNECTOR_TIMEOUT = ENV.HUB_CONNECTOR_TIMEOUT
# Where channels may connect (connectors/outbound.py): the embedded default and tests reach
# the sandbox networks on loopback; production allows only HTTPS to public addresses.
HUB_CONNECTOR_ALLOW_LOOPBACK = (
    True if ENV.HUB_CONNECTOR_ALLOW_LOOPBACK is None else ENV.HUB_CONNECTOR_ALLOW_LOOPBACK
)
HUB_CONNECTOR_REQUIRE_HTTPS = False
HUB_CONNECTOR_ALLOWED_HOSTS = [host.lower().rstrip(".") for host in ENV.HUB_CONNECTOR_ALLOWED_HOSTS]
HUB_DELIVERY_RETRY_BASE = ENV.HUB_DELIVERY_RETRY_BASE
# The outcome's reply in each announcement thread (connectors/outcomes.py), for this many days.
HUB_OUTCOME_REPLY_MAX_AGE = ENV.HUB_OUTCOME_REPLY_MAX_AGE
HUB_RESPONDENT_REPLY_HOURLY_CAP = ENV.HUB_RESPONDENT_REPLY_HOURLY_CAP
# The demo: seed_demo reads the sandbox command's credentials file from here, when set.
HUB_SANDBOX_CREDENTIALS = ENV.HUB_SANDBOX_CREDENTIALS
# Collecting replies: beat looks for due polls every HUB_COLLECT_TICK seconds; each
# consultation is polled per channel every POLL_INTERVAL seconds of its network (above)
# while open and for HUB_COLLECT_AFTER_CLOSE_DAYS after it closes.
HUB_COLLECT_TICK = ENV.HUB_COLLECT_TICK
# Beat looks this often for deliveries whose worker died mid-post (their lock went with it).
HUB_DELIVERY_TAKEOVER_INTERVAL = ENV.HUB_DELIVERY_TAKEOVER_INTERVAL
HUB_COLLECT_AFTER_CLOSE_DAYS = ENV.HUB_COLLECT_AFTER_CLOSE_DAYS
HUB_COLLECT_PAGE_SIZE = ENV.HUB_COLLECT_PAGE_SIZE
HUB_COLLECT_PAGES_PER_POLL = ENV.HUB_COLLECT_PAGES_PER_POLL
# The window of each network's REQUEST_BUDGET; over a budget (or a READ_BUDGET),
# collection stops and the record says it is incomplete.
HUB_COLLECT_RATE_WINDOW = ENV.HUB_COLLECT_RATE_WINDOW
# The deletion sweep: how often, and how many collected posts per consultation and channel.
HUB_SWEEP_INTERVAL = ENV.HUB_SWEEP_INTERVAL
HUB_SWEEP_BATCH = ENV.HUB_SWEEP_BATCH
# Webhooks (a network that pushes changes, connectors/webhooks.py): a delivery older than
# this many seconds is refused as a possible replay; polling collects what it was about.
HUB_WEBHOOK_MAX_AGE = 300
# Analysis (engagement.analysis.services): beat re-analyses consultations with new or
# changed responses every HUB_ANALYSIS_INTERVAL seconds (the debounce), with a fixed seed.
HUB_ANALYSIS_INTERVAL = ENV.HUB_ANALYSIS_INTERVAL
HUB_ANALYSIS_SEED = ENV.HUB_ANALYSIS_SEED
# The public summary (engagement.analysis.summaries) is recomputed by a task after each
# change; a request computes it only when it has no figures and at most this many responses.
HUB_SUMMARY_INLINE_LIMIT = ENV.HUB_SUMMARY_INLINE_LIMIT
HUB_SUMMARY_SWEEP_INTERVAL = ENV.HUB_SUMMARY_SWEEP_INTERVAL
# Dotted paths of the embedder and the sentiment model; empty means the built-in ones.
HUB_EMBEDDER = ENV.HUB_EMBEDDER
HUB_SENTIMENT_MODEL = ENV.HUB_SENTIMENT_MODEL
# Retention (engagement.record.retention): each department's schedule is applied every
# HUB_RETENTION_INTERVAL seconds; each run is idempotent, so a late one catches up.
HUB_RETENTION_INTERVAL = ENV.HUB_RETENTION_INTERVAL


def beat_expires(interval: float) -> dict[str, float]:
    """A beat run not started before this is dropped (the next one does its work), so runs
    queued while the workers were down or busy do not pile up; shorter than the interval."""
    return {"expires": max(1.0, interval * 0.8)}


# Every entry expires before the next is due; the ones whose overlapping runs would do
# their work twice also take a lock (consultations/locks.py, or the claims in
# connectors.collection and the drain's row lock in search.services).
CELERY_BEAT_SCHEDULE = {
    # Wagtail's go-live and expiry dates (consultations scheduled to publish).
    "consultations-publish-scheduled": {
        "task": "consultations.publish_scheduled",
        "schedule": 60.0,
        "options": beat_expires(60.0),
    },
    "connectors-send-due-reminders": {
        "task": "connectors.tasks.send_due_reminders",
        "schedule": 300.0,
        "options": beat_expires(300.0),
    },
    # A delivery whose worker died mid-post: found by its released lock, not STUCK_AFTER.
    "connectors-take-over-abandoned-deliveries": {
        "task": "connectors.tasks.take_over_abandoned_deliveries",
        "schedule": float(HUB_DELIVERY_TAKEOVER_INTERVAL),
        "options": beat_expires(float(HUB_DELIVERY_TAKEOVER_INTERVAL)),
    },
    "connectors-announce-outcomes": {
        "task": "connectors.tasks.announce_outcomes",
        "schedule": 60.0,
        "options": beat_expires(60.0),
    },
    # The optional outcome reply to each respondent (connectors.respondent_replies).
    "connectors-reply-to-respondents": {
        "task": "connectors.tasks.reply_to_respondents",
        "schedule": 60.0,
        "options": beat_expires(60.0),
    },
    "connectors-collect-replies": {
        "task": "connectors.tasks.collect_due_replies",
        "schedule": float(HUB_COLLECT_TICK),
        "options": beat_expires(float(HUB_COLLECT_TICK)),
    },
    "connectors-sweep-deletions": {
        "task": "connectors.tasks.sweep_deletions",
        "schedule": float(HUB_SWEEP_INTERVAL),
        "options": beat_expires(float(HUB_SWEEP_INTERVAL)),
    },
    # The networks' public counts of our posts, on the sweep's schedule (a few reads each).
    "connectors-refresh-post-metrics": {
        "task": "connectors.tasks.refresh_post_metrics",
        "schedule": float(HUB_SWEEP_INTERVAL),
        "options": beat_expires(float(HUB_SWEEP_INTERVAL)),
    },
    "analysis-analyse-due": {
        "task": "engagement.analysis.tasks.analyse_due",
        "schedule": float(HUB_ANALYSIS_INTERVAL),
        "options": beat_expires(float(HUB_ANALYSIS_INTERVAL)),
    },
    # A summary whose recompute was lost (a worker died) is recomputed all the same.
    "analysis-summaries-recompute-due": {
        "task": "engagement.analysis.tasks.summaries_recompute_due",
        "schedule": float(HUB_SUMMARY_SWEEP_INTERVAL),
        "options": beat_expires(float(HUB_SUMMARY_SWEEP_INTERVAL)),
    },
    "record-apply-retention": {
        "task": "engagement.record.apply_retention",
        "schedule": float(HUB_RETENTION_INTERVAL),
        "options": beat_expires(float(HUB_RETENTION_INTERVAL)),
    },
}

# --- Email (engagement.record.notifications) -----------------------------------
# EMAIL_URL chooses Django's email backend; the embedded default writes each email to a
# file in .data/mail/, so a demo sends nothing anywhere.

EMAIL = env.parse_email_url(ENV.EMAIL_URL, default_file_path=DATA_DIR / "mail")
EMAIL_BACKEND = EMAIL.backend
EMAIL_HOST = EMAIL.host
EMAIL_PORT = EMAIL.port
EMAIL_HOST_USER = EMAIL.user
EMAIL_HOST_PASSWORD = EMAIL.password
EMAIL_USE_TLS = EMAIL.use_tls
EMAIL_USE_SSL = EMAIL.use_ssl
EMAIL_FILE_PATH = EMAIL.file_path or None
EMAIL_TIMEOUT = ENV.HUB_EMAIL_TIMEOUT
DEFAULT_FROM_EMAIL = ENV.HUB_EMAIL_FROM
SERVER_EMAIL = ENV.HUB_EMAIL_FROM
# Beat looks this often for consultations whose outcome is now public, and emails the
# respondents who asked to hear about it (each once: engagement.record.notifications).
HUB_OUTCOME_EMAIL_INTERVAL = 60
CELERY_BEAT_SCHEDULE["record-send-outcome-emails"] = {
    "task": "engagement.record.send_due_outcome_emails",
    "schedule": float(HUB_OUTCOME_EMAIL_INTERVAL),
    "options": beat_expires(float(HUB_OUTCOME_EMAIL_INTERVAL)),
}

# --- Search: the index outbox (search/) --------------------------------------------
# Changes to responses are queued in the database and drained to the search backend in
# bulk: on commit (in-process without a broker) and by beat every
# HUB_SEARCH_DRAIN_INTERVAL seconds, which also catches up after a search node outage.

HUB_SEARCH_DRAIN_INTERVAL = ENV.HUB_SEARCH_DRAIN_INTERVAL
HUB_SEARCH_DRAIN_BATCH = ENV.HUB_SEARCH_DRAIN_BATCH
HUB_SEARCH_DRAIN_ON_COMMIT = ENV.HUB_SEARCH_DRAIN_ON_COMMIT
# Bulk updates send no signals: the drain sweeps rows older than this many seconds.
HUB_SEARCH_SWEEP_SETTLE = ENV.HUB_SEARCH_SWEEP_SETTLE
CELERY_BEAT_SCHEDULE["search-drain-index"] = {
    "task": "search.drain_search_index",
    "schedule": float(HUB_SEARCH_DRAIN_INTERVAL),
    "options": beat_expires(float(HUB_SEARCH_DRAIN_INTERVAL)),
}

# --- Cache (the response form's rate limit, task locks, the public pages) ------------
# CACHE_URL, e.g. redis://redis.internal:6379/2, shared by every web process; the
# embedded default is per-process memory, enough for one runserver.

CACHE_URL = ENV.CACHE_URL
CACHES = {
    "default": (
        {"BACKEND": "cms.cache_backends.OutageTolerantRedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "hub"}
    )
}

# --- Public pages from the cache (cms/caching.py, docs/adr/0016-public-page-caching.md) ---
# Anonymous GETs of the public pages are stored in the cache above and served from it until
# what they show changes (a per-consultation generation, bumped by the record's signals and
# Wagtail's publishing) or HUB_PAGE_CACHE_SECONDS pass; copies are kept
# HUB_PAGE_CACHE_STALE_SECONDS longer to answer from while the database is away.
HUB_PAGE_CACHE = ENV.HUB_PAGE_CACHE
HUB_PAGE_CACHE_SECONDS = ENV.HUB_PAGE_CACHE_SECONDS
HUB_PAGE_CACHE_STALE_SECONDS = ENV.HUB_PAGE_CACHE_STALE_SECONDS
HUB_PAGE_MAX_AGE = ENV.HUB_PAGE_MAX_AGE
HUB_PAGE_CDN_MAX_AGE = ENV.HUB_PAGE_CDN_MAX_AGE

# --- Consultations ---------------------------------------------------------------
# Web responses one client (IP address) may submit per window of seconds.

HUB_RESPONSE_RATE_LIMIT = ENV.HUB_RESPONSE_RATE_LIMIT
HUB_RESPONSE_RATE_WINDOW = ENV.HUB_RESPONSE_RATE_WINDOW
# Lookups on /response-status/ per client per window: with 30^8 possible references,
# guessing one takes billions of windows.
HUB_STATUS_LOOKUP_LIMIT = ENV.HUB_STATUS_LOOKUP_LIMIT
HUB_STATUS_LOOKUP_WINDOW = ENV.HUB_STATUS_LOOKUP_WINDOW
# Reverse proxies in front of the hub that append to X-Forwarded-For (0: none,
# the client is REMOTE_ADDR). Behind one load balancer, set 1.
HUB_TRUSTED_PROXY_COUNT = ENV.HUB_TRUSTED_PROXY_COUNT

# /healthz gives its details, and /metrics its figures, to staff and to this bearer token only.
HUB_HEALTH_TOKEN = ENV.HUB_HEALTH_TOKEN
# Under gunicorn with PROMETHEUS_MULTIPROC_DIR, /metrics merges every worker's request metrics.
HUB_PROMETHEUS_MULTIPROC = ENV.PROMETHEUS_MULTIPROC_DIR is not None

# --- Logging -------------------------------------------------------------------

# Every line carries the request id (cms/observability.py): the web request's, or in a worker
# the id of the request that enqueued the task. HUB_LOG_FORMAT=json (production's default)
# writes one JSON object per line for a log shipper.
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "cms.observability.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": ENV.HUB_LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": ENV.LOG_LEVEL},
    "loggers": {
        "elastic_transport": {"level": "WARNING"},
        "opensearch": {"level": "WARNING"},
        # One line per Wagtail housekeeping task is noise at INFO.
        "django_tasks": {"level": "WARNING"},
        # Connectors: atproto's HTTP client logs every request to a network at INFO.
        "httpx": {"level": "WARNING"},
    },
}
