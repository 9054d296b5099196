"""An offline abuse and profanity screen for responses, in British English.

The screen only decides what a moderator must see before anything is published: a
flagged response is never approved automatically; nothing is hidden or changed by it.
So it leans towards flagging, but it matches whole words only, never parts of words
("Scunthorpe", "cockpit", "assessment", "Penistone" and "classic" pass).

Obfuscation it sees through: letters swapped for look-alike digits and symbols
("sh1t", "f@ck", "$hite"), letters repeated ("fuuuuck"), letters split by dots,
dashes, underscores or spaces ("f.u.c.k", "f u c k"), and letters masked with
asterisks ("f**k", "c*nt"), matched against terms of the same length.

Words that are ordinary in other senses ("cock", "ass", "tit", "fag", "dyke",
"knob", "bitch", "pussy", "bloody") are left out on purpose: in consultations about
farming, smoking, geography or pets they are no sign of abuse.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from itertools import product

__all__ = ["FlaggedTerm", "ScreenCategory", "screen", "screen_many"]


class ScreenCategory(StrEnum):
    PROFANITY = "profanity"
    ABUSE = "abuse"
    SLUR = "slur"
    THREAT = "threat"


@dataclass(frozen=True, slots=True)
class FlaggedTerm:
    term: str  # the list's word, e.g. "wanker"
    category: ScreenCategory
    found: str  # as written in the response, e.g. "w@nk3r"

    def as_json(self) -> dict[str, str]:
        return {"term": self.term, "category": str(self.category), "found": self.found}


# Each stem also matches with the usual endings (see _ENDINGS); list irregular forms.
_STEMS: dict[ScreenCategory, tuple[str, ...]] = {
    ScreenCategory.PROFANITY: (
        "fuck",
        "fucking",
        "fuckin",
        "fucker",
        "fucked",
        "fuckoff",
        "fck",
        "fk",
        "fkn",
        "fkin",
        "effing",
        "shit",
        "shite",
        "shitting",
        "shitty",
        "bullshit",
        "horseshit",
        "bollocks",
        "bollox",
        "wank",
        "wanking",
        "bellend",
        "piss",
        "pissing",
        "pissed",
        "goddamn",
        "motherfucker",
        "mofo",
        "arse",
        "arsed",
        "wtf",
        "stfu",
        "gtfo",
    ),
    ScreenCategory.ABUSE: (
        "cunt",
        "twat",
        "wanker",
        "tosser",
        "dickhead",
        "knobhead",
        "knobend",
        "bellend",
        "arsehole",
        "asshole",
        "arsewipe",
        "shithead",
        "shitbag",
        "dipshit",
        "fuckwit",
        "fuckface",
        "fuckhead",
        "twatwaffle",
        "cockwomble",
        "wankstain",
        "bastard",
        "scumbag",
        "scrote",
        "slut",
        "whore",
        "skank",
        "nonce",
        "paedo",
        "pedo",
        "minger",
        "munter",
        "pillock",
        "prick",
        "numpty",
        "moron",
        "imbecile",
        "cretin",
    ),
    ScreenCategory.SLUR: (
        "nigger",
        "nigga",
        "paki",
        "wog",
        "gook",
        "spic",
        "kike",
        "yid",
        "gyppo",
        "gippo",
        "pikey",
        "raghead",
        "towelhead",
        "faggot",
        "poof",
        "poofter",
        "bumboy",
        "tranny",
        "shemale",
        "retard",
        "retarded",
        "spastic",
        "spaz",
        "spacker",
        "mong",
        "mongoloid",
    ),
    ScreenCategory.THREAT: ("kys",),
}
_PHRASES: dict[ScreenCategory, tuple[str, ...]] = {
    ScreenCategory.THREAT: (
        "kill yourself",
        "kill urself",
        "go die",
        "hope you die",
        "i will kill you",
        "ill kill you",
        "i know where you live",
        "slit your throat",
        "burn your house",
    ),
    ScreenCategory.PROFANITY: ("piss off", "sod off", "fuck off", "eff off"),
}
# Endings each kind of word takes. Insults and slurs take only plurals, so that
# "spicy", "spiced" and "pricked" stay ordinary words.
_ENDINGS: dict[ScreenCategory, tuple[str, ...]] = {
    ScreenCategory.PROFANITY: ("", "s", "es", "ed", "er", "ers", "ing", "in", "y"),
    ScreenCategory.ABUSE: ("", "s", "es"),
    ScreenCategory.SLUR: ("", "s"),
    ScreenCategory.THREAT: ("",),
}

_LOOK_ALIKES: dict[str, tuple[str, ...]] = {
    "4": ("a",),
    "@": ("a",),
    "8": ("b",),
    "(": ("c",),
    "3": ("e",),
    "€": ("e",),
    "6": ("g",),
    "9": ("g",),
    "1": ("i", "l"),
    "!": ("i", "l"),
    "|": ("i", "l"),
    "0": ("o",),
    "5": ("s",),
    "$": ("s",),
    "7": ("t",),
    "+": ("t",),
    "2": ("z",),
}
_TOKEN = re.compile(r"\S+")
_EDGE_PUNCTUATION = "\"'“”‘’.,;:?()[]{}<>«»—–-_/\\~^`"
_INNER_SEPARATORS = re.compile(r"[.\-_'’]")
_REPEATS = re.compile(r"(.)\1+")
_LETTERS_ONLY = re.compile(r"[a-z]+")
_MAX_VARIANTS = 16


_PRECEDENCE = (
    ScreenCategory.SLUR,
    ScreenCategory.THREAT,
    ScreenCategory.ABUSE,
    ScreenCategory.PROFANITY,
)


def _collapse(word: str) -> str:
    return _REPEATS.sub(r"\1", word)


def _build_lexicon() -> tuple[
    dict[str, tuple[str, ScreenCategory]],
    dict[str, tuple[str, ScreenCategory]],
    dict[int, list[str]],
]:
    exact: dict[str, tuple[str, ScreenCategory]] = {}
    collapsed: dict[str, tuple[str, ScreenCategory]] = {}
    by_length: dict[int, list[str]] = {}
    # The graver reading wins where a word fits two lists ("wanker" over "wank" + "er").
    for category in _PRECEDENCE:
        for stem in _STEMS[category]:
            for ending in _ENDINGS[category]:
                word = stem + ending
                exact.setdefault(word, (stem, category))
                collapsed.setdefault(_collapse(word), (stem, category))
                by_length.setdefault(len(word), []).append(word)
    return exact, collapsed, by_length


_LEXICON, _COLLAPSED_LEXICON, _WORDS_BY_LENGTH = _build_lexicon()
_PHRASE_LEXICON: dict[tuple[str, ...], tuple[str, ScreenCategory]] = {
    tuple(phrase.split()): (phrase, category)
    for category, phrases in _PHRASES.items()
    for phrase in phrases
}
_LONGEST_PHRASE = max(len(words) for words in _PHRASE_LEXICON)
# A phrase can only start at a word that begins one: most words are passed over at once.
_PHRASE_FIRST_WORDS = frozenset(words[0] for words in _PHRASE_LEXICON)
# Only a letter written three times or more is drawn out on purpose ("fuuuck"); two
# may be spelling, and collapsing them would make "PIs" read as "piss".
_DRAWN_OUT = re.compile(r"([a-z])\1\1")


# Words repeat from reply to reply, and what a token matches depends on the token alone
# (the lexicon is fixed at import): a page of replies screens most of its words once.
_TOKEN_CACHE_SIZE = 1 << 16


@functools.lru_cache(maxsize=_TOKEN_CACHE_SIZE)
def _fold(text: str) -> str:
    """Lower case without accents ("fück" reads as "fuck")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _readings(token: str) -> list[str]:
    """The plain-letter words a token may stand for."""
    inner = _INNER_SEPARATORS.sub("", token)
    options = [_LOOK_ALIKES.get(char, (char,)) for char in inner]
    readings = []
    for count, letters in enumerate(product(*options)):
        if count >= _MAX_VARIANTS:
            break
        word = "".join(letters)
        if _LETTERS_ONLY.fullmatch(word):
            readings.append(word)
    return readings


