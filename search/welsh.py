"""How the search reads Welsh: its stop words, its mutations and a few plurals.

Welsh changes the first sound of a word after certain words ("Caerdydd", "i Gaerdydd",
"yng Nghaerdydd", "a Chaerdydd"; "bws", "y fws", "fy mws"), so a word in a reply is often
not the form a person types in the search box. OpenSearch has no Welsh stemmer; the hub's
``hub_welsh`` analyser (cms/settings/base.py) undoes the mutations instead: each word is
indexed, and searched, as itself and as every radical form it could be a mutation of
(a ``multiplexer`` of ``pattern_replace`` filters, one per rule below, same position).
"bws" then finds "fws" and "mws", and "Caerdydd" finds "Nghaerdydd". Some forms made
this way are not words ("afon" also gives "gafon"); they only ever match another
mutation of the same letters, which is the price of finding the real ones.

Plurals are irregular in Welsh; the commonest nouns of consultation replies are mapped
to their singular (``stemmer_override``), so "bws" finds "bysiau" too.

Everything here is data plus ``welsh_search_forms``, the same rules in Python for a
backend that has no node to analyse (the database backends), and for the tests, which
check that the node and this module agree.
"""

from __future__ import annotations

import re
import unicodedata

# Function words, pronouns, the forms of "bod" (to be) and prepositions, in the forms
# they take after lower-casing and ASCII folding (the analyser's order: "â" is "a").
# Mutated forms are listed too ("fod", "fydd"): stop words go before the mutations.
WELSH_STOP_WORDS: tuple[str, ...] = tuple(
    """
    a ac ag ai am an ar at beth be bod bydd byddai chi dan dros drwy dy dyma dyna
    e ef efo ei eich ein eisiau er eu fe fel fo fod fu fydd fyddai fy gan ganddo ganddi
    gyda heb hefyd hi hon hwn hwnnw hyd hyn hynny i iddo iddi iddyn ichi mae maen ma
    mewn mi mod na nad nage neu ni nid nhw o oedd oes ond os pa pam pan pe pob pryd pwy
    rhwng roedd rwy rydw rydyn rydym sut sy sydd ti tra trwy tu wedi wrth y yma yn yna
    yng yno ym yr yw ydy ydi ydw ydyn dw dwi does dyw
    """.split()
)

# Clitics written onto a word ("mae'r", "dwi'n", "i'w"): the word is what is searched.
WELSH_CLITIC_PATTERN = "['’](?:r|n|i|m|w|ch)$"

# (name, pattern, replacement): a mutated first sound and the radical it may come from.
# Java's and Python's regular expressions read these the same way.
WELSH_MUTATIONS: tuple[tuple[str, str, str], ...] = (
    # Soft mutation: c p t g b d ll m rh become g b d - f dd l f r.
    ("soft_c", "^g", "c"),
    ("soft_p", "^b", "p"),
    ("soft_t", "^d(?!d)", "t"),
    ("soft_g", "^(?=[aeiouwy]|l(?!l)|r(?!h))", "g"),
    ("soft_b", "^f(?!f)", "b"),
    ("soft_m", "^f(?!f)", "m"),
    ("soft_d", "^dd", "d"),
    ("soft_ll", "^l(?!l)", "ll"),
    ("soft_rh", "^r(?!h)", "rh"),
    # Nasal mutation: c p t g b d become ngh mh nh ng m n.
    ("nasal_c", "^ngh", "c"),
    ("nasal_p", "^mh", "p"),
    ("nasal_t", "^nh", "t"),
    ("nasal_g", "^ng(?!h)", "g"),
    ("nasal_b", "^m(?!h)", "b"),
    ("nasal_d", "^n(?![gh])", "d"),
    # Aspirate mutation: c p t become ch ph th; h before a vowel ("ei hafon").
    ("aspirate_c", "^ch", "c"),
    ("aspirate_p", "^ph", "p"),
    ("aspirate_t", "^th", "t"),
    ("aspirate_h", "^h(?=[aeiouwy])", ""),
)

# Plurals of the nouns replies use most, to their singular ("rules" of stemmer_override).
WELSH_PLURALS: dict[str, str] = {
    "bysiau": "bws",
    "bysus": "bws",
    "ceir": "car",
    "trenau": "tren",
    "beiciau": "beic",
    "lorioedd": "lori",
    "loriau": "lori",
    "faniau": "fan",
    "tacsis": "tacsi",
    "cerbydau": "cerbyd",
    "ffyrdd": "ffordd",
    "heolydd": "heol",
    "strydoedd": "stryd",
    "lonydd": "lon",
    "llwybrau": "llwybr",
    "palmentydd": "palmant",
    "ysgolion": "ysgol",
    "plant": "plentyn",
    "teuluoedd": "teulu",
    "trefi": "tref",
    "dinasoedd": "dinas",
    "pentrefi": "pentref",
    "siopau": "siop",
    "busnesau": "busnes",
    "tocynnau": "tocyn",
    "gwasanaethau": "gwasanaeth",
    "swyddi": "swydd",
    "camerau": "camera",
    "coed": "coeden",
}


def welsh_analysis() -> dict:
    """The ``filter`` and ``analyzer`` entries of the hub's Welsh analyser."""
    mutation_filters = {
        f"hub_welsh_{name}": {
            "type": "pattern_replace",
            "pattern": pattern,
            "replacement": replacement,
        }
        for name, pattern, replacement in WELSH_MUTATIONS
    }
    filters = {
        "hub_welsh_clitics": {
            "type": "pattern_replace",
            "pattern": WELSH_CLITIC_PATTERN,
            "replacement": "",
        },
        "hub_welsh_stop": {"type": "stop", "stopwords": list(WELSH_STOP_WORDS)},
        **mutation_filters,
        "hub_welsh_mutations": {"type": "multiplexer", "filters": list(mutation_filters)},
        "hub_welsh_plurals": {
            "type": "stemmer_override",
            "rules": [f"{plural} => {singular}" for plural, singular in WELSH_PLURALS.items()],
        },
    }
    analyzer = {
        "hub_welsh": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": [
                "lowercase",
                "asciifolding",
                "hub_welsh_clitics",
                "hub_welsh_stop",
                "hub_welsh_mutations",
                "hub_welsh_plurals",
            ],
        }
    }
    return {"filter": filters, "analyzer": analyzer}


_COMPILED = tuple(
    (re.compile(pattern), replacement) for _n, pattern, replacement in WELSH_MUTATIONS
)
_CLITIC = re.compile(WELSH_CLITIC_PATTERN)


def _folded(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower().replace("’", "'"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def welsh_search_forms(word: str) -> frozenset[str]:
    """The forms ``hub_welsh`` indexes one word under (none for a stop word).

    For a backend without the node's analyser: index a Welsh response under every form
    of each of its words, and match a query word by any of its forms.
    """
    word = _CLITIC.sub("", _folded(word))
    if not word or word in WELSH_STOP_WORDS:
        return frozenset()
    forms = {word, *(pattern.sub(replacement, word, count=1) for pattern, replacement in _COMPILED)}
    return frozenset(WELSH_PLURALS.get(form, form) for form in forms)
