import html
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from engagement.record.models import Channel, ModerationState, Respondent, Response

FORM = "/consultations/quieter-streets/respond/"
CONFIRMATION = "/consultations/quieter-streets/respond/confirmation/"


def _questions(page):
    return {question.kind: question for question in page.questions.all()}


def _valid_answers(page, **extra):
    questions = _questions(page)
    data = {
        f"question_{questions['free_text'].pk}": "Our street would be safer for the children.",
        f"question_{questions['single_choice'].pk}": "Bus",
        f"question_{questions['multiple_choice'].pk}": ["More buses", "Park and ride"],
        f"question_{questions['agreement_scale'].pk}": "Agree",
    }
    data.update(extra)
    return data


def test_form_has_a_field_per_question_and_csrf_token(client, open_consultation):
    response = client.get(FORM)

    assert response.status_code == 200
    for question in open_consultation.questions.all():
        assert question.text in response.text
        assert f'name="question_{question.pk}"' in response.text
    assert 'type="radio" value="Strongly agree"' in response.text
    assert 'type="checkbox" value="Park and ride"' in response.text
    assert "csrfmiddlewaretoken" in response.text
    assert 'name="website"' in response.text  # the honeypot


def test_valid_response_is_recorded_with_answers_and_confirmed_with_its_reference(
    client, open_consultation
):
    data = _valid_answers(
        open_consultation,
        name="Ada Lovelace",
        email="Ada@Example.org",
        consent_to_publish="on",
        publish_name="on",
    )

    response = client.post(FORM, data)

    assert response.status_code == 302
    assert response["Location"] == CONFIRMATION
    stored = Response.objects.get()
    assert stored.consultation_id == open_consultation.pk
    assert stored.channel == Channel.WEB
    assert stored.external_id is None
    assert stored.moderation_state == ModerationState.PENDING
    assert stored.consent_to_publish is True
    assert "Our street would be safer for the children." in stored.text
    answers = {answer.question.kind: answer for answer in stored.answers.all()}
    assert answers["single_choice"].choices == ["Bus"]
    assert answers["multiple_choice"].choices == ["More buses", "Park and ride"]
    assert answers["agreement_scale"].choices == ["Agree"]
    assert answers["free_text"].text == "Our street would be safer for the children."
    respondent = stored.respondent
    assert stored.respondent_name == "Ada Lovelace"
    assert respondent.email == "Ada@Example.org"
    assert stored.publish_name is True
    assert "ada" not in respondent.external_id.lower()

    confirmation = client.get(CONFIRMATION)
    assert confirmation.status_code == 200
    assert stored.reference in confirmation.text
    assert "Response sent" in confirmation.text


def test_response_without_consent_is_recorded_as_not_for_publication(client, open_consultation):
    client.post(FORM, _valid_answers(open_consultation))

    stored = Response.objects.get()
    assert stored.consent_to_publish is False
    assert stored.respondent.email == ""
    assert stored.publish_name is False


def test_same_email_twice_is_the_same_respondent_with_two_responses(client, open_consultation):
    client.post(FORM, _valid_answers(open_consultation, email="sam@example.org"))
    client.post(FORM, _valid_answers(open_consultation, email="SAM@example.org "))

    assert Response.objects.count() == 2
    assert Respondent.objects.count() == 1


def test_confirmation_without_a_response_goes_back_to_the_consultation(client, open_consultation):
    response = client.get(CONFIRMATION)

    assert response.status_code == 302
    assert response["Location"] == "/consultations/quieter-streets/"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"email": "not-an-email"}, "Enter an email address in the correct format"),
        ({"name": "x" * 201}, "Ensure this value has at most 200 characters"),
        ({"publish_name": "on"}, "Enter your name, or untick"),
        ({"free_text": "x" * 5001}, "Your answer must be 5,000 characters or fewer"),
        ({"single_choice": "Rocket"}, "Select one of the options given"),
        ({"multiple_choice": ["Teleport"]}, "Select from the options given"),
        ({"agreement_scale": "Maybe"}, "Select one of the options given"),
    ],
)
def test_invalid_input_shows_the_error_summary_and_stores_nothing(
    client, open_consultation, change, message
):
    questions = _questions(open_consultation)
    data = _valid_answers(open_consultation)
    for key, value in change.items():
        name = f"question_{questions[key].pk}" if key in questions else key
        data[name] = value

    response = client.post(FORM, data)

    assert response.status_code == 400
    assert 'class="govuk-error-summary"' in response.text
    assert message in response.text
    assert "govuk-error-message" in response.text
    assert response.text.count(message) == 2  # in the summary and by the field
    assert "<title>Error:" in response.text
    assert not Response.objects.exists()


def test_invalid_input_keeps_what_was_typed(client, open_consultation):
    questions = _questions(open_consultation)
    data = _valid_answers(open_consultation, email="broken")

    response = client.post(FORM, data)

    assert "Our street would be safer for the children." in response.text
    assert f'id="id_question_{questions["single_choice"].pk}_1" name' in response.text
    assert 'value="Bus" checked' in response.text