def _masked_match(token: str) -> str | None:
    """A listed word that "f**k" or "c*nt" masks: same length, the visible letters agree."""
    if "*" not in token or not token[0].isalpha() or not re.fullmatch(r"[a-z*#]+", token):
        return None
    if sum(char.isalpha() for char in token) < 1 or len(token) < 3:
        return None
    pattern = re.compile("".join("[a-z]" if char in "*#" else char for char in token))
    for word in _WORDS_BY_LENGTH.get(len(token), ()):
        if pattern.fullmatch(word):
            return word
    return None


@functools.lru_cache(maxsize=_TOKEN_CACHE_SIZE)
def _word_match(token: str) -> tuple[str, ScreenCategory] | None:
    masked = _masked_match(token)
    if masked is not None:
        return _LEXICON[masked]
    for reading in _readings(token):
        found = _LEXICON.get(reading)
        if found is None and _DRAWN_OUT.search(reading):
            found = _COLLAPSED_LEXICON.get(_collapse(reading))
        if found is not None:
            return found
    return None


@functools.lru_cache(maxsize=_TOKEN_CACHE_SIZE)
def _phrase_readings(token: str) -> tuple[str, ...]:
    readings = _readings(token)[:2] or [token]
    drawn_out = [_collapse(reading) for reading in readings if _DRAWN_OUT.search(reading)]
    return (*readings, *drawn_out)


