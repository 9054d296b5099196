"""The hub's Celery app.

Configured from Django settings (the ``CELERY_`` names). With no
``CELERY_BROKER_URL`` tasks run eagerly in the calling process.

Workers and beat start with the same settings module as the web process
(``cms.settings.SERVER_SETTINGS_MODULE`` unless ``DJANGO_SETTINGS_MODULE`` says
otherwise), and refuse to start when ``HUB_CHANNEL_KEY`` cannot decrypt the
channel credentials the web process stored: such a worker would fail every
delivery and collection one by one instead of once, loudly, at start-up.
"""

import os

from celery import Celery, signals

from cms import observability  # noqa: F401 - connects the request id's task signals
from cms.settings import SERVER_SETTINGS_MODULE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", SERVER_SETTINGS_MODULE)

app = Celery("cms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
@signals.beat_init.connect
def refuse_unreadable_channel_key(**kwargs) -> None:
    # Imported here: models can only be imported once Celery has set Django up.
    from connectors.crypto import credentials_unreadable
    from connectors.models import ChannelAccount

    stored = ChannelAccount.objects.exclude(credentials_ciphertext="").values_list(
        "pk", "credentials_ciphertext"
    )
    unreadable = credentials_unreadable(dict(stored))
    if unreadable:
        # SystemExit, not an exception: Celery logs and ignores what signal handlers raise.
        raise SystemExit(
            f"HUB_CHANNEL_KEY cannot decrypt the credentials of {len(unreadable)} channel "
            f"account(s) (ids {', '.join(map(str, unreadable[:10]))}): this process must use "
            "the same DJANGO_SETTINGS_MODULE and HUB_CHANNEL_KEY as the web process"
        )
