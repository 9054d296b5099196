import pytest
from django.core.cache import cache

from consultations.services import roles_ensure, workflow_comms_review_ensure
from tests.factories.consultations import consultation_index, consultation_with_questions


@pytest.fixture(autouse=True)
def empty_cache():
    # The rate limit lives in the cache; each test starts with a clean slate.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def index(db, home_page):
    return consultation_index()


@pytest.fixture
def open_consultation(index):
    return consultation_with_questions(title="Quieter streets")


@pytest.fixture
def roles(index):
    groups = roles_ensure(index_page=index)
    workflow_comms_review_ensure(index_page=index)
    return groups
