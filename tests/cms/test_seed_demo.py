import pytest
from django.core.management import call_command

from cms.home.models import HomePage
from consultations.models import ConsultationPage, Department


@pytest.mark.django_db
def test_seed_demo_twice_creates_one_of_each_and_serves_the_consultation(client):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    call_command("seed_demo", stdout=open("/dev/null", "w"))

    assert HomePage.objects.count() == 1
    assert Department.objects.count() == 1
    assert ConsultationPage.objects.count() == 1
    consultation = ConsultationPage.objects.get()
    assert consultation.status == "open"
    response = client.get(consultation.url)
    assert response.status_code == 200
    assert "Clean air zones" in response.text
