"""The hub's Celery app.

Configured from Django settings (the ``CELERY_`` names). With no
``CELERY_BROKER_URL`` tasks run eagerly in the calling process.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.base")

app = Celery("cms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