def _tokens(text: str) -> list[tuple[str, str]]:
    """(as written, folded and trimmed) for each whitespace-separated word."""
    tokens = []
    for match in _TOKEN.finditer(text):
        written = match.group()
        folded = _fold(written).strip(_EDGE_PUNCTUATION)
        # A trailing "!" or "?" is punctuation, not a look-alike letter ("shit!").
        folded = folded.rstrip("!?.,") if len(folded) > 1 else folded
        if folded:
            tokens.append((written.strip(_EDGE_PUNCTUATION) or written, folded))
    return tokens


def screen(text: str) -> tuple[FlaggedTerm, ...]:
    """The abusive or profane words and phrases in ``text``, each listed once."""
    if not text:
        return ()
    tokens = _tokens(text)
    flagged: dict[str, FlaggedTerm] = {}

    def flag(term: str, category: ScreenCategory, found: str) -> None:
        flagged.setdefault(term, FlaggedTerm(term=term, category=category, found=found))

    readings = [_phrase_readings(folded) for _, folded in tokens]
    for index, (written, folded) in enumerate(tokens):
        hit = _word_match(folded)
        if hit is not None:
            flag(hit[0], hit[1], written)
        if _PHRASE_FIRST_WORDS.isdisjoint(readings[index]):
            continue
        for length in range(2, _LONGEST_PHRASE + 1):
            window = readings[index : index + length]
            if len(window) < length:
                break
            for words in product(*window):
                phrase = _PHRASE_LEXICON.get(tuple(words))
                if phrase is not None:
                    written_out = " ".join(w for w, _ in tokens[index : index + length])
                    flag(phrase[0], phrase[1], written_out)
    # Letters spelt out one at a time: "f u c k", "c . u . n . t".
    run: list[tuple[str, str]] = []
    for written, folded in [*tokens, ("", "")]:
        if len(folded) == 1 and folded != "":
            run.append((written, folded))
            continue
        if len(run) >= 3:
            hit = _word_match("".join(letter for _written, letter in run))
            if hit is not None:
                flag(hit[0], hit[1], " ".join(written for written, _letter in run))
        run = []
    return tuple(flagged.values())


def screen_many(texts: list[str] | tuple[str, ...]) -> list[dict[str, str]]:
    """The screen over a response's words (its text and answers), as JSON for the record."""
    found: dict[str, FlaggedTerm] = {}
    for text in texts:
        for term in screen(text):
            found.setdefault(term.term, term)
    return [term.as_json() for term in found.values()]
