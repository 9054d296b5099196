"""The one cleaning of public search queries, for the pages (search/) and the API
(engagement.opendata): a query is plain words.

Quotes, brackets and operators mean nothing to the public search, and each backend
would read them as its own syntax (an unterminated string to SQLite FTS5, a negation
to PostgreSQL's web search), so every public search sends only the words.
"""

from __future__ import annotations

import regex

_WORD = regex.compile(r"[\p{L}\p{N}]+")


def query_words(q: str) -> list[str]:
    """The words of a query, lower-cased, in order (letters and digits of any script)."""
    return [word.lower() for word in _WORD.findall(q)]


def plain_query(q: str) -> str:
    """The query as the search backend receives it: its words, space-separated ("" for none)."""
    return " ".join(query_words(q))


_QUOTED = regex.compile(r'"([^"]*)"')


def query_parts(q: str) -> tuple[str, tuple[str, ...]]:
    """The loose words of a query and its quoted phrases, each as plain words.

    ``buses "ring road"`` gives ``("buses", ("ring road",))``. A quoted single word is
    a loose word, and an unpaired quote means nothing.
    """
    phrases = []
    loose = list(query_words(_QUOTED.sub(" ", q)))
    for quoted in _QUOTED.findall(q):
        words = query_words(quoted)
        if len(words) > 1:
            phrases.append(" ".join(words))
        else:
            loose.extend(words)
    return " ".join(loose), tuple(dict.fromkeys(phrases))
