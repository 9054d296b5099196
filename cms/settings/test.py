"""Settings for the test suite.

``make test`` points DATABASE_URL, CELERY_BROKER_URL and SEARCH_URL at the
services it started (PostgreSQL, Redis, OpenSearch on loopback). Tests that need
the real Celery worker start one themselves (see ``tests/conftest.py``).
"""

from cms import env
from cms.settings.base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Wagtail's background tasks run in the test process so each test sees its own
# writes indexed at once; the Celery path is tested on its own against the real
# worker (tests/cms/test_celery_worker.py).
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Keep test indices apart from anything a developer runs on the same node.
if not SEARCH.is_database:  # noqa: F405
    WAGTAILSEARCH_BACKENDS["default"]["INDEX_PREFIX"] = (  # noqa: F405
        ENV.SEARCH_INDEX_PREFIX if env.is_set("SEARCH_INDEX_PREFIX") else "hubtest_"  # noqa: F405
    )

# django-axes needs the request Django's test client does not pass to authenticate()
# (client.login); the throttling tests turn it on (tests/security/test_admin_accounts.py).
AXES_ENABLED = False
HUB_ADMIN_2FA = False

# The public page cache outlives each test's rolled-back transaction (the next test would be
# served the last one's pages): off, except in the tests that turn it on
# (tests/cms/test_caching.py, tests/cms/test_degradation.py), which clear it.
HUB_PAGE_CACHE = False
