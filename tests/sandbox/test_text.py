"""How the sandboxes count characters, the way each network does."""

from __future__ import annotations

import pytest

from connectors.sandbox.mastodon import mastodon_length
from connectors.sandbox.text import find_entities, grapheme_length, utf8_offset
from connectors.sandbox.x import x_weighted_length


@pytest.mark.parametrize(
    ("text", "weighted"),
    [
        ("hello", 5),
        ("語", 2),  # CJK weighs 2
        ("é", 1),  # NFC: e + combining acute is one light code point
        ("e\u0301", 1),
        ("👍", 2),  # an emoji weighs 2
        ("👨\u200d👩\u200d👧", 2),  # an emoji sequence weighs 2 however many code points
        ("🇬🇧", 2),
        ("שלום", 4),  # Hebrew is in the light range
        ("https://example.org/" + "a" * 100, 23),  # a URL counts 23
        ("see https://a.example/x.", 4 + 23 + 1),  # trailing punctuation is not part of the URL
    ],
)
def test_x_weighted_length_follows_twitter_text(text, weighted):
    assert x_weighted_length(text) == weighted


def test_graphemes_keep_combining_marks_and_emoji_sequences_together():
    assert grapheme_length("e\u0301") == 1
    assert grapheme_length("👨\u200d👩\u200d👧🇬🇧") == 2
    assert grapheme_length("مرحبا") == 5


def test_mastodon_counts_urls_as_23_and_remote_mentions_by_username():
    assert mastodon_length("https://example.org/" + "a" * 100) == 23
    assert mastodon_length("@alice@social.example hi") == len("@alice hi")


def test_entities_skip_hashtags_inside_urls():
    entities = find_entities("Go to https://hub.example/#section and tag #CleanAir, ask @alice.")
    assert [(e.kind, e.value) for e in entities] == [
        ("url", "https://hub.example/#section"),
        ("hashtag", "CleanAir"),
        ("mention", "alice"),
    ]


def test_utf8_offsets_count_bytes():
    text = "🌍 #tag"
    assert utf8_offset(text, text.index("#")) == 5
