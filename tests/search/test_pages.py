"""The public pages: responses, permalinks, site search — and nothing non-public on any of them."""

from __future__ import annotations

import pytest

from search.services import search_index_drain

pytestmark = pytest.mark.django_db

NEVER_PUBLIC = ("ORIGINAL", "PENDING", "HIDDENWORD", "WITHDRAWNWORD", "SPAMWORD", "Private Person")


@pytest.fixture
def indexed(database_search, record):
    search_index_drain()
    return record


def _page(client, path: str, **params) -> str:
    response = client.get(path, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _assert_nothing_private(html: str) -> None:
    for marker in NEVER_PUBLIC:
        assert marker not in html, marker


def test_responses_page_lists_public_responses_with_pseudonyms_and_links(client, indexed):
    html = _page(client, "/consultations/quieter-streets/responses/")

    bus = indexed["bus"]
    assert f"{bus.public_name} via Mastodon" in html
    assert bus.public_name.startswith("Respondent R-")
    assert f'href="{bus.url}"' in html
    assert "Jane Citizen via Web form" in html
    assert f"{indexed['anon_web'].public_name} via Web form" in html
    assert f'href="/consultations/quieter-streets/responses/{bus.reference}/"' in html
    assert "6 responses" in html
    _assert_nothing_private(html)


def test_search_highlights_matches_and_shows_facets(client, indexed):
    html = _page(client, "/consultations/quieter-streets/responses/", q="hospital")

    assert '<mark class="hub-highlight">hospital</mark>' in html
    assert "1 response matching" in html
    assert 'name="channel" type="checkbox" value="web"' in html
    _assert_nothing_private(html)


def test_searching_for_non_public_words_finds_nothing(client, indexed):
    for word in ("ORIGINAL", "PENDINGWORD", "HIDDENWORD", "WITHDRAWNWORD", "SPAMWORD"):
        html = _page(client, "/consultations/quieter-streets/responses/", q=word)
        assert "0 responses" in html, word
        assert 'class="hub-response ' not in html, word


def test_accountability_counts_add_up_on_the_page(client, indexed):
    html = _page(client, "/consultations/quieter-streets/responses/")

    assert 'data-count="collected">10<' in html
    assert 'data-count="published">6<' in html
    assert 'data-count="pending">1<' in html
    assert 'data-count="withdrawn">1<' in html
    assert 'data-count="hidden-abusive">Abusive: 1<' in html
    assert 'data-count="hidden-spam">Spam: 1<' in html


def test_permalink_shows_a_public_response_and_hides_the_rest(client, indexed):
    html = _page(client, f"/consultations/quieter-streets/responses/{indexed['web'].reference}/")
    assert "Jane Citizen via Web form" in html
    assert "Buses to the hospital every ten minutes." in html
    assert "Bus" in html
    _assert_nothing_private(html)

    for key in ("pending", "hidden", "withdrawn", "spam"):
        path = f"/consultations/quieter-streets/responses/{indexed[key].reference}/"
        assert client.get(path).status_code == 404, key


def test_unknown_or_unpublished_consultation_is_not_found(client, indexed):
    assert client.get("/consultations/no-such-thing/responses/").status_code == 404
    consultation = indexed["consultation"]
    consultation.unpublish()
    assert client.get("/consultations/quieter-streets/responses/").status_code == 404


def test_bad_filter_input_is_reported_and_the_rest_still_applies(client, indexed):
    response = client.get(
        "/consultations/quieter-streets/responses/", {"month": "March", "channel": "web"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "Choose a month from the list" in html
    assert "2 responses" in html


def test_consultation_page_links_to_its_responses(client, indexed):
    html = _page(client, "/consultations/quieter-streets/")

    assert 'href="/consultations/quieter-streets/responses/"' in html


def test_site_search_finds_consultations_and_responses(client, indexed):
    html = _page(client, "/search/", q="buses")

    assert "5 published responses match" in html
    assert "Quieter streets" in html
    _assert_nothing_private(html)

    html = _page(client, "/search/", q="residential")
    assert 'href="/consultations/quieter-streets/"' in html
    assert "0 published responses match" in html


def test_site_search_without_words_shows_just_the_box(client, db):
    html = _page(client, "/search/")

    assert 'id="id_q"' in html
    assert "published responses match" not in html


@pytest.mark.parametrize(
    "words", ['"unbalanced', "bus*", "AND", "(", "-bus", "NEAR(", "a:b", "'", "OR buses", "%", "\\"]
)
def test_search_syntax_in_the_box_is_taken_as_plain_words(client, indexed, words):
    for path in ("/consultations/quieter-streets/responses/", "/search/"):
        assert client.get(path, {"q": words}).status_code == 200, path


def test_quotes_around_a_word_find_what_the_word_finds(client, indexed):
    html = _page(client, "/consultations/quieter-streets/responses/", q='"buses"')

    assert "5 responses" in html
