import pytest

from consultations.services import ANALYST
from tests.factories.connectors import ChannelAccountFactory
from tests.factories.consultations import ConsultationPageFactory, DepartmentFactory
from tests.factories.moderation import moderator_create


@pytest.fixture
def department(db):
    department = DepartmentFactory(name="Department for Transport")
    # The department's own accounts: mentions of them stay published.
    for network, handle, base_url in (
        ("x", "transportgovuk", ""),
        ("mastodon", "transport", "https://social.example.gov.uk"),
        ("bluesky", "transport.bsky.social", ""),
    ):
        ChannelAccountFactory(
            department=department, network=network, handle=handle, base_url=base_url
        )
    return department


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
