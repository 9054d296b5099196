"""Fitting a message to each network: length rules, threads, link and hashtag facets.

Each network counts differently:

- X: twitter-text v3 weighted length, 280 (code points weigh 1 in the Latin,
  general punctuation ranges and 2 elsewhere, every emoji weighs 2, text NFC
  normalised first, every URL weighs 23).
- Mastodon: the instance's ``max_characters`` (500 by default) in grapheme
  clusters, every URL counting ``characters_reserved_per_url`` (23).
- Bluesky: 300 grapheme clusters, URLs as written — so a long link is shown
  shortened and carried in full by a link facet at UTF-8 byte offsets.

A message too long for one post becomes a numbered thread, in order. The
consultation link and hashtag always sit in the first post, whatever the length
of the text around them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import regex

from connectors.exceptions import PermanentError
from connectors.types import Facet, OutgoingPost

# --- Counting -----------------------------------------------------------------------

_TRAILING_PUNCTUATION = ".,;:!?)]}'\"’”»…"
URL_PATTERN = regex.compile(
    r"https?://[^\s<>\"]*[^\s<>\"" + regex.escape(_TRAILING_PUNCTUATION) + "]"
)
# X also turns bare domains into links that weigh 23; counting them as 23 keeps
# us on the safe side when a summary mentions "gov.uk".
_BARE_DOMAIN = regex.compile(
    r"(?<![\w@/.-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+"
    r"(?:com|org|net|gov|edu|io|uk|eu|info|co|app|dev|social|scot|wales|ie|int|me)"
    r"(?:/[^\s<>\"]*[^\s<>\"" + regex.escape(_TRAILING_PUNCTUATION) + "])?(?![\\w-])",
    regex.IGNORECASE,
)
HASHTAG_PATTERN = regex.compile(
    r"(?<![\w#&])#([\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*)"
)
_GRAPHEME = regex.compile(r"\X")

# twitter-text v3: weight 100 (one character) in these code point ranges, 200 elsewhere.
_X_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_X_SCALE = 100
_X_DEFAULT_WEIGHT = 200
_X_URL_LENGTH = 23
_EMOJI = regex.compile(
    r"\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F|\p{Regional_Indicator}|\u20E3"
)


def graphemes(text: str) -> list[str]:
    """User-perceived characters (extended grapheme clusters, Unicode's \\X)."""
    return _GRAPHEME.findall(text)


def _x_weight(segment: str) -> int:
    weight = 0
    for cluster in graphemes(segment):
        if _EMOJI.search(cluster):
            weight += _X_DEFAULT_WEIGHT
            continue
        for char in cluster:
            point = ord(char)
            light = any(start <= point <= end for start, end in _X_LIGHT_RANGES)
            weight += _X_SCALE if light else _X_DEFAULT_WEIGHT
    return weight


def _url_spans(text: str, *, bare_domains: bool) -> list[tuple[int, int]]:
    spans = [match.span() for match in URL_PATTERN.finditer(text)]
    if bare_domains:
        for match in _BARE_DOMAIN.finditer(text):
            start, end = match.span()
            if not any(s <= start < e for s, e in spans):
                spans.append((start, end))
    return sorted(spans)


def x_weighted_length(text: str) -> int:
    """Length of ``text`` as X counts it against 280 (twitter-text v3)."""
    text = unicodedata.normalize("NFC", text)
    total, position = 0, 0
    for start, end in _url_spans(text, bare_domains=True):
        total += _x_weight(text[position:start]) + _X_URL_LENGTH * _X_SCALE
        position = end
    total += _x_weight(text[position:])
    return total // _X_SCALE


def grapheme_length(text: str, *, url_length: int | None = None) -> int:
    """Grapheme clusters, with every URL counting ``url_length`` when given (Mastodon)."""
    if url_length is None:
        return len(graphemes(text))
    total, position = 0, 0
    for start, end in _url_spans(text, bare_domains=False):
        total += len(graphemes(text[position:start])) + url_length
        position = end
    return total + len(graphemes(text[position:]))


# --- Rules per network ------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkRules:
    network: str
    limit: int
    length: Callable[[str], int] = field(compare=False)
    # Bluesky shows long links shortened; the facet carries the whole URI.
    shorten_links_over: int | None = None
    facets: bool = False

    def display_link(self, url: str) -> str:
        if self.shorten_links_over is None or len(url) <= self.shorten_links_over:
            return url
        bare = regex.sub(r"^https?://", "", url)
        return bare[: self.shorten_links_over - 8] + "…"

    def fits(self, text: str) -> bool:
        return self.length(text) <= self.limit


def rules_for_x() -> NetworkRules:
    return NetworkRules(network="x", limit=280, length=x_weighted_length)


def rules_for_mastodon(*, max_characters: int = 500, url_length: int = 23) -> NetworkRules:
    return NetworkRules(
        network="mastodon",
        limit=max_characters,
        length=lambda text: grapheme_length(text, url_length=url_length),
    )


def rules_for_bluesky(*, max_graphemes: int = 300) -> NetworkRules:
    return NetworkRules(
        network="bluesky",
        limit=max_graphemes,
        length=grapheme_length,
        shorten_links_over=40,
        facets=True,
    )


# --- Composing -------------------------------------------------------------------------


class MessageTooLong(PermanentError):
    """Even the link and hashtag on their own do not fit in one post."""


@dataclass(frozen=True)
class Message:
    """What we want to say: free text, plus the link and hashtag that must survive."""

    text: str
    link: str
    hashtag: str = ""


def clean_hashtag(hashtag: str) -> str:
    return "".join(hashtag.strip().lstrip("#").split())


def compose_thread(message: Message, rules: NetworkRules) -> tuple[OutgoingPost, ...]:
    """Fit ``message`` into one post, or a numbered thread whose every part is within the limit.

    The first post always carries the link and the hashtag; later posts continue
    the text. Parts come back in posting order, without reply references (the
    caller adds those as each part is published).
    """
    body = " ".join(unicodedata.normalize("NFC", message.text).split())
    links: dict[str, str] = {}  # display text → URI

    def show(url: str) -> str:
        display = rules.display_link(url)
        links[display] = url
        return display

    if rules.shorten_links_over is not None:
        body = URL_PATTERN.sub(lambda match: show(match.group(0)), body)
    tag = clean_hashtag(message.hashtag)
    tail_items = [show(message.link) if message.link else "", f"#{tag}" if tag else ""]
    tail = " ".join(item for item in tail_items if item)
    tail = f"\n\n{tail}" if tail and body else tail

    if rules.fits(body + tail):
        texts = [body + tail]
    else:
        texts = _numbered_thread(body, tail, rules)
    return tuple(
        OutgoingPost(text=text, facets=_facets(text, links) if rules.facets else ())
        for text in texts
    )


def _numbered_thread(body: str, tail: str, rules: NetworkRules) -> list[str]:
    for digits in range(1, 4):
        widest = "9" * digits

        def decoration(index: int, widest: str = widest) -> str:
            return f" ({widest}/{widest})" + (tail if index == 0 else "")

        chunks = _split(body, rules, decoration)
        if len(chunks) < 10**digits:
            total = len(chunks)
            return [
                f"{chunk} ({number}/{total})" + (tail if number == 1 else "")
                for number, chunk in enumerate(chunks, start=1)
            ]
    raise MessageTooLong(f"the text needs more than 999 posts on {rules.network}")


def _split(body: str, rules: NetworkRules, decoration: Callable[[int], str]) -> list[str]:
    """Greedy word wrap into chunks that fit once decorated; words too long are cut by grapheme."""
    if not rules.fits("x" + decoration(0)):
        raise MessageTooLong(
            f"the link and hashtag alone exceed {rules.network}'s limit of {rules.limit}"
        )
    chunks: list[str] = []
    current = ""
    for word in body.split(" "):
        candidate = f"{current} {word}" if current else word
        if rules.fits(candidate + decoration(len(chunks))):
            current = candidate
            continue
        if current:
            chunks.append(current)
            current = ""
        if rules.fits(word + decoration(len(chunks))):
            current = word
            continue
        # A single word longer than a post: cut it between grapheme clusters.
        remaining = graphemes(word)
        while remaining:
            taken = 0
            while taken < len(remaining) and rules.fits(
                "".join(remaining[: taken + 1]) + decoration(len(chunks))
            ):
                taken += 1
            taken = max(taken, 1)
            piece = "".join(remaining[:taken])
            remaining = remaining[taken:]
            if remaining:
                chunks.append(piece)
            else:
                current = piece
    if current or not chunks:
        chunks.append(current)
    return chunks


def _facets(text: str, links: dict[str, str]) -> tuple[Facet, ...]:
    """Link and hashtag facets at UTF-8 byte offsets, in order of position."""

    def byte_offset(index: int) -> int:
        return len(text[:index].encode("utf-8"))

    found: list[Facet] = []
    taken: list[tuple[int, int]] = []
    for display, uri in sorted(links.items(), key=lambda item: -len(item[0])):
        start = text.find(display)
        while start != -1:
            end = start + len(display)
            if not any(s < end and start < e for s, e in taken):
                taken.append((start, end))
                found.append(Facet("link", byte_offset(start), byte_offset(end), uri))
            start = text.find(display, end)
    for match in URL_PATTERN.finditer(text):
        start, end = match.span()
        if not any(s < end and start < e for s, e in taken):
            taken.append((start, end))
            found.append(Facet("link", byte_offset(start), byte_offset(end), match.group(0)))
    for match in HASHTAG_PATTERN.finditer(text):
        start, end = match.span()
        if not any(s < end and start < e for s, e in taken):
            found.append(Facet("tag", byte_offset(start), byte_offset(end), match.group(1)))
    return tuple(sorted(found, key=lambda facet: facet.byte_start))
