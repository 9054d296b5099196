"""The confirmation and outcome emails, through a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import re
import socket
import threading
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client
from django.utils import timezone

from cms.celery import app as celery_app
from cms.env import parse_email_url
from consultations.models import ConsultationPage
from engagement.record.models import (
    Respondent,
    ResponseNotification,
    RetentionExpiry,
    RetentionKind,
    RetentionRun,
)
from engagement.record.notifications import outcome_email_send
from engagement.record.services import web_response_record
from engagement.record.tasks import send_confirmation_email, send_due_outcome_emails
from tests.factories.consultations import consultation_with_questions, welsh_translation

FORM = "/consultations/quieter-streets/respond/"
ADDRESS = "ada@example.org"


class Sink:
    """Keeps every message it is sent; refuses the next ``refuse`` of them with a 451."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.refuse = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        if self.refuse:
            self.refuse -= 1
            return "451 Try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def with_subject(self, fragment: str) -> list[EmailMessage]:
        return [message for message in self.messages if fragment in message["Subject"]]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_sink(settings):
    """A real SMTP server in a thread on loopback, and Django's SMTP backend pointed at it."""
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "Consultation hub <noreply@hub.example>"
    settings.HUB_BASE_URL = "https://hub.example"
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def tasks_in_process():
    """Tasks enqueued on commit run in the test process (there is a broker but no worker)."""
    before = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = before


def _respond(client, page, django_capture_on_commit_callbacks, **extra):
    question = page.questions.get(kind="free_text")
    data = {f"question_{question.pk}": "Fewer lorries past the school, please.", **extra}
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(FORM, data)
    assert answer.status_code == 302, answer.content
    return ResponseNotification.objects.select_related("response__respondent").get()


def _publish_outcome(page: ConsultationPage) -> None:
    now = timezone.now()
    # The page and its translations, as the editors publish each language's outcome.
    ConsultationPage.objects.filter(translation_key=page.translation_key).update(
        closes_at=now - timedelta(days=2), outcome_published_at=now - timedelta(minutes=1)
    )


def _link(message: EmailMessage, pattern: str) -> str:
    found = re.search(pattern, message.get_content())
    assert found, message.get_content()
    return found.group(0)


def test_a_web_response_with_an_address_is_confirmed_with_its_reference_and_status_link(
    client, open_consultation, smtp_sink, tasks_in_process, django_capture_on_commit_callbacks
):
    notification = _respond(
        client, open_consultation, django_capture_on_commit_callbacks, email=ADDRESS
    )

    reference = notification.response.reference
    [message] = smtp_sink.messages
    assert smtp_sink.recipients == [[ADDRESS]]
    assert reference in message["Subject"]
    assert message["From"] == "Consultation hub <noreply@hub.example>"
    assert f"Your reference is {reference}" in message.get_content()
    assert f"https://hub.example/response-status/?reference={reference}" in message.get_content()
    # Not asked about the outcome: nothing to unsubscribe from.
    assert "unsubscribe" not in message.get_content().lower()
    notification.refresh_from_db()
    assert notification.confirmation_sent_at is not None
    # Sent once: the task run again (a retry that raced the first) sends nothing.
    assert send_confirmation_email.apply(args=[notification.pk]).get() is False
    assert len(smtp_sink.messages) == 1


WELSH_FORM = "/cy/consultations/quieter-streets/respond/"
ENGLISH_WORDS = "Fewer lorries past the school in the mornings, and a safer crossing by the park."
WELSH_WORDS = "Llai o loriau heibio’r ysgol yn y bore, a chroesfan fwy diogel wrth y parc."


