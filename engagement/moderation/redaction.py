"""Remove personal data from a response before any of it is published.

`redact` is pure, deterministic and needs no network or model: every pattern is
compiled once at import. The original text stays with the moderators; the
published text marks each removal, e.g. "[email removed]".

Decisions worth knowing:

- Postcodes: only full postcodes ("SW1A 1AA", "sw1a1aa") are removed. An outward
  code alone ("SW1A", "M25", "W1") covers thousands of households, says where a
  road or district is rather than where a person lives, and is common in
  replies about transport and planning, so it stays.
- Phone numbers: UK mobiles (07…) and geographic/national landlines (01, 02, 03),
  in national, +44 and 0044 forms, and any "+<country code>" number of 8 to 15
  digits. 08/09 numbers are service lines (helplines, premium rate) published by
  organisations, so they stay.
- Card numbers: 13 to 19 digits, grouped the way cards are printed (or not at
  all) and Luhn-valid; every other long number is a reference and stays.
- Links: a URL is removed when it carries a personal token (a query or fragment
  parameter such as token, key, session, sig, code, email, reset, invite…),
  credentials, a path segment that looks like a long random secret, or any other
  personal data; ordinary links stay. The path-secret rule is not applied to
  gov.uk and parliament.uk hosts, whose public asset links carry long ids.
- @-mentions: kept unless a `MentionPolicy` is given; then every handle not in
  `keep` is replaced. "name" keeps "@name" (X); a federated handle must be kept
  by its full form ("name@instance.social"), since the same name on another
  instance is another person.
- Overlaps: the longest candidate wins, then the more specific kind, then the
  earlier one. A removal can change what surrounds the text next to it (two items
  glued together without a space: the second only stands alone once the first is
  a marker), so the published text is checked again and anything found there is
  folded into the removals: the result is idempotent by construction. A long
  chain of glued items loses the rest of its line after a few such passes; over-
  removing there is the safe side.
- Known gaps: National Insurance numbers without their suffix letter, numbers
  written with dots ("07700.900.123"), "name at example.com" with only the "at"
  spelled out, two phone numbers separated by a single space, and lower-case
  postcodes that read as a road and an ordinal ("b33 8th").
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    "MARKERS",
    "MentionPolicy",
    "Redaction",
    "Removal",
    "RemovalKind",
    "find_removals",
    "redact",
]


class RemovalKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    POSTCODE = "postcode"
    NI_NUMBER = "ni_number"
    CARD = "card"
    LINK = "link"
    MENTION = "mention"


MARKERS: dict[RemovalKind, str] = {
    RemovalKind.EMAIL: "[email removed]",
    RemovalKind.PHONE: "[phone number removed]",
    RemovalKind.POSTCODE: "[postcode removed]",
    RemovalKind.NI_NUMBER: "[National Insurance number removed]",
    RemovalKind.CARD: "[card number removed]",
    RemovalKind.LINK: "[link removed]",
    RemovalKind.MENTION: "[name removed]",
}

# Ties between candidates of equal length go to the more specific kind.
_SPECIFICITY: dict[RemovalKind, int] = {
    RemovalKind.LINK: 0,
    RemovalKind.EMAIL: 1,
    RemovalKind.NI_NUMBER: 2,
    RemovalKind.CARD: 3,
    RemovalKind.PHONE: 4,
    RemovalKind.POSTCODE: 5,
    RemovalKind.MENTION: 6,
}


@dataclass(frozen=True, slots=True)
class Removal:
    kind: RemovalKind
    start: int
    end: int
    replacement: str


@dataclass(frozen=True, slots=True)
class MentionPolicy:
    """Handles of public or organisational accounts whose mentions stay published."""

    keep: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        normalised = frozenset(handle.strip().lstrip("@").lower() for handle in self.keep)
        object.__setattr__(self, "keep", normalised)

    def keeps(self, *, handle: str) -> bool:
        return handle.lstrip("@").lower() in self.keep


@dataclass(frozen=True, slots=True)
class Redaction:
    text: str
    original: str
    removals: tuple[Removal, ...]


_Candidate = tuple[int, int, RemovalKind]

# --- Patterns ---------------------------------------------------------------------------

_HAS_DIGIT = re.compile(r"\d")

_EMAIL = re.compile(
    r"""
    (?<![\w.%+'@/-])
    [A-Za-z0-9_%+'-]+(?:\.[A-Za-z0-9_%+'-]+)*
    @
    (?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+
    (?:[A-Za-z]{2,24}|xn--[A-Za-z0-9-]{1,59})
    (?![\w-])
    """,
    re.VERBOSE,
)

# "jane dot smith at example dot com", "jane [at] example [dot] co [dot] uk".
_SPELLED_AT = r"(?:\s*[\[({<]\s*at\s*[\])}>]\s*|\s+at\s+)"
_SPELLED_DOT = r"(?:\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+)"
# Bounded repetition: a long chain of "x [dot] x [dot] …" must not make the search quadratic.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9_+-]{0,62}[A-Za-z0-9])?"
_OBFUSCATED_EMAIL = re.compile(
    rf"""
    (?<![\w.@-])
    (?P<local>{_LABEL}(?:(?:\.|{_SPELLED_DOT}){_LABEL}){{0,4}})
    (?P<at>{_SPELLED_AT})
    (?P<domain>{_LABEL}(?:(?:\.|{_SPELLED_DOT}){_LABEL}){{1,5}})
    (?![\w@-])
    """,
    re.VERBOSE | re.IGNORECASE,
)
_OBFUSCATED_SEPARATOR = re.compile(rf"\.|{_SPELLED_DOT}", re.IGNORECASE)
_SPELLED_DOT_ANYWHERE = re.compile(_SPELLED_DOT, re.IGNORECASE)
_BRACKETED_AT = re.compile(r"[\[({<]\s*at\s*[\])}>]", re.IGNORECASE)
_TOP_LEVEL_DOMAINS = frozenset(
    "com org net uk co gov ac nhs edu io info me biz eu ie scot wales cymru london "
    "de fr es it nl be ch at au nz ca us in app dev social".split()
)

# Between two digits of a phone number: an optional closing bracket, space or dash,
# and opening bracket, in that order, so a separator can be read only one way.
_PHONE_SEPARATOR = r"\)?[ \-\u00a0]?\(?"
_PHONE = re.compile(
    rf"""
    (?<![\w+(])(?<!\w\()(?<!\d[ \-])
    (?:
        (?P<international>\+[ \u00a0]?\d(?:{_PHONE_SEPARATOR}\d){{6,15}})
      | (?P<uk_international>\(?00[ \u00a0]?44(?:{_PHONE_SEPARATOR}\d){{9,11}})
      | (?P<national>\(?0(?:{_PHONE_SEPARATOR}\d){{9,10}})
    )
    (?!{_PHONE_SEPARATOR}\d)(?![\w.,]\d)(?!\w)
    """,
    re.VERBOSE,
)

_POSTCODE = re.compile(
    r"""
    (?<![A-Za-z0-9])
    (?P<outward>
        GIR
      | [A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]
      | [A-PR-UWYZ][0-9][A-HJKPSTUW]
      | [A-PR-UWYZ][A-HK-Y][0-9]{1,2}
      | [A-PR-UWYZ][0-9]{1,2}
    )
    (?P<space>[ \u00a0]?)
    (?P<inward>[0-9][ABD-HJLNP-UW-Z]{2})
    (?![A-Za-z0-9])
    """,
    re.VERBOSE | re.IGNORECASE,
)
_ROAD = re.compile(r"[A-Za-z][0-9]+")
_ORDINAL = re.compile(r"1st|2nd|3rd|[04-9]th")

# Each pattern below opens with the character class it must start with (the guard on
# the character before it comes second) so that the regex engine can skip ahead quickly.
_NI_NUMBER = re.compile(
    r"""
    [A-CEGHJ-PR-TW-Za-ceghj-pr-tw-z](?<![A-Za-z0-9].)
    [A-CEGHJ-NPR-TW-Za-ceghj-npr-tw-z](?<!(?i:BG|GB|KN|NK|NT|TN|ZZ))
    [ \-]?[0-9]{2}[ \-]?[0-9]{2}[ \-]?[0-9]{2}[ \-]?
    [A-Da-d]
    (?![A-Za-z0-9])
    """,
    re.VERBOSE,
)

_CARD = re.compile(
    r"\d(?<![\w+.,]\d)(?<!\d[ \-]\d)(?:[ \-]?\d){12,18}(?![ \-]?\d)(?![.,]\d)(?!\w)",
)
_CARD_GROUPINGS = frozenset({(4, 6, 5), (4, 6, 4)})

_URL = re.compile(r"(?<![\w@.\-])(?:https?://|www\.)[^\s<>\"'\[\]{}|\\^`]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?*"
_SECRET_PARAMETER_PARTS = frozenset(
    "token tokens tok auth authorization key apikey session sessionid sid sig signature "
    "code otp email mail e reset invite invitation password pass pwd passwd secret "
    "credential credentials nonce ticket jwt hash uid userid user login phone mobile tel "
    "postcode magic verify verification confirm confirmation unsubscribe".split()
)
_PARAMETER_PART_SEPARATOR = re.compile(r"[_\-.\[\]]+")
_SECRET_PATH_KEYWORDS = frozenset(
    "reset invite invitation verify confirm confirmation unsubscribe token auth magic "
    "login activate activation password share s r t".split()
)
_PATH_PIECE_SEPARATOR = re.compile(r"[-_.~]+")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_PUBLIC_HOST_SUFFIXES = ("gov.uk", "parliament.uk")

_MENTION = re.compile(
    r"""
    (?<![\w@./:+\-=&?#])
    @(?P<name>[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_])?)
    (?:@(?P<instance>[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?
        (?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+))?
    (?![\w@])
    """,
    re.VERBOSE,
)
# "see you @5pm", "@10:30" are times, not handles.
_TIME_NOT_HANDLE = re.compile(r"\d{1,2}(?:[:.]\d{2})?(?:am|pm)?", re.IGNORECASE)


# --- Validators ------------------------------------------------------------------------


def _digits(text: str) -> str:
    return "".join(character for character in text if character.isdigit())


def _is_uk_national_number(*, national: str) -> bool:
    """`national` is the number without its leading 0 (or +44)."""
    if len(national) == 10:
        return national[0] in "1237"
    return len(national) == 9 and national[0] == "1"


def _is_phone(match: re.Match[str]) -> bool:
    digits = _digits(match.group())
    if match.group("national"):
        return _is_uk_national_number(national=digits[1:])
    if match.group("uk_international"):
        national = digits[4:]
    elif digits.startswith("44"):
        national = digits[2:]
    else:
        # Another country: its own rules are not ours to check, only E.164's length.
        trunk_zero = 1 if "(0)" in match.group() else 0
        return 8 <= len(digits) - trunk_zero <= 15
    if national.startswith("0"):
        national = national[1:]
    return _is_uk_national_number(national=national)


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, character in enumerate(reversed(digits)):
        value = int(character)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _is_card(match: re.Match[str]) -> bool:
    text = match.group()
    digits = _digits(text)
    if not _luhn_valid(digits):
        return False
    separators = {character for character in text if not character.isdigit()}
    if not separators:
        return True
    if len(separators) > 1:
        return False
    pieces = re.split(r"[ \-]", text)
    # "2023 2024 2025 2026" is a run of years that happens to pass Luhn.
    if all(len(piece) == 4 and piece.startswith(("19", "20")) for piece in pieces):
        return False
    groups = tuple(len(piece) for piece in pieces)
    if groups in _CARD_GROUPINGS:
        return True
    # As printed: fours, the last group possibly shorter (19 digits end in 3).
    return len(groups) >= 3 and all(size == 4 for size in groups[:-1]) and groups[-1] <= 4


def _is_postcode(match: re.Match[str]) -> bool:
    inward = match.group("inward")
    # "the A1 2nd exit", "M6 3rd lane": a road and an ordinal, not a postcode.
    return not (
        match.group("space")
        and _ROAD.fullmatch(match.group("outward"))
        and inward[1:].islower()
        and _ORDINAL.fullmatch(inward)
    )


def _is_obfuscated_email(match: re.Match[str]) -> bool:
    domain_labels = _OBFUSCATED_SEPARATOR.split(match.group("domain"))
    if domain_labels[-1].lower() not in _TOP_LEVEL_DOMAINS:
        return False
    # "have a look at gov.uk" is a sentence; bracketing "at" or spelling out "dot" is
    # what someone hiding an address does.
    at_is_bracketed = match.group("at").strip().lower() != "at"
    return at_is_bracketed or _SPELLED_DOT_ANYWHERE.search(match.group()) is not None


def _is_random_secret(*, piece: str) -> bool:
    if len(piece) < 20 or not piece.isalnum():
        return False
    letters = sum(character.isalpha() for character in piece)
    digits = sum(character.isdigit() for character in piece)
    return letters >= 3 and digits >= 3


def _url_is_personal(*, url: str) -> bool:
    if not url.lower().startswith(("http://", "https://")):
        url = "https://" + url
    try:
        parts = urlsplit(url)
        has_credentials = parts.username is not None or parts.password is not None
        host = (parts.hostname or "").lower()
    except ValueError:
        # Unparseable (a bad port, a stray bracket): too odd to publish as a link.
        return True
    if has_credentials:
        return True
    for component in (parts.query, parts.fragment):
        for name, _value in parse_qsl(component, keep_blank_values=True):
            name_parts = _PARAMETER_PART_SEPARATOR.split(name.lower())
            if any(part in _SECRET_PARAMETER_PARTS for part in name_parts):
                return True
    if host.endswith(_PUBLIC_HOST_SUFFIXES):
        return False
    segments = [segment for segment in parts.path.split("/") if segment]
    previous = ""
    for segment in segments:
        if _UUID.search(segment):
            return True
        pieces = _PATH_PIECE_SEPARATOR.split(segment)
        if any(_is_random_secret(piece=piece) for piece in pieces):
            return True
        # After /reset/ or /invite/ even a shorter opaque code is a key.
        if previous in _SECRET_PATH_KEYWORDS and any(
            len(piece) >= 12 and piece.isalnum() and not piece.isalpha() for piece in pieces
        ):
            return True
        previous = segment.lower()
    return False


def _trim_url(*, text: str, start: int, end: int) -> int:
    unclosed = text.count(")", start, end) - text.count("(", start, end)
    while end > start:
        last = text[end - 1]
        if last in _URL_TRAILING:
            end -= 1
        elif last == ")" and unclosed > 0:
            end -= 1
            unclosed -= 1
        else:
            break
    return end


# --- Detectors ---------------------------------------------------------------------------


def _validated(
    pattern: re.Pattern[str], text: str, *, is_valid: Callable[[re.Match[str]], bool]
) -> Iterator[re.Match[str]]:
    """Matches that pass `is_valid`; after a rejected one the search resumes one character
    on, so a valid candidate inside a rejected one is still found."""
    position = 0
    while (match := pattern.search(text, position)) is not None:
        if is_valid(match):
            yield match
            position = match.end()
        else:
            position = match.start() + 1


def _bracket_trimmed_start(match: re.Match[str]) -> int:
    text = match.group()
    if text.startswith("(") and text.count("(") > text.count(")"):
        return match.start() + 1
    return match.start()


def _candidates(text: str, *, mentions: MentionPolicy | None) -> list[_Candidate]:
    candidates: list[_Candidate] = []
    ordinary_urls: list[tuple[int, int]] = []
    lowered = text.lower()
    if "http" in lowered or "www." in lowered:
        for match in _URL.finditer(text):
            end = _trim_url(text=text, start=match.start(), end=match.end())
            if _url_is_personal(url=text[match.start() : end]):
                candidates.append((match.start(), end, RemovalKind.LINK))
            else:
                ordinary_urls.append((match.start(), end))
    if "@" in text:
        for match in _EMAIL.finditer(text):
            candidates.append((match.start(), match.end(), RemovalKind.EMAIL))
        if mentions is not None:
            for match in _MENTION.finditer(text):
                handle = match.group()[1:]
                if _TIME_NOT_HANDLE.fullmatch(handle) or mentions.keeps(handle=handle):
                    continue
                candidates.append((match.start(), match.end(), RemovalKind.MENTION))
    # Only a bracketed "at" or a spelled-out "dot" can make one; most replies have neither.
    if _SPELLED_DOT_ANYWHERE.search(text) or _BRACKETED_AT.search(text):
        for match in _validated(_OBFUSCATED_EMAIL, text, is_valid=_is_obfuscated_email):
            candidates.append((match.start(), match.end(), RemovalKind.EMAIL))
    if _HAS_DIGIT.search(text):
        for match in _validated(_PHONE, text, is_valid=_is_phone):
            candidates.append((_bracket_trimmed_start(match), match.end(), RemovalKind.PHONE))
        for match in _validated(_CARD, text, is_valid=_is_card):
            candidates.append((match.start(), match.end(), RemovalKind.CARD))
        for match in _NI_NUMBER.finditer(text):
            candidates.append((match.start(), match.end(), RemovalKind.NI_NUMBER))
        for match in _validated(_POSTCODE, text, is_valid=_is_postcode):
            candidates.append((match.start(), match.end(), RemovalKind.POSTCODE))
    # A link that is fine on its own is not fine once it carries someone's details.
    for url_start, url_end in ordinary_urls:
        if any(start < url_end and url_start < end for start, end, _kind in candidates):
            candidates.append((url_start, url_end, RemovalKind.LINK))
    return candidates


def _resolve(candidates: list[_Candidate]) -> tuple[Removal, ...]:
    ranked = sorted(
        set(candidates),
        key=lambda candidate: (
            candidate[0] - candidate[1],
            _SPECIFICITY[candidate[2]],
            candidate[0],
        ),
    )
    # The chosen spans never overlap, so sorted by start they are sorted by end too.
    starts: list[int] = []
    ends: list[int] = []
    kinds: list[RemovalKind] = []
    for start, end, kind in ranked:
        index = bisect_right(starts, start)
        if index > 0 and ends[index - 1] > start:
            continue
        if index < len(starts) and starts[index] < end:
            continue
        starts.insert(index, start)
        ends.insert(index, end)
        kinds.insert(index, kind)
    return tuple(
        Removal(kind=kind, start=start, end=end, replacement=MARKERS[kind])
        for start, end, kind in zip(starts, ends, kinds, strict=True)
    )


def find_removals(text: str, *, mentions: MentionPolicy | None = None) -> tuple[Removal, ...]:
    """What the detectors find in `text`, overlaps resolved, in order of position."""
    return _resolve(_candidates(text, mentions=mentions))


# --- Applying removals -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Piece:
    published_start: int
    published_end: int
    original_start: int
    original_end: int
    is_marker: bool


def _apply(text: str, removals: tuple[Removal, ...]) -> tuple[str, list[_Piece]]:
    parts: list[str] = []
    pieces: list[_Piece] = []
    original_position = 0
    published_position = 0

    def add(part: str, *, original_end: int, is_marker: bool) -> None:
        nonlocal original_position, published_position
        parts.append(part)
        pieces.append(
            _Piece(
                published_start=published_position,
                published_end=published_position + len(part),
                original_start=original_position,
                original_end=original_end,
                is_marker=is_marker,
            )
        )
        original_position = original_end
        published_position += len(part)

    for removal in removals:
        if removal.start > original_position:
            add(
                text[original_position : removal.start], original_end=removal.start, is_marker=False
            )
        add(removal.replacement, original_end=removal.end, is_marker=True)
    if original_position < len(text):
        add(text[original_position:], original_end=len(text), is_marker=False)
    return "".join(parts), pieces


def _to_original(
    *, pieces: list[_Piece], published_starts: list[int], start: int, end: int
) -> tuple[int, int]:
    first = pieces[bisect_right(published_starts, start) - 1]
    last = pieces[bisect_left(published_starts, end) - 1]
    if first.is_marker:
        original_start = first.original_start
    else:
        original_start = first.original_start + start - first.published_start
    if last.is_marker:
        original_end = last.original_end
    else:
        original_end = last.original_start + end - last.published_start
    return original_start, original_end


def _fold_in(
    *,
    text: str,
    removals: tuple[Removal, ...],
    found: tuple[Removal, ...],
    pieces: list[_Piece],
    to_line_end: bool,
) -> tuple[Removal, ...]:
    merged = list(removals)
    published_starts = [piece.published_start for piece in pieces]
    for removal in found:
        start, end = _to_original(
            pieces=pieces,
            published_starts=published_starts,
            start=removal.start,
            end=removal.end,
        )
        if to_line_end:
            line_end = text.find("\n", end)
            end = len(text) if line_end == -1 else line_end
        covered = [other for other in merged if other.start < end and start < other.end]
        start = min([start, *(other.start for other in covered)])
        end = max([end, *(other.end for other in covered)])
        merged = [other for other in merged if other not in covered]
        merged.append(
            Removal(kind=removal.kind, start=start, end=end, replacement=removal.replacement)
        )
    return tuple(sorted(merged, key=lambda removal: removal.start))


_EXACT_PASSES = 4


def redact(text: str, *, mentions: MentionPolicy | None = None) -> Redaction:
    """The text as it may be published, with each removal recorded against the original."""
    removals = find_removals(text, mentions=mentions)
    published, pieces = _apply(text, removals)
    # Each pass strictly grows what is removed, so this ends; in ordinary text it runs
    # at most once. Items glued together ("+44…+44…+44…") can each reveal the next, one
    # per pass; after a few passes the rest of such a line goes, which keeps it linear.
    passes = 0
    while removals and (found := find_removals(published, mentions=mentions)):
        passes += 1
        removals = _fold_in(
            text=text,
            removals=removals,
            found=found,
            pieces=pieces,
            to_line_end=passes > _EXACT_PASSES,
        )
        published, pieces = _apply(text, removals)
    return Redaction(text=published, original=text, removals=removals)
