"""The public responses search on the database backend: indexed documents, no list of ids.

Each public response has a ``ResponseDocument`` (its words, consultation, channel,
month, language, sentiment) and a row per answered question and per live theme,
written by the outbox drain from ``Response.get_indexed_objects()``. The words are
indexed by the database itself: PostgreSQL a generated ``tsvector`` with a GIN index
(English rules, or 'simple' for Welsh), SQLite an FTS5 table kept by triggers
(docs/adr/0017-database-full-text.md). A search is then a handful of indexed queries:
the matches as a semi-join on the full-text index, one grouped query per facet, one
count and one page, whatever the number of matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from django.contrib.contenttypes.models import ContentType
from django.db import connections, router
from django.db.models import FloatField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from modelsearch.conf import get_app_config

from engagement.record.models import Response
from engagement.search_words import query_parts
from search.models import ResponseDocument, ResponseDocumentQuestion, ResponseDocumentTheme
from search.welsh import welsh_search_forms

DOCUMENTS = ResponseDocument._meta.db_table
FTS_TABLE = f"{DOCUMENTS}_fts"
# The PostgreSQL text search configuration per analyser (the migration's generated column).
POSTGRES_CONFIG = {"en": "english", "cy": "simple"}


def vendor() -> str:
    """The database the full-text documents live in: "postgresql" or "sqlite"."""
    return connections[router.db_for_read(ResponseDocument)].vendor


# A word as the Welsh rules read it: letters, digits and the apostrophe of a clitic ("mae'r").
_WELSH_TOKEN = re.compile(r"[\w']+")


def _welsh_forms(text: str) -> list[str]:
    """The radical forms and singulars of a Welsh text's words that it does not contain
    as written (search.welsh): indexed after the words, so "Caerdydd" finds "Nghaerdydd"
    here as on the node, while the words themselves keep their order for phrases."""
    tokens = _WELSH_TOKEN.findall(text.lower())
    forms: set[str] = set()
    for token in tokens:
        forms |= welsh_search_forms(token)
    return sorted(forms - set(tokens))


def _document(response: Response) -> ResponseDocument:
    words = response.indexed_words()
    if response.indexed_analyser_language() == "cy":
        words = "\n".join([words, " ".join(_welsh_forms(words))]).strip()
    return ResponseDocument(
        response_id=response.pk,
        consultation_id=response.consultation_id,
        channel=response.channel,
        received_at=response.received_at,
        month=timezone.localtime(response.received_at).strftime("%Y-%m"),
        language=response.language,
        analyser=response.indexed_analyser_language(),
        sentiment=response.indexed_sentiment() or "",
        words=words,
    )


def documents_delete(*, response_ids: Iterable[int]) -> int:
    """Forget these responses' documents (no longer public, or deleted)."""
    ids = list(response_ids)
    if not ids:
        return 0
    ResponseDocumentQuestion.objects.filter(document_id__in=ids).delete()
    ResponseDocumentTheme.objects.filter(document_id__in=ids).delete()
    deleted, _ = ResponseDocument.objects.filter(pk__in=ids).delete()
    return deleted


def documents_write(*, responses: Sequence[Response]) -> int:
    """Write the documents of public responses (read through ``get_indexed_objects``).

    Replaced whole, in the caller's transaction: the full-text index follows in the
    same statements (generated column, or FTS5 triggers).
    """
    if not responses:
        return 0
    documents_delete(response_ids=[response.pk for response in responses])
    ResponseDocument.objects.bulk_create([_document(r) for r in responses], batch_size=500)
    ResponseDocumentQuestion.objects.bulk_create(
        [
            ResponseDocumentQuestion(document_id=response.pk, question_id=question_id)
            for response in responses
            for question_id in response.indexed_question_ids()
        ],
        batch_size=1000,
    )
    ResponseDocumentTheme.objects.bulk_create(
        [
            ResponseDocumentTheme(document_id=response.pk, theme_id=theme_id)
            for response in responses
            for theme_id in response.indexed_theme_ids()
        ],
        batch_size=1000,
    )
    return len(responses)


def modelsearch_response_entries_delete() -> int:
    """Forget modelsearch's own database entries for responses: the public search reads the
    documents instead, and the drain no longer writes those entries (written before)."""
    entries = (
        get_app_config()
        .get_model("IndexEntry")
        ._default_manager.filter(content_type=ContentType.objects.get_for_model(Response))
    )
    return entries._raw_delete(using=router.db_for_write(entries.model))


def documents_rebuild(*, chunk_size: int = 1000) -> int:
    """Every public response's document again, from the record (in the caller's transaction)."""
    ResponseDocumentQuestion.objects.all().delete()
    ResponseDocumentTheme.objects.all().delete()
    ResponseDocument.objects.all().delete()
    objects = Response.get_indexed_objects().order_by("pk")
    written, last_pk = 0, None
    while True:
        page = objects if last_pk is None else objects.filter(pk__gt=last_pk)
        chunk = list(page[:chunk_size])
        if not chunk:
            return written
        written += documents_write(responses=chunk)
        last_pk = chunk[-1].pk


# --- Matching --------------------------------------------------------------------------


def _query_forms(word: str) -> list[str]:
    """The word and the forms the Welsh rules index it under: any of them matches."""
    return [word, *sorted(welsh_search_forms(word) - {word})]


