"""Production settings: the base settings plus checks that fail fast.

It refuses to start when a required variable is missing or a development
default would leak into production. DEBUG defaults to off here.
"""

import stat
from pathlib import Path

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from cms import env
from cms.settings.base import *  # noqa: F403
from cms.settings.base import DATABASES, ENV, LOGGING

_FERNET_HINT = (
    "generate one with `python -c 'from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())'`"
)

if not env.is_set("SECRET_KEY"):
    raise ImproperlyConfigured("SECRET_KEY must be set in the environment for production.")
DEBUG = bool(ENV.DEBUG)
if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production (set DEBUG=false).")
if not env.is_set("HUB_CHANNEL_KEY"):
    # Without it each machine would invent its own key file and none could read
    # the channel credentials the others encrypted.
    raise ImproperlyConfigured(f"HUB_CHANNEL_KEY must be set in production ({_FERNET_HINT}).")
for _position, _key in enumerate(ENV.HUB_CHANNEL_KEY.split(","), start=1):
    # The embedded default stretches any string into a key; production takes real keys only.
    try:
        Fernet(_key.strip())
    except ValueError:
        raise ImproperlyConfigured(
            f"HUB_CHANNEL_KEY: key {_position} is not a Fernet key (32 url-safe base64-encoded "
            f"bytes); {_FERNET_HINT}."
        ) from None
if not env.is_set("ALLOWED_HOSTS"):
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the hub's host names in production.")
if any(host.strip() == "*" for host in ENV.ALLOWED_HOSTS):
    # "*" lets any Host header through: password-reset links and absolute URLs could
    # then point at an attacker's site.
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the hub's hosts in production, not '*'.")
if not ENV.CACHE_URL:
    # The response form's rate limit lives in the cache: per-process memory would give
    # each web process its own count (four workers, four times the limit).
    raise ImproperlyConfigured(
        "CACHE_URL must be set in production (e.g. redis://redis.internal:6379/2), so every "
        "web process shares the response form's rate limit."
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _sqlite = Path(DATABASES["default"]["NAME"])
    if _sqlite.exists() and _sqlite.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ImproperlyConfigured(
            f"The SQLite database {_sqlite} can be read by other users: `chmod 600 {_sqlite}`."
        )

# Channels: HTTPS to public addresses only (connectors/outbound.py), never loopback.
HUB_CONNECTOR_ALLOW_LOOPBACK = False
HUB_CONNECTOR_REQUIRE_HTTPS = True

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = ENV.SECURE_SSL_REDIRECT
SECURE_HSTS_SECONDS = ENV.SECURE_HSTS_SECONDS
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Admin accounts: two-factor authentication always, and sessions that end with the
# browser and after HUB_SESSION_AGE seconds.
if ENV.HUB_ADMIN_2FA is False:
    raise ImproperlyConfigured(
        "HUB_ADMIN_2FA cannot be turned off in production: every admin user confirms "
        "their log-in with a one-time code."
    )
HUB_ADMIN_2FA = True
SESSION_COOKIE_AGE = ENV.HUB_SESSION_AGE
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# A log shipper reads one JSON object per line; HUB_LOG_FORMAT=plain keeps text.
if not env.is_set("HUB_LOG_FORMAT"):
    LOGGING["handlers"]["console"]["formatter"] = "json"
