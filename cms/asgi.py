"""ASGI entry point (uvicorn, daphne)."""

import os

from django.core.asgi import get_asgi_application

from cms.settings import SERVER_SETTINGS_MODULE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", SERVER_SETTINGS_MODULE)

application = get_asgi_application()
