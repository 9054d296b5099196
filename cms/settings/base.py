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
    },
}
