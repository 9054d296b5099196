"""Emails to the people who responded on the web form and gave an address.

- **The confirmation**: the response's reference and a link to ``/response-status/``, sent
  by a task once the response is committed (``tasks.send_confirmation_email``), retried
  with backoff; the form never waits for the mail server.
- **The outcome**, to those who ticked "Tell me about the outcome": one email once the
  consultation's outcome is public (``ConsultationPage.outcome_published_at`` reached, on
  a live public page), found by Celery beat (``tasks.send_due_outcome_emails``). It links
  to the outcome and the summary and carries a one-click unsubscribe (RFC 8058).

Exactly once: before an email goes, its ``*_sent_at`` is set by an update conditional on
it being empty; only the caller whose update changed the row sends, and a failure to send
clears it again for the next try. A worker that dies between the two leaves the email
unsent rather than sent twice.

The address (``Respondent.email``) goes as soon as nothing more is to be sent to it: after
the outcome email, or after an unsubscribe, unless another of the person's responses still
waits for its outcome; otherwise at the department's email retention period
(``engagement.record.retention``), whichever comes first. Each such erasure is audited as a
``RetentionRun`` with a ``RetentionExpiry`` of kind email, like the schedule's own.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, override

from consultations.models import ConsultationStatus
from consultations.selectors import (
    consultation_outcome_page,
    consultation_translation,
    consultations_public,
)
from consultations.service_name import service_name
from engagement.languages import WELSH, language_primary
from engagement.record.models import (
    Respondent,
    Response,
    ResponseNotification,
    RetentionExpiry,
    RetentionKind,
    RetentionRun,
)

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "engagement.record.notifications.unsubscribe"
AUDIT_SOURCE_SENT = "outcome email sent"
AUDIT_SOURCE_UNSUBSCRIBED = "outcome email unsubscribed"
AUDIT_STORE = "respondents"


def absolute_url(path: str) -> str:
    """``path`` on the public site (HUB_BASE_URL): emails are read away from the hub."""
    return settings.HUB_BASE_URL.rstrip("/") + path


# --- Asking -------------------------------------------------------------------------------


def notification_create(
    *, response: Response, email: str, wants_outcome: bool, language: str = ""
) -> ResponseNotification:
    """Record that ``response``'s author gave ``email`` on a form in ``language`` (the emails
    are written in it), and send the confirmation on commit."""
    email = email.strip()
    if not email:
        raise ValueError("A notification needs the address the response was sent with.")
    # The web respondent is found by a keyed hash of this very address: if an earlier
    # outcome email erased it, the person has just given it again for this response.
    Respondent.objects.filter(pk=response.respondent_id, email="").update(email=email)
    notification = ResponseNotification.objects.create(
        response=response, wants_outcome=wants_outcome, language=language
    )
    # Imported here: the task module calls back into this one.
    from engagement.record.tasks import send_confirmation_email

    transaction.on_commit(lambda: send_confirmation_email.delay(notification.pk))
    return notification


# --- Unsubscribing --------------------------------------------------------------------------


def unsubscribe_token(*, notification_id: int) -> str:
    """The signed, unguessable part of the unsubscribe link (no sign-in needed)."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(notification_id))


