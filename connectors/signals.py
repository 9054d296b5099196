"""Signal handlers, connected in ``ConnectorsConfig.ready``.

Publishing a consultation schedules its deliveries once the publish has
committed. Unpublishing does nothing automatically: deleting posts on the
networks is a confirmed administrator action.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.db import transaction

from connectors.services import delivery_schedule_for_consultation
from consultations.models import ConsultationPage

logger = logging.getLogger(__name__)


def schedule_deliveries_on_publish(sender, instance, revision=None, **kwargs) -> None:
    if not isinstance(instance, ConsultationPage):
        return
    page_id = instance.pk
    user_id = getattr(revision, "user_id", None)
    transaction.on_commit(lambda: _schedule(page_id, user_id))


def _schedule(page_id: int, user_id: int | None) -> None:
    try:
        page = ConsultationPage.objects.get(pk=page_id)
        user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
        delivery_schedule_for_consultation(page=page, triggered_by=user)
    except Exception:
        # Publishing has succeeded; a scheduling problem must not turn it into an error page.
        logger.exception("Could not schedule the deliveries of consultation %s", page_id)
