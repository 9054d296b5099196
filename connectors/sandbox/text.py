"""Entity parsing and grapheme counting shared by the sandboxes; each network's own counting
lives in its sandbox module."""

from __future__ import annotations

import re
from dataclasses import dataclass

import regex

URL_PATTERN = re.compile(r"https?://[^\s<>\"']+")
HASHTAG_PATTERN = re.compile(r"(?<![\w#&])#(\w*[^\W\d_]\w*)")
MENTION_PATTERN = re.compile(r"(?<![\w@/])@([A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_])?)")
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""

EMOJI = regex.compile(r"\p{Extended_Pictographic}|\p{Regional_Indicator}")


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


def utf8_offset(text: str, index: int) -> int:
    """The UTF-8 byte offset of the code point at `index` (Bluesky facets index bytes)."""
    return len(text[:index].encode("utf-8"))
