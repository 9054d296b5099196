"""Celery tasks for consultations (thin: each calls one command or service)."""

from celery import shared_task
from django.core.management import call_command


@shared_task(name="consultations.publish_scheduled")
def publish_scheduled() -> None:
    """Publish pages whose go-live time has come (and unpublish expired ones).

    Wagtail's own command does the work; Celery beat runs this every minute.
    """
    call_command("publish_scheduled")
