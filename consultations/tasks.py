"""Celery tasks for consultations (thin: each calls one command or service)."""

from celery import shared_task
from django.core.management import call_command

from consultations.locks import task_lock

# Longer than any run of Wagtail's command, so two runs never publish the same page twice.
PUBLISH_LOCK_SECONDS = 10 * 60


@shared_task(name="consultations.publish_scheduled")
def publish_scheduled() -> None:
    """Publish pages whose go-live time has come (and unpublish expired ones).

    Wagtail's own command does the work; Celery beat runs this every minute. A run under
    way does this one's work: a second would publish the same revisions again.
    """
    with task_lock("consultations:publish-scheduled", seconds=PUBLISH_LOCK_SECONDS) as held:
        if held:
            call_command("publish_scheduled")
