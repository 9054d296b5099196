"""Fitting messages to each network: counting, threading, facets (no network, no database)."""

from __future__ import annotations

import dataclasses
import re
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.backends.bluesky import BlueskyConnector
from connectors.backends.mastodon import MastodonConnector
from connectors.backends.x import XConnector
from connectors.formatting import Message, MessageTooLong, compose_thread, grapheme_length


def rules_for_x():
    return XConnector.text_rules


def rules_for_mastodon(**changes):
    return dataclasses.replace(MastodonConnector.text_rules, **changes)


def rules_for_bluesky():
    return BlueskyConnector.text_rules


def x_weighted_length(text: str) -> int:
    return XConnector.text_rules.length(text)


LINK = "https://consult.example.gov.uk/consultations/clean-air-zones/"
LONG_LINK = "https://consult.example.gov.uk/consultations/" + "very-long-slug-" * 20 + "end/"
ALL_RULES = [rules_for_x(), rules_for_mastodon(), rules_for_bluesky()]
ARABIC = "نقترح إنشاء مناطق هواء نظيف في عشر بلدات سوقية. أخبرونا كيف ستؤثر عليكم."
HEBREW = "אנו מציעים אזורי אוויר נקי בעשר עיירות שוק. ספרו לנו איך זה ישפיע עליכם."
NUMBERING = re.compile(r" \((\d+)/(\d+)\)(?=\n|$)")


def _body_words(parts, message: Message, rules) -> list[str]:
    """The words of the body as they appear across the parts, without numbering and tail."""
    words = []
    for part in parts:
        text = part.text.split("\n\n")[0] if "\n\n" in part.text else part.text
        text = NUMBERING.sub("", text)
        words.extend(text.split())
    return words


# --- Counting ---------------------------------------------------------------------------


def test_x_counts_latin_as_one_and_cjk_as_two():
    assert x_weighted_length("Have your say") == 13
    assert x_weighted_length("空気") == 4


@pytest.mark.parametrize(
    "emoji",
    ["👍", "👍🏽", "👨‍👩‍👧‍👦", "🇬🇧", "🏳️‍🌈", "1️⃣"],
    ids=["simple", "skin-tone", "family-zwj", "flag", "rainbow-flag", "keycap"],
)
def test_x_counts_every_emoji_as_two_however_many_code_points(emoji):
    assert x_weighted_length(emoji) == 2
    assert x_weighted_length(f"a{emoji}b") == 4


def test_x_normalises_combining_characters_before_counting():
    decomposed = "cafe\u0301"  # e + combining acute: one character once composed
    assert x_weighted_length(decomposed) == 4


def test_x_counts_every_url_as_23_however_long():
    assert x_weighted_length(LINK) == 23
    assert x_weighted_length(LONG_LINK) == 23
    assert x_weighted_length(f"See {LONG_LINK} now") == 4 + 23 + 4


def test_x_counts_a_bare_domain_as_a_link():
    assert x_weighted_length("Read gov.uk") == 5 + 23


def test_grapheme_length_counts_what_a_reader_sees():
    assert grapheme_length("👨‍👩‍👧‍👦") == 1
    assert grapheme_length("cafe\u0301") == 4
    assert grapheme_length("🇬🇧🇫🇷") == 2


def test_mastodon_counts_urls_as_23_and_the_rest_as_graphemes():
    rules = rules_for_mastodon()
    assert rules.length(f"{LONG_LINK} 👍🏽") == 23 + 1 + 1


# --- Composing -----------------------------------------------------------------------------


@pytest.mark.parametrize("rules", ALL_RULES, ids=lambda r: r.network)
def test_short_message_is_one_post_with_link_and_hashtag(rules):
    (part,) = compose_thread(Message(text="Have your say.", link=LINK, hashtag="#CleanAir"), rules)

    assert part.text.startswith("Have your say.")
    assert part.text.endswith(f"{rules.display_link(LINK)} #CleanAir")
    assert not NUMBERING.search(part.text)


