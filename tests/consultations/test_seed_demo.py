import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from wagtail.models import Workflow

from cms.management.commands.seed_demo import DEMO_WELSH_WEB_RESPONSES
from consultations.models import ConsultationPage, Question
from consultations.services import COMMS_REVIEW, ROLES
from engagement.record.models import Response


@pytest.mark.django_db
def test_seed_demo_makes_an_answerable_consultation_roles_and_workflow_once(client):
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())

    consultation = ConsultationPage.objects.get(locale__language_code="en-gb")
    assert consultation.is_open
    assert Question.objects.filter(page=consultation).count() == 4
    assert set(Group.objects.filter(name__in=ROLES).values_list("name", flat=True)) == set(ROLES)
    assert Workflow.objects.filter(name=COMMS_REVIEW).count() == 1
    assert consultation.get_workflow().name == COMMS_REVIEW

    form = client.get(consultation.url + "respond/")
    assert form.status_code == 200
    for question in consultation.questions.all():
        assert question.text in form.text


@pytest.mark.django_db
def test_seed_demo_has_the_consultation_in_welsh_with_welsh_responses(client):
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())

    welsh = ConsultationPage.objects.get(locale__language_code="cy")
    english = ConsultationPage.objects.get(locale__language_code="en-gb")
    assert welsh.translation_key == english.translation_key
    assert welsh.url == "/cy/consultations/clean-air-zones/"
    form = client.get(welsh.url + "respond/")
    assert form.status_code == 200
    assert "Sut rydych chi’n teithio i’r dref fel arfer?" in form.text
    assert ">Bws</label>" in form.text
    assert client.get("/cy/").status_code == 200
    welsh_web = Response.objects.filter(consultation=english, channel="web", language="cy")
    assert welsh_web.count() == len(DEMO_WELSH_WEB_RESPONSES)
