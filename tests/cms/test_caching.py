"""The public pages from the cache: stored for anonymous GETs only, served with a nonce of
their own and headers a CDN can use, and never again once what they show is hidden."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.utils import timezone, translation

from cms import caching
from consultations.services import ANALYST
from engagement.analysis.services import theme_rename
from engagement.moderation.services import response_moderate, responses_withdraw
from engagement.record.erasure import erasure_plan, respondent_erase
from engagement.record.models import ModerationReason, ModerationState, WithdrawalReason
from search.services import search_index_drain
from tests.factories.analysis import ThemeFactory, ThemeMembershipFactory
from tests.factories.consultations import ConsultationPageFactory, UserFactory
from tests.factories.moderation import moderator_create
from tests.factories.search import PublicResponseFactory

pytestmark = pytest.mark.django_db

LISTING = "/consultations/quieter-streets/responses/"
SUMMARY = "/consultations/quieter-streets/summary/"
PUBLIC_PAGES = (
    "/consultations/quieter-streets/",
    LISTING,
    f"{LISTING}?q=buses",
    "/consultations/quieter-streets/summary/",
    "/api/v1/responses/?consultation=quieter-streets",
    "/search/?q=buses",
)


def _nonce_in_body(html: str) -> str:
    return re.search(r'<script nonce="([^"]+)"', html).group(1)


def _nonce_in_header(response) -> str:
    return re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)


def test_second_anonymous_get_comes_from_the_cache_with_its_own_nonce(
    client, page_cache, published
):
    first = client.get(LISTING)
    second = client.get(LISTING)

    assert (first[caching.HEADER], second[caching.HEADER]) == ("miss", "hit")
    assert "KEPTWORD" in second.text
    # Each answer's body and header carry the same nonce, and a new one each time.
    for answer in (first, second):
        assert _nonce_in_body(answer.text) == _nonce_in_header(answer)
    assert _nonce_in_body(first.text) != _nonce_in_body(second.text)
    assert first.text.replace(_nonce_in_body(first.text), "") == second.text.replace(
        _nonce_in_body(second.text), ""
    )


@pytest.mark.parametrize(
    "path",
    (
        *PUBLIC_PAGES,
        "/",
        "/consultations/",
        "/consultations/feed/",
        "/consultations/quieter-streets/summary.csv",
    ),
)
def test_every_public_page_is_cached_with_headers_a_cdn_can_use(
    client, page_cache, published, path
):
    first = client.get(path)
    second = client.get(path)

    assert first.status_code == second.status_code == 200, path
    assert second[caching.HEADER] == "hit", path
    cache_control = {part.strip() for part in second["Cache-Control"].split(",")}
    assert {"public", "max-age=0", "s-maxage=30"} <= cache_control
    assert {"Cookie", "Accept-Language"} <= {part.strip() for part in second["Vary"].split(",")}
    assert second["ETag"] == first["ETag"]
    assert second["Last-Modified"]


def test_a_revalidation_gets_304_without_a_new_csp_nonce(client, page_cache, published):
    first = client.get(LISTING)

    by_etag = client.get(LISTING, headers={"if-none-match": first["ETag"]})
    by_date = client.get(LISTING, headers={"if-modified-since": first["Last-Modified"]})

    for answer in (by_etag, by_date):
        assert answer.status_code == 304
        assert answer.content == b""
        # It would replace the header stored with the browser's copy, whose body has its own.
        assert "Content-Security-Policy" not in answer
        assert "public" in answer["Cache-Control"]
    assert client.get(LISTING, headers={"if-none-match": 'W/"other"'}).status_code == 200


# What each page shows of the response about to be hidden: its words, or on the summary
# (whose quotes come from an analysis run) the count of published responses.
SHOWN = {SUMMARY: ('id="summary-total">3<', 'id="summary-total">2<')}


@pytest.mark.parametrize("path", PUBLIC_PAGES[1:])
def test_hiding_a_response_takes_it_off_every_cached_page_at_once(
    client, page_cache, published, path, django_capture_on_commit_callbacks
):
    shown, shown_after = SHOWN.get(path, ("DOOMEDWORD", "KEPTWORD"))
    assert shown in client.get(path).text
    assert client.get(path)[caching.HEADER] == "hit"
    moderator = moderator_create(department=published["consultation"].department)

    with django_capture_on_commit_callbacks(execute=True):
        response_moderate(
            response=published["doomed"],
            to_state=ModerationState.HIDDEN,
            by=moderator,
            reason=ModerationReason.ABUSIVE,
        )

    after = client.get(path)
    assert after[caching.HEADER] == "miss"
    assert shown not in after.text
    assert shown_after in after.text


def test_a_permalink_of_a_hidden_response_is_not_served_from_the_cache(
    client, page_cache, published
):
    permalink = f"{LISTING}{published['doomed'].reference}/"
    assert "DOOMEDWORD" in client.get(permalink).text
    assert client.get(permalink)[caching.HEADER] == "hit"
    moderator = moderator_create(department=published["consultation"].department)

    response_moderate(
        response=published["doomed"],
        to_state=ModerationState.HIDDEN,
        by=moderator,
        reason=ModerationReason.SPAM,
    )

    assert client.get(permalink).status_code == 404


def test_a_response_withdrawn_at_the_source_leaves_the_cached_listing(
    client, page_cache, published
):
    assert "DOOMEDWORD" in client.get(LISTING).text

    responses_withdraw(
        channel="mastodon",
        external_ids=[published["doomed"].external_id],
        reason=WithdrawalReason.DELETED_AT_SOURCE,
    )

    assert "DOOMEDWORD" not in client.get(LISTING).text


def test_an_erased_response_leaves_the_cached_listing_and_summary(client, page_cache, published):
    assert "DOOMEDWORD" in client.get(LISTING).text
    assert 'id="summary-total">3<' in client.get(SUMMARY).text

    respondent_erase(
        plan=erasure_plan(reference=published["doomed"].reference), reason="Asked by email"
    )

    assert "DOOMEDWORD" not in client.get(LISTING).text
    assert 'id="summary-total">2<' in client.get(SUMMARY).text


def test_approving_a_response_shows_it_on_the_next_get(client, page_cache, published):
    assert "PENDINGWORD" not in client.get(LISTING).text
    moderator = moderator_create(department=published["consultation"].department)

    response_moderate(
        response=published["pending"], to_state=ModerationState.APPROVED, by=moderator
    )
    # The listing is drawn from the index, which the outbox brings up to date: a page
    # drawn before the drain must not outlive it.
    assert "PENDINGWORD" not in client.get(LISTING).text
    assert not search_index_drain().failed

    assert "PENDINGWORD" in client.get(LISTING).text


def test_an_analyst_renaming_a_theme_refreshes_the_cached_summary(client, page_cache, published):
    theme = ThemeFactory(consultation=published["consultation"], label="buses")
    ThemeMembershipFactory(theme=theme, response=published["kept"])
    client.get(SUMMARY)
    assert client.get(SUMMARY)[caching.HEADER] == "hit"
    analyst = moderator_create(
        department=published["consultation"].department, username="analyst", roles=(ANALYST,)
    )

    theme_rename(theme=theme, label="Bus services", user=analyst)

    assert client.get(SUMMARY)[caching.HEADER] == "miss"


def test_another_consultation_keeps_its_cached_pages(client, page_cache, published):
    other = ConsultationPageFactory(title="Cleaner rivers")
    other_listing = f"/consultations/{other.slug}/responses/"
    client.get(other_listing)
    moderator = moderator_create(department=published["consultation"].department)

    response_moderate(
        response=published["doomed"],
        to_state=ModerationState.HIDDEN,
        by=moderator,
        reason=ModerationReason.ABUSIVE,
    )

    assert client.get(other_listing)[caching.HEADER] == "hit"
    assert client.get(LISTING)[caching.HEADER] == "miss"


def test_publishing_a_consultation_refreshes_the_cached_index(client, page_cache, published):
    assert client.get("/consultations/")[caching.HEADER] == "miss"
    assert client.get("/consultations/")[caching.HEADER] == "hit"

    ConsultationPageFactory(title="Cleaner rivers")

    index = client.get("/consultations/")
    assert index[caching.HEADER] == "miss"
    assert "Cleaner rivers" in index.text


def test_an_outcome_shows_at_its_time_though_its_page_was_cached_before(
    client, page_cache, published
):
    consultation = published["consultation"]
    outcome_at = timezone.now() + timedelta(minutes=1)
    consultation.closes_at = timezone.now() + timedelta(seconds=30)
    consultation.outcome = [("callout", {"style": "inset", "text": "We will cut speed limits."})]
    consultation.outcome_published_at = outcome_at
    consultation.save_revision().publish()

    with time_machine.travel(outcome_at - timedelta(seconds=10), tick=False):
        before = client.get(consultation.url)
        assert client.get(consultation.url)[caching.HEADER] == "hit"
    with time_machine.travel(outcome_at + timedelta(seconds=1), tick=False):
        after = client.get(consultation.url)

    assert "We will cut speed limits." not in before.text
    assert after[caching.HEADER] == "miss"
    assert "We will cut speed limits." in after.text


def test_unpublishing_a_consultation_takes_its_pages_out_of_the_cache(
    client, page_cache, published
):
    page = "/consultations/quieter-streets/"
    assert client.get(page).status_code == 200
    assert client.get(page)[caching.HEADER] == "hit"

    published["consultation"].unpublish()

    assert client.get(page).status_code == 404
    assert "Quieter streets" not in client.get("/consultations/").text


def test_signed_in_staff_are_neither_served_from_nor_stored_in_the_cache(page_cache, published):
    anonymous = Client()
    anonymous.get(LISTING)  # stored
    staff = Client()
    staff.force_login(UserFactory(is_staff=True))

    answer = staff.get(LISTING)

    assert caching.HEADER not in answer
    assert "private" in answer["Cache-Control"]
    assert "public" not in answer["Cache-Control"]
    cache_misses = Client()
    cache_misses.cookies.load({"sessionid": "anything"})
    assert caching.HEADER not in cache_misses.get(LISTING)


def test_a_page_built_for_staff_is_never_served_to_the_public(page_cache, published):
    staff = Client()
    staff.force_login(UserFactory(is_staff=True, is_superuser=True))
    staff.get("/consultations/quieter-streets/")

    assert Client().get("/consultations/quieter-streets/")[caching.HEADER] == "miss"


def test_the_response_form_with_its_csrf_token_is_never_cached(client, page_cache, published):
    form = "/consultations/quieter-streets/respond/"
    first = client.get(form)
    second = client.get(form)

    assert 'name="csrfmiddlewaretoken"' in second.text
    assert caching.HEADER not in first
    assert caching.HEADER not in second
    assert "public" not in second.get("Cache-Control", "")


def test_the_response_status_lookup_is_never_cached(client, page_cache, published):
    client.get("/response-status/")
    assert caching.HEADER not in client.get("/response-status/")


def test_the_key_holds_the_host_the_query_and_the_language(settings):
    settings.ALLOWED_HOSTS = ["testserver", "hub.example"]
    factory = RequestFactory()
    keys = set()
    for path, host, language in (
        ("/consultations/", "testserver", "en-gb"),
        ("/consultations/", "testserver", "cy"),
        ("/consultations/?page=2", "testserver", "en-gb"),
        ("/consultations/", "hub.example", "en-gb"),
    ):
        with translation.override(language):
            keys.add(caching._page_key(factory.get(path, HTTP_HOST=host)))
    assert len(keys) == 4


def test_a_stored_page_is_served_again_only_at_its_generations(page_cache, published):
    before = caching.generations_read(scopes=[caching.consultation_scope("quieter-streets")])

    caching.pages_invalidate_for_consultations(consultation_ids=[published["consultation"].pk])

    after = caching.generations_read(scopes=[caching.consultation_scope("quieter-streets")])
    assert before != after
    assert caching.generations_read(scopes=[caching.SITE]) == caching.generations_read(
        scopes=[caching.SITE]
    )


def test_the_cache_is_off_when_turned_off(client, page_cache, published):
    page_cache.HUB_PAGE_CACHE = False

    assert caching.HEADER not in client.get(LISTING)


def test_the_shared_redis_cache_serves_and_invalidates_pages(
    client, settings, broker_url, home_page
):
    """Production's backend (django's RedisCache, read as a miss while Redis is away):
    generations that never expire, pages as pickled bytes. A prefix of its own, never cleared: the database is the broker's too."""
    settings.CACHES = {
        "default": {
            "BACKEND": "cms.cache_backends.OutageTolerantRedisCache",
            "LOCATION": broker_url,
            "KEY_PREFIX": f"hubtest-pages-{uuid.uuid4().hex}",
        }
    }
    settings.HUB_PAGE_CACHE = True
    settings.WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "modelsearch.backends.database"}}
    consultation = ConsultationPageFactory(title="Redis streets")
    shown = PublicResponseFactory(consultation=consultation, published_text="REDISWORD here")
    assert not search_index_drain().failed
    listing = f"/consultations/{consultation.slug}/responses/"

    assert client.get(listing)[caching.HEADER] == "miss"
    hit = client.get(listing)
    assert hit[caching.HEADER] == "hit"
    assert "REDISWORD" in hit.text
    assert _nonce_in_body(hit.text) == _nonce_in_header(hit)

    response_moderate(
        response=shown,
        to_state=ModerationState.HIDDEN,
        by=moderator_create(department=consultation.department),
        reason=ModerationReason.ABUSIVE,
    )

    assert "REDISWORD" not in client.get(listing).text
    # Generations never expire: leave none behind in the shared Redis.
    scopes = (caching.SITE, caching.RECORD, caching.consultation_scope(consultation.slug))
    cache.delete_many([caching._generation_key(scope) for scope in scopes])
