"""Thin Celery tasks for the record: one service call each."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache

from engagement.record import notifications
from engagement.record.retention import retention_apply, retention_plan

# Longer than a run over a large backlog, so two runs never overlap.
RETENTION_LOCK_SECONDS = 60 * 60


@shared_task(name="engagement.record.apply_retention", acks_late=True)
def apply_retention() -> dict[str, int]:
    """Beat: expire what each department's retention schedule no longer keeps."""
    lock = "hub:record:retention"
    # A run under way does this run's work too; skip rather than queue behind it.
    if not cache.add(lock, "1", RETENTION_LOCK_SECONDS):
        return {"busy": 1}
    try:
        result = retention_apply(plan=retention_plan(), source="schedule")
    finally:
        cache.delete(lock)
    return {f"{kind} {store}": rows for (kind, store), rows in result.totals().items()}


# Seconds before the first retry of a confirmation the mail server refused (doubling after).
CONFIRMATION_RETRY_BASE = 60
CONFIRMATION_RETRIES = 6


@shared_task(
    name="engagement.record.send_confirmation_email",
    bind=True,
    acks_late=True,
    max_retries=CONFIRMATION_RETRIES,
)
def send_confirmation_email(self, notification_id: int) -> bool:
    """On commit of a web response with an address: its reference and where to follow it."""
    try:
        return notifications.confirmation_email_send(notification_id=notification_id)
    except OSError as error:  # smtplib.SMTPException included
        raise self.retry(
            exc=error, countdown=CONFIRMATION_RETRY_BASE * 2**self.request.retries
        ) from error


@shared_task(name="engagement.record.send_due_outcome_emails", acks_late=True)
def send_due_outcome_emails() -> dict[str, int]:
    """Beat: email the outcome to those who asked, once it is public (each at most once)."""
    return notifications.outcome_emails_send_due()
