import pytest

from consultations.services import ANALYST
from tests.factories.consultations import ConsultationPageFactory, DepartmentFactory
from tests.factories.moderation import moderator_create


@pytest.fixture
def department(db):
    return DepartmentFactory(
        name="Department for Transport",
        x_handle="transportgovuk",
        mastodon_handle="@transport@social.example.gov.uk",
        bluesky_handle="transport.bsky.social",
    )


@pytest.fixture
def consultation(home_page, department):
    return ConsultationPageFactory(title="Quieter streets", department=department)


@pytest.fixture
def moderator(department):
    return moderator_create(department=department, username="moderator")


@pytest.fixture
def other_department_moderator(db, home_page):
    return moderator_create(department=DepartmentFactory(), username="elsewhere")


@pytest.fixture
def analyst(department):
    return moderator_create(department=department, username="analyst", roles=(ANALYST,))