def _free_text_answer(client, form, page, words, django_capture_on_commit_callbacks):
    question = page.questions.get(kind="free_text")
    data = {f"question_{question.pk}": words, "email": ADDRESS, "notify_outcome": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(form, data)
    assert answer.status_code == 302, answer.content
    return ResponseNotification.objects.select_related("response").get()


def test_an_english_reply_from_the_welsh_form_gets_its_emails_in_welsh(
    client, open_consultation, smtp_sink, tasks_in_process, django_capture_on_commit_callbacks
):
    welsh_translation(open_consultation, outcome=[("rich_text", "<p>Fe ddywedoch chi.</p>")])
    notification = _free_text_answer(
        client, WELSH_FORM, open_consultation, ENGLISH_WORDS, django_capture_on_commit_callbacks
    )

    # The words are recorded as English; the person read the form in Welsh.
    assert notification.response.language == "en"
    assert notification.language == "cy"
    [confirmation] = smtp_sink.messages
    assert confirmation["Subject"].strip().startswith("Eich ymateb i “Strydoedd tawelach”: HUB-")
    assert "https://hub.example/cy/response-status/?reference=" in confirmation.get_content()
    # Signed with the service's Welsh name (HUB_SITE_NAME_CY), not its English one.
    assert "Hyb ymgynghori\r\n" in confirmation.get_content()
    assert "Consultation hub" not in confirmation.get_content()

    _publish_outcome(open_consultation)
    assert send_due_outcome_emails.apply().get() == {"sent": 1, "failed": 0}

    [outcome] = smtp_sink.with_subject("Canlyniad")
    assert outcome["Subject"].strip() == "Canlyniad “Strydoedd tawelach”"
    body = outcome.get_content()
    assert "https://hub.example/cy/consultations/quieter-streets/#outcome" in body
    assert "https://hub.example/cy/consultations/quieter-streets/summary/" in body
    assert "Hyb ymgynghori\r\n" in body


def test_the_welsh_outcome_email_links_the_english_outcome_until_the_welsh_page_shows_one(
    client, open_consultation, smtp_sink, tasks_in_process, django_capture_on_commit_callbacks
):
    welsh_translation(open_consultation)
    _free_text_answer(
        client, WELSH_FORM, open_consultation, ENGLISH_WORDS, django_capture_on_commit_callbacks
    )
    now = timezone.now()
    ConsultationPage.objects.filter(pk=open_consultation.pk).update(
        closes_at=now - timedelta(days=2), outcome_published_at=now - timedelta(minutes=1)
    )

    assert send_due_outcome_emails.apply().get() == {"sent": 1, "failed": 0}

    [outcome] = smtp_sink.with_subject("Canlyniad")
    body = outcome.get_content()
    assert "https://hub.example/consultations/quieter-streets/#outcome" in body
    assert "/cy/consultations/quieter-streets/#outcome" not in body


def test_a_welsh_reply_from_the_english_form_gets_its_emails_in_english(
    client, open_consultation, smtp_sink, tasks_in_process, django_capture_on_commit_callbacks
):
    welsh_translation(open_consultation)
    notification = _free_text_answer(
        client, FORM, open_consultation, WELSH_WORDS, django_capture_on_commit_callbacks
    )

    assert notification.response.language == "cy"
    [confirmation] = smtp_sink.messages
    assert confirmation["Subject"].strip().startswith("Your response to “Quieter streets”: HUB-")
    assert "https://hub.example/response-status/?reference=" in confirmation.get_content()
    assert "Consultation hub\r\n" in confirmation.get_content()
    assert "Hyb ymgynghori" not in confirmation.get_content()

    _publish_outcome(open_consultation)
    assert send_due_outcome_emails.apply().get() == {"sent": 1, "failed": 0}

    [outcome] = smtp_sink.with_subject("The outcome of")
    assert "https://hub.example/consultations/quieter-streets/#outcome" in outcome.get_content()


def test_a_response_without_an_address_sends_nothing(
    client, open_consultation, smtp_sink, tasks_in_process, django_capture_on_commit_callbacks
):
    question = open_consultation.questions.get(kind="free_text")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(FORM, {f"question_{question.pk}": "No email from me."})

    assert not ResponseNotification.objects.exists()
    assert smtp_sink.messages == []


def test_asking_about_the_outcome_without_an_address_is_an_error_that_loses_nothing(
    client, open_consultation
):
    question = open_consultation.questions.get(kind="free_text")
    answer = client.post(
        FORM, {f"question_{question.pk}": "Keep my words.", "notify_outcome": "on"}
    )

    assert answer.status_code == 400
    assert "Enter your email address, or untick “Tell me about the outcome”" in answer.text
    assert "Keep my words." in answer.text
    assert 'name="notify_outcome" type="checkbox" value="on"' in answer.text


def test_the_form_offers_the_outcome_checkbox(client, open_consultation):
    page = client.get(FORM).text

    assert 'class="govuk-checkboxes__input" id="id_notify_outcome" name="notify_outcome"' in page
    assert "Tell me about the outcome" in page


def test_the_outcome_email_goes_once_when_the_outcome_is_published_then_the_address_is_erased(
    client, open_consultation, smtp_sink, tasks_in_process, django_capture_on_commit_callbacks
):
    notification = _respond(
        client,
        open_consultation,
        django_capture_on_commit_callbacks,
        email=ADDRESS,
        notify_outcome="on",
    )
    respondent = notification.response.respondent

    assert send_due_outcome_emails.apply().get() == {"sent": 0, "failed": 0}  # not public yet
    assert smtp_sink.with_subject("outcome") == []
    assert Respondent.objects.get(pk=respondent.pk).email == ADDRESS

    _publish_outcome(open_consultation)
    assert send_due_outcome_emails.apply().get() == {"sent": 1, "failed": 0}
    assert send_due_outcome_emails.apply().get() == {"sent": 0, "failed": 0}

    [message] = smtp_sink.with_subject("The outcome of")
    assert smtp_sink.recipients[-1] == [ADDRESS]
    body = message.get_content()
    assert f"https://hub.example{open_consultation.url}#outcome" in body
    assert f"https://hub.example/consultations/{open_consultation.slug}/summary/" in body
    unsubscribe = _link(message, r"https://hub\.example/notifications/unsubscribe/\S+/")
    # A long header is folded before the "<"; RFC 2369 readers unfold it.
    assert message["List-Unsubscribe"].strip() == f"<{unsubscribe}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    notification.refresh_from_db()
    assert notification.outcome_sent_at is not None
    assert Respondent.objects.get(pk=respondent.pk).email == ""
    [audit] = RetentionExpiry.objects.filter(kind=RetentionKind.EMAIL)
    assert (audit.consultation_id, audit.department_id, audit.rows) == (
        open_consultation.pk,
        open_consultation.department_id,
        1,
    )
    assert audit.run.source == "outcome email sent"
    assert audit.run.finished_at is not None


def test_a_refused_outcome_email_is_tried_again_and_still_sent_once(
    client, open_consultation, smtp_sink, tasks_in_process, django_capture_on_commit_callbacks
):
    notification = _respond(
        client,
        open_consultation,
        django_capture_on_commit_callbacks,
        email=ADDRESS,
        notify_outcome="on",
    )
    _publish_outcome(open_consultation)
    smtp_sink.refuse = 1

    assert send_due_outcome_emails.apply().get() == {"sent": 0, "failed": 1}
    notification.refresh_from_db()
    assert notification.outcome_sent_at is None
    assert notification.response.respondent.email == ADDRESS  # kept for the next try
    assert not RetentionRun.objects.exists()  # nothing erased, nothing to audit

    assert send_due_outcome_emails.apply().get() == {"sent": 1, "failed": 0}
    assert len(smtp_sink.with_subject("The outcome of")) == 1


def test_one_click_unsubscribe_needs_no_sign_in_and_stops_the_outcome_email(
    client, open_consultation, smtp_sink, tasks_in_process, django_capture_on_commit_callbacks
):
    notification = _respond(
        client,
        open_consultation,
        django_capture_on_commit_callbacks,
        email=ADDRESS,
        notify_outcome="on",
    )
    [confirmation] = smtp_sink.messages
    link = _link(confirmation, r"https://hub\.example/notifications/unsubscribe/\S+/")
    path = link.removeprefix("https://hub.example")

    # A link checker's GET changes nothing: it shows the button.
    shown = Client().get(path)
    assert shown.status_code == 200
    assert ">Unsubscribe</button>" in shown.text
    notification.refresh_from_db()
    assert notification.unsubscribed_at is None

    # RFC 8058: the mail client POSTs this body, with no cookie and no CSRF token.
    mail_client = Client(enforce_csrf_checks=True)
    done = mail_client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert done.status_code == 200
    assert "You are unsubscribed" in done.text
    assert mail_client.post(path).status_code == 200  # again: still fine, nothing more

    notification.refresh_from_db()
    assert notification.unsubscribed_at is not None
    # Nothing more will be sent to the address, so it is gone now, audited.
    assert Respondent.objects.get(pk=notification.response.respondent_id).email == ""
    assert RetentionExpiry.objects.filter(
        kind=RetentionKind.EMAIL, run__source="outcome email unsubscribed"
    ).exists()

    _publish_outcome(open_consultation)
    assert send_due_outcome_emails.apply().get() == {"sent": 0, "failed": 0}
    assert smtp_sink.with_subject("The outcome of") == []


def test_a_forged_unsubscribe_link_is_refused(client, open_consultation, smtp_sink):
    for token in ("1:forged", "nonsense", "1"):
        answer = Client(enforce_csrf_checks=True).post(f"/notifications/unsubscribe/{token}/")
        assert answer.status_code == 404
        assert "Link not recognised" in answer.text


def test_someone_who_did_not_ask_gets_no_outcome_email_and_keeps_the_schedule(
    client, open_consultation, smtp_sink, tasks_in_process, django_capture_on_commit_callbacks
):
    notification = _respond(
        client, open_consultation, django_capture_on_commit_callbacks, email=ADDRESS
    )
    _publish_outcome(open_consultation)

    assert send_due_outcome_emails.apply().get() == {"sent": 0, "failed": 0}
    assert smtp_sink.with_subject("The outcome of") == []
    # The retention schedule, not the outcome email, decides when this address goes.
    assert Respondent.objects.get(pk=notification.response.respondent_id).email == ADDRESS


def test_an_address_the_retention_period_erased_first_gets_no_outcome_email(
    client, open_consultation, smtp_sink, tasks_in_process, django_capture_on_commit_callbacks
):
    notification = _respond(
        client,
        open_consultation,
        django_capture_on_commit_callbacks,
        email=ADDRESS,
        notify_outcome="on",
    )
    Respondent.objects.filter(pk=notification.response.respondent_id).update(email="")
    _publish_outcome(open_consultation)

    assert send_due_outcome_emails.apply().get() == {"sent": 0, "failed": 0}
    assert smtp_sink.with_subject("The outcome of") == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp://mailer:s%40cret@mail.internal",
            ("mail.internal", 25, "mailer", "s@cret", False, False),
        ),
        ("smtp+tls://mail.internal:2587", ("mail.internal", 2587, "", "", True, False)),
        ("smtps://mail.internal", ("mail.internal", 465, "", "", False, True)),
    ],
)
def test_email_url_chooses_the_smtp_server(url, expected, tmp_path):
    config = parse_email_url(url, default_file_path=tmp_path)

    assert config.backend == "django.core.mail.backends.smtp.EmailBackend"
    assert (
        config.host,
        config.port,
        config.user,
        config.password,
        config.use_tls,
        config.use_ssl,
    ) == expected


def test_email_url_embedded_default_console_and_bad_values(tmp_path):
    assert parse_email_url("", default_file_path=tmp_path).file_path == str(tmp_path)
    assert parse_email_url("console:", default_file_path=tmp_path).backend.endswith(
        "console.EmailBackend"
    )
    assert parse_email_url("file:///var/mail/hub", default_file_path=tmp_path).file_path == (
        "/var/mail/hub"
    )
    for bad in ("sendmail://x", "smtp://", "smtp://host:notaport"):
        with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
            parse_email_url(bad, default_file_path=tmp_path)


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_at_once_send_one_outcome_email(home_page, smtp_sink, tasks_in_process):
    consultation = consultation_with_questions(title="Quieter streets")
    question = consultation.questions.get(kind="free_text")
    response = web_response_record(
        consultation=consultation,
        answers={question.pk: "Slower traffic near the park."},
        email=ADDRESS,
        wants_outcome=True,
    )
    _publish_outcome(consultation)
    notification_id = response.notification.pk
    barrier = threading.Barrier(2)
    results: list[bool] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(outcome_email_send(notification_id=notification_id))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(results) == [False, True]
    assert len(smtp_sink.with_subject("The outcome of")) == 1