def _fts5_query(words: str, phrases: Sequence[str]) -> str:
    # query_parts leaves letters and digits only, so each term is a safe FTS5 string;
    # quoted, no word is read as an operator (AND, OR, NOT, NEAR). One FTS5 table holds
    # both languages, so a word also matches its Welsh forms (indexed on Welsh rows only).
    terms = [
        "(" + " OR ".join(f'"{form}"' for form in _query_forms(word)) + ")"
        for word in words.split()
    ] + [f'"{phrase}"' for phrase in phrases]
    return " AND ".join(terms)


def _plural_variants(word: str) -> list[str]:
    """The word's other number, as far as spelling shows it: bus/buses, road/roads."""
    variants = [f"{word}s", f"{word}es"]
    if word.endswith("es"):
        variants.append(word[:-2])
    if word.endswith("s"):
        variants.append(word[:-1])
    return variants


def _postgres_word(config: str, word: str) -> tuple[str, list[str]]:
    if config != "english":
        # Welsh rows carry each word's radical forms and singulars too (_welsh_forms).
        forms = _query_forms(word)
        alternatives = " || ".join([f"plainto_tsquery('{config}', %s)"] * len(forms))
        return f"({alternatives})", forms
    # PostgreSQL's English (Snowball) stemmer keeps "bus" and "buses" apart ('bus' and
    # 'buse'), where the node's KStem joins them: the word matches its other number too.
    # A stop word stays empty (it is ignored, as in the documents).
    alternatives = " || ".join(
        ["plainto_tsquery('english', %s)"] * (1 + len(_plural_variants(word)))
    )
    sql = (
        "(CASE WHEN numnode(plainto_tsquery('english', %s)) = 0 "
        f"THEN plainto_tsquery('english', %s) ELSE {alternatives} END)"
    )
    return sql, [word, word, word, *_plural_variants(word)]


def _postgres_tsquery(config: str, words: str, phrases: Sequence[str]) -> tuple[str, list[str]]:
    parts, params = [], []
    for word in words.split():
        sql, word_params = _postgres_word(config, word)
        parts.append(sql)
        params += word_params
    for phrase in phrases:
        parts.append(f"phraseto_tsquery('{config}', %s)")
        params.append(phrase)
    return "(" + " && ".join(parts) + ")", params


def _postgres_match(words: str, phrases: Sequence[str]) -> tuple[str, list[str]]:
    """Each analyser's rows against the query read by the same rules; GIN answers both."""
    clauses, params = [], []
    for analyser, config in POSTGRES_CONFIG.items():
        tsquery, tsparams = _postgres_tsquery(config, words, phrases)
        clauses.append(f"(analyser = %s AND search_vector @@ {tsquery})")
        params += [analyser, *tsparams]
    return " OR ".join(clauses), params


def matching_ids(q: str) -> RawSQL | None:
    """The ids of documents whose words match every loose word and quoted phrase of ``q``.

    A subquery on the full-text index alone (``pk__in``): it names no outer table, so it
    may be used in any query, nested or not. None when ``q`` has no words.
    """
    words, phrases = query_parts(q)
    if not words and not phrases:
        return None
    if vendor() == "postgresql":
        where, params = _postgres_match(words, phrases)
        # The SQL is the module's own text; everything the public typed is a parameter.
        sql = f"SELECT response_id FROM {DOCUMENTS} WHERE {where}"  # noqa: S608
        return RawSQL(sql, params)  # noqa: S611
    sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608
    return RawSQL(sql, [_fts5_query(words, phrases)])  # noqa: S611


def ranked_ids(q: str, documents: QuerySet[ResponseDocument], *, offset: int, size: int) -> list:
    """A page of ``documents`` (already matched and filtered), most relevant first."""
    words, phrases = query_parts(q)
    if vendor() == "postgresql":
        scores = []
        params: list[str] = []
        for analyser, config in POSTGRES_CONFIG.items():
            tsquery, tsparams = _postgres_tsquery(config, words, phrases)
            scores.append(f"WHEN analyser = %s THEN ts_rank(search_vector, {tsquery})")
            params += [analyser, *tsparams]
        rank = RawSQL(f"CASE {' '.join(scores)} ELSE 0 END", params, output_field=FloatField())  # noqa: S611
        ranked = documents.annotate(rank=rank).order_by("-rank", "-pk")
        return list(ranked.values_list("pk", flat=True)[offset : offset + size])
    # FTS5's bm25() exists only in the query that MATCHes, so the page is asked of the
    # FTS table, restricted to the filtered documents (lower bm25 is better).
    subquery, subquery_params = documents.order_by().values("pk").query.sql_with_params()
    connection = connections[router.db_for_read(ResponseDocument)]
    with connection.cursor() as cursor:
        # Materialised: the MATCH runs once, not once per candidate row of the IN list.
        cursor.execute(
            f"WITH scored AS MATERIALIZED (SELECT rowid AS id, bm25({FTS_TABLE}) AS score "  # noqa: S608
            f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s) "
            f"SELECT id FROM scored WHERE id IN ({subquery}) "
            "ORDER BY score, id DESC LIMIT %s OFFSET %s",
            [_fts5_query(words, phrases), *subquery_params, size, offset],
        )
        return [row[0] for row in cursor.fetchall()]
