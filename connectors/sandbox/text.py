"""Counting and entity parsing the way each network does it, for the sandboxes' checks."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import regex

URL_PATTERN = re.compile(r"https?://[^\s<>\"']+")
HASHTAG_PATTERN = re.compile(r"(?<![\w#&])#(\w*[^\W\d_]\w*)")
MENTION_PATTERN = re.compile(r"(?<![\w@/])@([A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_])?)")
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""

# twitter-text v3 configuration: code points in these ranges weigh 100, everything else 200,
# each emoji sequence weighs 200 and every URL counts as 23 characters.
_X_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_EMOJI = regex.compile(r"\p{Extended_Pictographic}|\p{Regional_Indicator}")
X_URL_LENGTH = 23
X_MAX_WEIGHTED_LENGTH = 280
MASTODON_URL_LENGTH = 23


@dataclass(frozen=True)
class Entity:
    kind: str  # "url" | "hashtag" | "mention"
    start: int  # code point offsets into the text
    end: int
    value: str  # the URL, the tag without '#', the handle without '@'


def find_urls(text: str) -> list[Entity]:
    found = []
    for match in URL_PATTERN.finditer(text):
        url = match.group(0).rstrip(_TRAILING_PUNCTUATION)
        found.append(Entity("url", match.start(), match.start() + len(url), url))
    return found


def find_entities(text: str) -> list[Entity]:
    """URLs, hashtags and mentions in order; tags and mentions inside URLs are not entities."""
    urls = find_urls(text)

    def inside_url(position: int) -> bool:
        return any(url.start <= position < url.end for url in urls)

    entities = list(urls)
    for match in HASHTAG_PATTERN.finditer(text):
        if not inside_url(match.start()):
            entities.append(Entity("hashtag", match.start(), match.end(), match.group(1)))
    for match in MENTION_PATTERN.finditer(text):
        if not inside_url(match.start()):
            entities.append(Entity("mention", match.start(), match.end(), match.group(1)))
    return sorted(entities, key=lambda entity: entity.start)


def graphemes(text: str) -> list[str]:
    return regex.findall(r"\X", text)


def grapheme_length(text: str) -> int:
    return len(graphemes(text))


def x_weighted_length(text: str) -> int:
    """The weighted length X checks against 280 (twitter-text v3 rules)."""
    text = unicodedata.normalize("NFC", text)
    weight = 0
    position = 0
    for url in find_urls(text):
        weight += _x_weight(text[position : url.start]) + X_URL_LENGTH * 100
        position = url.end
    weight += _x_weight(text[position:])
    return weight // 100


def _x_weight(chunk: str) -> int:
    weight = 0
    for cluster in graphemes(chunk):
        if _EMOJI.search(cluster):
            weight += 200
            continue
        for char in cluster:
            code = ord(char)
            light = any(low <= code <= high for low, high in _X_LIGHT_RANGES)
            weight += 100 if light else 200
    return weight


def mastodon_length(text: str, *, local_domain: str = "") -> int:
    """Mastodon counts grapheme clusters; a URL counts 23 and `@user@domain` counts as `@user`."""
    pieces = []
    position = 0
    for url in find_urls(text):
        pieces.append(text[position : url.start])
        pieces.append("x" * MASTODON_URL_LENGTH)
        position = url.end
    pieces.append(text[position:])
    countable = re.sub(r"(@[A-Za-z0-9_]+)@[A-Za-z0-9.\-]+[A-Za-z0-9]", r"\1", "".join(pieces))
    return grapheme_length(countable)


def utf8_offset(text: str, index: int) -> int:
    """The UTF-8 byte offset of the code point at `index` (Bluesky facets index bytes)."""
    return len(text[:index].encode("utf-8"))
