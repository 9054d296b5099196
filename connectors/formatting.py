"""Fitting a message to each network: length rules, threads, link and hashtag facets.

The counting algorithms live here; each backend declares its parameters as a
``NetworkRules`` (``Connector.text_rules``): the limit, whether characters are
grapheme clusters or weighted code points (twitter-text's configuration), what a
link counts, whether bare domains are links, whether long links are shown
shortened and carried whole by a facet at UTF-8 byte offsets.

A message too long for one post becomes a numbered thread, in order. The
consultation link and hashtag always sit in the first post, whatever the length
of the text around them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import regex

from connectors.exceptions import PermanentError
from connectors.types import Facet, OutgoingPost

# --- Counting -----------------------------------------------------------------------

_TRAILING_PUNCTUATION = ".,;:!?)]}'\"’”»…"
URL_PATTERN = regex.compile(
    r"https?://[^\s<>\"]*[^\s<>\"" + regex.escape(_TRAILING_PUNCTUATION) + "]"
)
# Some networks turn bare domains into links that count as a link; counting them so
# keeps us on the safe side when a summary mentions "gov.uk".
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

_EMOJI = regex.compile(
    r"\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F|\p{Regional_Indicator}|\u20E3"
)


@dataclass(frozen=True)
class CharacterWeights:
    """Weighted counting (twitter-text's configuration): code points in ``light_ranges``
    weigh ``scale`` (one character), the rest and every emoji ``default_weight``."""

    scale: int
    default_weight: int
    light_ranges: tuple[tuple[int, int], ...]


def graphemes(text: str) -> list[str]:
    """User-perceived characters (extended grapheme clusters, Unicode's \\X)."""
    return _GRAPHEME.findall(text)


def _weight(segment: str, weights: CharacterWeights) -> int:
    weight = 0
    for cluster in graphemes(segment):
        if _EMOJI.search(cluster):
            weight += weights.default_weight
            continue
        for char in cluster:
            point = ord(char)
            light = any(start <= point <= end for start, end in weights.light_ranges)
            weight += weights.scale if light else weights.default_weight
    return weight


def _url_spans(text: str, *, bare_domains: bool) -> list[tuple[int, int]]:
    spans = [match.span() for match in URL_PATTERN.finditer(text)]
    if bare_domains:
        for match in _BARE_DOMAIN.finditer(text):
            start, end = match.span()
            if not any(s <= start < e for s, e in spans):
                spans.append((start, end))
    return sorted(spans)


def weighted_length(
    text: str, *, weights: CharacterWeights, url_length: int, bare_domains: bool = True
) -> int:
    """Length of NFC ``text`` in weighted characters, every link counting ``url_length``."""
    text = unicodedata.normalize("NFC", text)
    total, position = 0, 0
    for start, end in _url_spans(text, bare_domains=bare_domains):
        total += _weight(text[position:start], weights) + url_length * weights.scale
        position = end
    total += _weight(text[position:], weights)
    return total // weights.scale


def grapheme_length(text: str, *, url_length: int | None = None) -> int:
    """Grapheme clusters, with every URL counting ``url_length`` when given."""
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
    """How one network measures a post; declared on the backend as ``text_rules``."""

    #: The network's label, for messages about it.
    network: str
    limit: int
    #: Every link counts this many characters; None counts a link as written.
    url_length: int | None = None
    #: Weighted code points instead of grapheme clusters.
    weights: CharacterWeights | None = None
    #: Whether bare domains ("gov.uk") count as links (weighted counting only).
    bare_domains_are_links: bool = False
    #: Links longer than this are shown shortened; the facet carries the whole URI.
    shorten_links_over: int | None = None
    facets: bool = False

    def length(self, text: str) -> int:
        if self.weights is not None:
            return weighted_length(
                text,
                weights=self.weights,
                url_length=self.url_length or 0,
                bare_domains=self.bare_domains_are_links,
            )
        return grapheme_length(text, url_length=self.url_length)

    def display_link(self, url: str) -> str:
        if self.shorten_links_over is None or len(url) <= self.shorten_links_over:
            return url
        bare = regex.sub(r"^https?://", "", url)
        return bare[: self.shorten_links_over - 8] + "…"

    def fits(self, text: str) -> bool:
        return self.length(text) <= self.limit


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
    if not rules.fits("a" + decoration(0)):
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