def notification_for_token(*, token: str) -> ResponseNotification | None:
    try:
        notification_id = int(signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return ResponseNotification.objects.filter(pk=notification_id).first()


def unsubscribe_url(*, notification_id: int) -> str:
    token = unsubscribe_token(notification_id=notification_id)
    return absolute_url(reverse("notification_unsubscribe", kwargs={"token": token}))


def notification_unsubscribe(*, notification: ResponseNotification) -> bool:
    """No outcome email for this response; the address goes if nothing else waits for it.

    Idempotent: True only for the call that unsubscribed.
    """
    with transaction.atomic():
        changed = ResponseNotification.objects.filter(
            pk=notification.pk, unsubscribed_at__isnull=True
        ).update(unsubscribed_at=timezone.now())
        if changed:
            email_erase_when_done(
                response_id=notification.response_id, source=AUDIT_SOURCE_UNSUBSCRIBED
            )
    return bool(changed)


# --- Erasing the address ----------------------------------------------------------------------


def _waiting_for_outcome() -> Q:
    return Q(wants_outcome=True, outcome_sent_at__isnull=True, unsubscribed_at__isnull=True)


def email_erase_when_done(
    *, response_id: int, source: str, audit_run: RetentionRun | None = None
) -> bool:
    """Clear the address of ``response_id``'s author unless another of their responses still
    waits for its outcome email; audited under ``audit_run`` (a new run if None)."""
    response = Response.objects.select_related("consultation").get(pk=response_id)
    still_waiting = ResponseNotification.objects.filter(
        _waiting_for_outcome(), response__respondent_id=response.respondent_id
    ).exists()
    if still_waiting:
        return False
    cleared = (
        Respondent.objects.filter(pk=response.respondent_id).exclude(email="").update(email="")
    )
    if not cleared:
        return False
    now = timezone.now()
    if audit_run is None:
        audit_run = RetentionRun.objects.create(started_at=now, finished_at=now, source=source)
    RetentionExpiry.objects.create(
        run=audit_run,
        department_id=response.consultation.department_id,
        consultation_id=response.consultation_id,
        kind=RetentionKind.EMAIL,
        store=AUDIT_STORE,
        rows=1,
    )
    return True


# --- Sending --------------------------------------------------------------------------------


def _claim(notification_id: int, column: str, condition: Q) -> object | None:
    """Set ``column`` to now if it is empty and ``condition`` holds; the moment, or None."""
    eligible = (
        ResponseNotification.objects.filter(condition, pk=notification_id)
        .exclude(response__respondent__email="")
        .exists()
    )
    if not eligible:
        return None
    # The claim itself names only the row's own columns. With a join (the conditions
    # above), Django updates "WHERE id IN (subquery)", and PostgreSQL does not re-run the
    # subquery for a second worker that waited on the row lock: both claimed the email.
    # On the row alone, the waiting worker re-reads "IS NULL" after the first commits.
    moment = timezone.now()
    claimed = ResponseNotification.objects.filter(
        pk=notification_id, **{f"{column}__isnull": True}
    ).update(**{column: moment})
    return moment if claimed else None


def _release(notification_id: int, column: str, moment: object) -> None:
    ResponseNotification.objects.filter(pk=notification_id, **{column: moment}).update(
        **{column: None}
    )


def _send(
    *, notification: ResponseNotification, column: str, moment: object, message: EmailMessage
) -> None:
    try:
        message.send(fail_silently=False)
    except Exception:
        # Not sent: the next try may send it (and only one try will).
        _release(notification.pk, column, moment)
        raise


def status_url(*, reference: str) -> str:
    return absolute_url(
        reverse("hubsearch:response_status") + "?" + urlencode({"reference": reference})
    )


def email_language(*, notification: ResponseNotification) -> str:
    """The language to write to this person in: the one of the form they used, Welsh on the
    Welsh page even when they wrote in English (what the detection records for their
    words); for a notification kept before the form's language was, the response's."""
    language = notification.language or notification.response.language
    return WELSH if language_primary(language) == WELSH else settings.LANGUAGE_CODE


def confirmation_email_send(*, notification_id: int) -> bool:
    """Send the confirmation for this response, unless it was sent already. True if sent now."""
    moment = _claim(notification_id, "confirmation_sent_at", Q())
    if moment is None:
        return False
    notification = ResponseNotification.objects.select_related(
        "response__respondent", "response__consultation"
    ).get(pk=notification_id)
    response = notification.response
    with override(email_language(notification=notification)):
        # Welsh links (/cy/...) and the Welsh title, where the consultation has one.
        title = consultation_translation(response.consultation).title
        context = {
            "reference": response.reference,
            "consultation_title": title,
            "status_url": status_url(reference=response.reference),
            "wants_outcome": notification.wants_outcome,
            "unsubscribe_url": unsubscribe_url(notification_id=notification.pk),
            "site_name": service_name(),
        }
        message = EmailMessage(
            subject=gettext("Your response to “%(title)s”: %(reference)s")
            % {"title": title, "reference": response.reference},
            body=render_to_string("record/emails/confirmation.txt", context),
            to=[response.respondent.email],
            headers={"Auto-Submitted": "auto-generated"},
        )
    _send(notification=notification, column="confirmation_sent_at", moment=moment, message=message)
    return True


def outcome_emails_due() -> QuerySet[ResponseNotification]:
    """Notifications whose outcome email should go now: asked for, not sent, not unsubscribed,
    an address still kept, and the consultation's outcome public on a live public page."""
    published = consultations_public(status=ConsultationStatus.OUTCOME_PUBLISHED)
    return (
        ResponseNotification.objects.filter(_waiting_for_outcome())
        .filter(response__consultation__in=published.values("pk"), response__erased_at__isnull=True)
        .exclude(response__respondent__email="")
        .order_by("pk")
    )


def outcome_email_send(*, notification_id: int, audit_run: RetentionRun | None = None) -> bool:
    """Send the outcome email for this response if it is due and not sent; then erase the
    address unless another response still waits for it. True if sent now."""
    waiting = outcome_emails_due().filter(pk=notification_id)
    moment = _claim(notification_id, "outcome_sent_at", Q(pk__in=waiting.values("pk")))
    if moment is None:
        return False
    notification = ResponseNotification.objects.select_related(
        "response__respondent", "response__consultation"
    ).get(pk=notification_id)
    response = notification.response
    consultation = response.consultation
    with override(email_language(notification=notification)):
        # The outcome on the consultation's page in the person's language, where that page
        # shows it already; else on the consultation's own page.
        page = consultation_outcome_page(consultation)
        unsubscribe = unsubscribe_url(notification_id=notification.pk)
        context = {
            "reference": response.reference,
            "consultation_title": page.title,
            "outcome_url": page.public_url + "#outcome",
            "summary_url": absolute_url(
                reverse("consultation_summary", kwargs={"slug": consultation.slug})
            ),
            "status_url": status_url(reference=response.reference),
            "unsubscribe_url": unsubscribe,
            "site_name": service_name(),
        }
        message = EmailMessage(
            subject=gettext("The outcome of “%(title)s”") % {"title": page.title},
            body=render_to_string("record/emails/outcome.txt", context),
            to=[response.respondent.email],
            headers={
                "Auto-Submitted": "auto-generated",
                # RFC 8058: a mail client may unsubscribe with one POST to this address.
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
    _send(notification=notification, column="outcome_sent_at", moment=moment, message=message)
    email_erase_when_done(response_id=response.pk, source=AUDIT_SOURCE_SENT, audit_run=audit_run)
    return True


def outcome_emails_send_due() -> dict[str, int]:
    """Send every outcome email now due; one that fails is left for the next run."""
    sent = failed = 0
    audit_run: RetentionRun | None = None
    for notification_id in list(outcome_emails_due().values_list("pk", flat=True)):
        if audit_run is None:
            audit_run = RetentionRun.objects.create(
                started_at=timezone.now(), source=AUDIT_SOURCE_SENT
            )
        try:
            sent += outcome_email_send(notification_id=notification_id, audit_run=audit_run)
        except Exception:  # noqa: BLE001 - one mail server refusal must not stop the others
            failed += 1
            logger.exception("Outcome email %s not sent; the next run tries again", notification_id)
    if audit_run is not None:
        if audit_run.expiries.exists():
            RetentionRun.objects.filter(pk=audit_run.pk).update(finished_at=timezone.now())
        else:  # nothing erased (every send failed): no run to audit
            audit_run.delete()
    return {"sent": sent, "failed": failed}
