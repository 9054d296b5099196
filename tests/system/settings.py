"""The hub as deployed (cms.settings.production), for the system test's own services.

Only what loopback forces is changed: the sandbox networks listen on plain HTTP on
127.0.0.1 (production refuses both), and the test's HTTP client talks to gunicorn
without TLS, so the cookies cannot be marked Secure.
"""

from cms.settings.production import *  # noqa: F403

HUB_CONNECTOR_ALLOW_LOOPBACK = True
HUB_CONNECTOR_REQUIRE_HTTPS = False
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
