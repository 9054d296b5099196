"""WSGI entry point (gunicorn, uWSGI, mod_wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from cms.settings import SERVER_SETTINGS_MODULE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", SERVER_SETTINGS_MODULE)

application = get_wsgi_application()
