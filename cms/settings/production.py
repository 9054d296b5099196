"""Production settings: the base settings plus checks that fail fast.

It refuses to start when a required variable is missing or a development
default would leak into production. DEBUG defaults to off here.
"""

from django.core.exceptions import ImproperlyConfigured

from cms import env
from cms.settings.base import *  # noqa: F403
from cms.settings.base import ENV

if not env.is_set("SECRET_KEY"):
    raise ImproperlyConfigured("SECRET_KEY must be set in the environment for production.")
DEBUG = bool(ENV.DEBUG)
if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production (set DEBUG=false).")
if not env.is_set("HUB_CHANNEL_KEY"):
    # Without it each machine would invent its own key file and none could read
    # the channel credentials the others encrypted.
    raise ImproperlyConfigured(
        "HUB_CHANNEL_KEY must be set in production (generate one with "
        "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)."
    )
if not env.is_set("ALLOWED_HOSTS"):
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the hub's host names in production.")

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
