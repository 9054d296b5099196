"""The public page cache turned on (cms/caching.py), and a consultation to read through it."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from engagement.record.models import ModerationState
from search.services import search_index_drain
from tests.factories.consultations import consultation_with_questions
from tests.factories.record import ResponseFactory
from tests.factories.search import PublicResponseFactory


@pytest.fixture
def page_cache(settings):
    """The page cache on (the test settings keep it off), empty before and after."""
    settings.HUB_PAGE_CACHE = True
    settings.HUB_PAGE_CACHE_SECONDS = 300
    settings.HUB_PAGE_CACHE_STALE_SECONDS = 3600
    settings.HUB_PAGE_MAX_AGE = 0
    settings.HUB_PAGE_CDN_MAX_AGE = 30
    # The database backend answers the listing: no node, no drain to wait for.
    settings.WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "modelsearch.backends.database"}}
    cache.clear()
    yield settings
    cache.clear()


@pytest.fixture
def published(home_page, page_cache):
    """A consultation with three public responses and one waiting for a moderator."""
    consultation = consultation_with_questions(title="Quieter streets")
    made = {
        name: PublicResponseFactory(
            consultation=consultation,
            channel="mastodon",
            published_text=f"{word} buses would help my street.",
        )
        for name, word in (("kept", "KEPTWORD"), ("doomed", "DOOMEDWORD"), ("other", "OTHERWORD"))
    }
    made["pending"] = ResponseFactory(
        consultation=consultation,
        moderation_state=ModerationState.PENDING,
        published_text="PENDINGWORD",
    )
    made["consultation"] = consultation
    # Word searches read the index; these tests drain its outbox themselves (the on-commit
    # drain waits for a commit the test's transaction never makes).
    search_index_drain()
    return made
