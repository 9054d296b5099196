from datetime import timedelta

import pytest
from django.utils import timezone

from consultations.models import ConsultationIndexPage, ConsultationPage, Department


@pytest.mark.django_db
def test_page_is_created_published_and_served_from_postgresql(postgres, home_page, client):
    index = home_page.add_child(
        instance=ConsultationIndexPage(title="Consultations", slug="consultations")
    )
    department = Department.objects.create(name="Department for Testing", slug="testing")
    now = timezone.now()
    page = ConsultationPage(
        title="Quieter streets",
        slug="quieter-streets",
        summary="Should residential streets have a 20mph limit?",
        department=department,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=10),
        live=False,
    )
    index.add_child(instance=page)

    assert client.get("/consultations/quieter-streets/").status_code == 404

    page.save_revision().publish()

    response = client.get("/consultations/quieter-streets/")
    assert response.status_code == 200
    assert "Quieter streets" in response.text
    assert "Should residential streets have a 20mph limit?" in response.text
    assert ConsultationPage.objects.live().filter(pk=page.pk).exists()
    with postgres.cursor() as cursor:
        cursor.execute("SELECT live FROM wagtailcore_page WHERE id = %s", [page.pk])
        assert cursor.fetchone() == (True,)


@pytest.mark.django_db
def test_home_page_is_served_at_the_site_root(home_page, client):
    response = client.get("/")
    assert response.status_code == 200
    assert home_page.title in response.text
    assert 'class="govuk-template' in response.text
