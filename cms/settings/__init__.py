# The settings module every server process (gunicorn, uvicorn, Celery workers and beat)
# uses when DJANGO_SETTINGS_MODULE is not set: one default, so a worker can never run
# with other settings (and another channel key) than the web process. `manage.py` alone
# defaults to the embedded `cms.settings.base`, for `make demo` and development.
SERVER_SETTINGS_MODULE = "cms.settings.production"
