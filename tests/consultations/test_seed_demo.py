import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from wagtail.models import Workflow

from consultations.models import ConsultationPage, Question
from consultations.services import COMMS_REVIEW, ROLES


@pytest.mark.django_db
def test_seed_demo_makes_an_answerable_consultation_roles_and_workflow_once(client):
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())

    consultation = ConsultationPage.objects.get()
    assert consultation.is_open
    assert Question.objects.filter(page=consultation).count() == 4
    assert set(Group.objects.filter(name__in=ROLES).values_list("name", flat=True)) == set(ROLES)
    assert Workflow.objects.filter(name=COMMS_REVIEW).count() == 1
    assert consultation.get_workflow().name == COMMS_REVIEW

    form = client.get(consultation.url + "respond/")
    assert form.status_code == 200
    for question in consultation.questions.all():
        assert question.text in form.text