def test_error_summary_links_to_the_first_option_of_a_choice_question(client, open_consultation):
    question = _questions(open_consultation)["single_choice"]

    response = client.post(
        FORM, _valid_answers(open_consultation) | {f"question_{question.pk}": "Rocket"}
    )

    assert f'href="#id_question_{question.pk}_0"' in response.text
    assert f'id="id_question_{question.pk}_0"' in response.text


def test_required_question_left_empty_is_an_error(client, open_consultation):
    question = _questions(open_consultation)["free_text"]
    question.required = True
    question.save()
    data = _valid_answers(open_consultation)
    data[f"question_{question.pk}"] = ""

    response = client.post(FORM, data)

    assert response.status_code == 400
    assert f"Answer “{question.text}”" in response.text
    assert not Response.objects.exists()


def test_a_response_with_no_answers_is_refused(client, open_consultation):
    response = client.post(FORM, {"name": "Ada"})

    assert response.status_code == 400
    assert "Answer at least one question" in response.text
    assert not Response.objects.exists()


def test_honeypot_filled_in_is_refused_and_not_recorded(client, open_consultation):
    response = client.post(FORM, _valid_answers(open_consultation, website="http://spam.example"))

    assert response.status_code == 400
    assert "could not accept your response" in response.text
    assert not Response.objects.exists()


def test_post_without_csrf_token_is_forbidden(open_consultation):
    client = Client(enforce_csrf_checks=True)

    response = client.post(FORM, _valid_answers(open_consultation))

    assert response.status_code == 403
    assert not Response.objects.exists()


def test_post_with_csrf_token_is_accepted(open_consultation):
    client = Client(enforce_csrf_checks=True)
    client.get(FORM)
    token = client.cookies["csrftoken"].value

    response = client.post(FORM, _valid_answers(open_consultation, csrfmiddlewaretoken=token))

    assert response.status_code == 302
    assert Response.objects.count() == 1


def test_too_many_responses_from_one_client_get_a_429_page(client, open_consultation, settings):
    settings.HUB_RESPONSE_RATE_LIMIT = 3
    settings.HUB_RESPONSE_RATE_WINDOW = 600
    for _ in range(3):
        assert client.post(FORM, _valid_answers(open_consultation)).status_code == 302

    response = client.post(FORM, _valid_answers(open_consultation))

    assert response.status_code == 429
    assert response["Retry-After"] == "600"
    assert "too many requests" in response.text.lower()
    assert "Try again in 10 minutes" in response.text
    assert Response.objects.count() == 3


def test_rate_limit_is_per_client(client, open_consultation, settings):
    settings.HUB_RESPONSE_RATE_LIMIT = 1
    assert client.post(FORM, _valid_answers(open_consultation)).status_code == 302
    assert client.post(FORM, _valid_answers(open_consultation)).status_code == 429

    other = client.post(FORM, _valid_answers(open_consultation), REMOTE_ADDR="192.0.2.7")

    assert other.status_code == 302
    assert Response.objects.count() == 2


def test_closed_consultation_shows_a_clear_message_and_refuses_responses(client, open_consultation):
    open_consultation.closes_at = timezone.now() - timedelta(minutes=1)
    open_consultation.opens_at = timezone.now() - timedelta(days=10)
    open_consultation.save_revision().publish()

    page = client.get(FORM)
    post = client.post(FORM, _valid_answers(open_consultation))

    assert page.status_code == 200
    assert "This consultation has closed" in page.text
    assert 'name="question_' not in page.text
    assert post.status_code == 403
    assert "Your response was not sent" in post.text
    assert not Response.objects.exists()


def test_upcoming_consultation_is_not_open_for_responses(client, open_consultation):
    open_consultation.opens_at = timezone.now() + timedelta(days=2)
    open_consultation.save_revision().publish()

    page = client.get(FORM)
    post = client.post(FORM, _valid_answers(open_consultation))

    assert "This consultation is not open yet" in page.text
    assert post.status_code == 403
    assert not Response.objects.exists()


def test_behind_a_trusted_proxy_the_rate_limit_counts_the_forwarded_client(
    client, open_consultation, settings
):
    settings.HUB_RESPONSE_RATE_LIMIT = 1
    settings.HUB_TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}

    first = client.post(
        FORM, _valid_answers(open_consultation), HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy
    )
    # A client cannot dodge the limit by writing its own X-Forwarded-For entry.
    spoofed = client.post(
        FORM,
        _valid_answers(open_consultation),
        HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5",
        **proxy,
    )
    other = client.post(
        FORM, _valid_answers(open_consultation), HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy
    )

    assert first.status_code == 302
    assert spoofed.status_code == 429
    assert other.status_code == 302


def test_the_confirmation_links_to_the_status_of_the_response(client, open_consultation):
    client.post(FORM, _valid_answers(open_consultation))
    confirmation = client.get(CONFIRMATION)
    link = re.search(r'id="response-status-link" href="([^"]+)"', confirmation.text)

    status = client.get(html.unescape(link.group(1)))

    assert Response.objects.get().reference in status.text
    assert "Waiting for moderation" in status.text