@pytest.mark.parametrize("rules", ALL_RULES, ids=lambda r: r.network)
@pytest.mark.parametrize(
    "sample",
    [
        "Clean air 👨‍👩‍👧‍👦🇬🇧 for everyone 👍🏽 ",
        "Cafe\u0301 re\u0301sume\u0301 nai\u0308ve Zo\u00eb ",
        ARABIC + " ",
        HEBREW + " ",
        "空気をきれいにする計画について意見を聞かせてください。",
    ],
    ids=["emoji", "combining", "arabic", "hebrew", "japanese"],
)
def test_long_text_becomes_a_numbered_thread_within_the_limit(rules, sample):
    message = Message(text=sample * 40, link=LINK, hashtag="CleanAir")

    parts = compose_thread(message, rules)

    assert len(parts) > 1
    assert all(rules.length(part.text) <= rules.limit for part in parts)
    numbers = [NUMBERING.search(part.text).groups() for part in parts]
    assert numbers == [(str(n), str(len(parts))) for n in range(1, len(parts) + 1)]
    assert "#CleanAir" in parts[0].text
    assert rules.display_link(LINK) in parts[0].text
    # Nothing is lost, nothing is reordered, and no character is cut in half.
    original = unicodedata.normalize("NFC", message.text).split()
    words = _body_words(parts, message, rules)
    assert "".join(words) == "".join(original)


def test_long_url_counts_23_on_x_so_the_post_stays_whole():
    (part,) = compose_thread(
        Message(text="Have your say.", link=LONG_LINK, hashtag="CleanAir"), rules_for_x()
    )

    assert LONG_LINK in part.text


def test_bluesky_shows_a_long_link_shortened_and_links_it_in_full():
    rules = rules_for_bluesky()
    (part,) = compose_thread(
        Message(text="Have your say.", link=LONG_LINK, hashtag="CleanAir"), rules
    )

    assert LONG_LINK not in part.text
    assert rules.length(part.text) <= 300
    links = [facet for facet in part.facets if facet.kind == "link"]
    assert [facet.value for facet in links] == [LONG_LINK]


@pytest.mark.parametrize(
    "text", ["Have your say 👍🏽 on café plans.", ARABIC, "Zo\u00eb and 空気 👨‍👩‍👧‍👦"]
)
def test_bluesky_facets_sit_at_utf8_byte_offsets(text):
    (part,) = compose_thread(Message(text=text, link=LINK, hashtag="CleanAir"), rules_for_bluesky())

    encoded = part.text.encode("utf-8")
    by_kind = {facet.kind: facet for facet in part.facets}
    link, tag = by_kind["link"], by_kind["tag"]
    assert encoded[link.byte_start : link.byte_end].decode(
        "utf-8"
    ) == rules_for_bluesky().display_link(LINK)
    assert link.value == LINK
    assert encoded[tag.byte_start : tag.byte_end].decode("utf-8") == "#CleanAir"
    assert tag.value == "CleanAir"


def test_bluesky_links_urls_and_hashtags_in_the_text_too():
    text = "Read the evidence at https://example.org/evidence and join #AirQuality week."
    (part,) = compose_thread(Message(text=text, link=LINK, hashtag="CleanAir"), rules_for_bluesky())

    assert {(f.kind, f.value) for f in part.facets} == {
        ("link", "https://example.org/evidence"),
        ("link", LINK),
        ("tag", "AirQuality"),
        ("tag", "CleanAir"),
    }


def test_a_word_longer_than_a_post_is_cut_between_characters_not_inside_them():
    word = "🇬🇧" * 400  # one "word" of flags, each two code points
    parts = compose_thread(Message(text=word, link=LINK, hashtag="CleanAir"), rules_for_bluesky())

    assert len(parts) > 1
    assert all(rules_for_bluesky().length(p.text) <= 300 for p in parts)
    assert "".join(_body_words(parts, None, None)) == word


def test_link_and_hashtag_that_cannot_fit_are_refused_with_the_reason():
    rules = rules_for_mastodon(limit=30)

    with pytest.raises(MessageTooLong, match="link and hashtag"):
        compose_thread(Message(text="Have your say", link=LINK, hashtag="A" * 40), rules)


# --- Properties ------------------------------------------------------------------------------

_WORDS = st.lists(
    st.sampled_from(
        list("abcdefghij ")
        + ["é", "e\u0301", "👍🏽", "👨‍👩‍👧‍👦", "🇬🇧", "ع", "ש", "空", "\u200d", "https://x.org/a "]
    ),
    max_size=1200,
).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=_WORDS,
    rules=st.sampled_from(ALL_RULES),
    hashtag=st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,30}", fullmatch=True),
)
def test_every_part_fits_and_the_link_and_hashtag_survive(text, rules, hashtag):
    parts = compose_thread(Message(text=text, link=LINK, hashtag=hashtag), rules)

    assert parts
    assert all(rules.length(part.text) <= rules.limit for part in parts)
    assert f"#{hashtag}" in parts[0].text
    assert rules.display_link(LINK) in parts[0].text
    if rules.facets:
        assert LINK in [facet.value for facet in parts[0].facets if facet.kind == "link"]
    if len(parts) > 1:
        original = "".join(unicodedata.normalize("NFC", text).split())
        assert "".join(_body_words(parts, None, rules)) == original
