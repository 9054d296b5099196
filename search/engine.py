"""The public responses search on OpenSearch/Elasticsearch, answered by the node alone.

One ``_msearch`` carries two requests, which the node runs side by side:

- the counts: the exact total (``track_total_hits``) and every facet (terms aggregations
  and a month histogram), with ``size: 0`` and every clause in filter context. Nothing is
  scored, and the node's shard request cache answers the same counts again until the
  index next changes: a link shared on social media sends many people to the same page.
- the page of hits, without a total, so the node may stop scoring early (only the top
  ``from + size`` are needed).

The words and the consultation go in ``query``; the chosen facet values go in
``post_filter``, and each facet counts under every selection but its own, so choosing one
channel does not zero the others. Deep pages (past the node's 10,000-hit window) are
reached with ``search_after``.

Only what ``Response.get_indexed_objects()`` (the record's one rule of "public") let
the drain write is in the index, and only public consultations are asked for; the
rows shown are read again through ``public_responses()``. docs/adr/0010 says why this
talks to the node's client directly rather than through modelsearch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from engagement.record.models import INDEXED_LANGUAGES, Response
from engagement.search_words import query_parts

# The node's default index.max_result_window: from + size may not go past it.
HIT_WINDOW = 10_000

FIELD = {
    "consultation": "consultation_id_filter",
    "channel": "channel_filter",
    "received_at": "received_at_filter",
    "id": "id_filter",
    "language": "indexed_language_filter",
    "question": "indexed_question_ids_filter",
    "theme": "indexed_theme_ids_filter",
    "sentiment": "indexed_sentiment_filter",
}
WORD_FIELDS = tuple(f"indexed_words_{code}_filter" for code in INDEXED_LANGUAGES)
# The most values a terms facet returns: more than any consultation has.
FACET_SIZE = 500


@dataclass(frozen=True)
class EngineAnswer:
    total: int
    ids: list[int]
    # facet name -> [(value, count)], each counted under the other facets' selections.
    buckets: dict[str, list[tuple[str, int]]]


def _in_any_language(clause: Callable[[str], dict[str, Any]]) -> dict:
    # A response's words are in the field of its language only (Response.indexed_language).
    return {"bool": {"should": [clause(field) for field in WORD_FIELDS], "minimum_should_match": 1}}


def _match_all_words(words: str) -> Callable[[str], dict[str, Any]]:
    return lambda field: {"match": {field: {"query": words, "operator": "and"}}}


def _match_phrase(phrase: str) -> Callable[[str], dict[str, Any]]:
    return lambda field: {"match_phrase": {field: phrase}}


def text_query(q: str) -> dict | None:
    """Every loose word (stemmed, stop words aside) and every quoted phrase, in order."""
    words, phrases = query_parts(q)
    clauses = []
    if words:
        clauses.append(_in_any_language(_match_all_words(words)))
    for phrase in phrases:
        clauses.append(_in_any_language(_match_phrase(phrase)))
    return {"bool": {"must": clauses}} if clauses else None


def month_clause(ranges: Sequence[tuple[datetime, datetime]]) -> dict:
    return {
        "bool": {
            "should": [
                {"range": {FIELD["received_at"]: {"gte": start.isoformat(), "lt": end.isoformat()}}}
                for start, end in ranges
            ],
            "minimum_should_match": 1,
        }
    }


def _aggregation(name: str) -> dict:
    if name == "month":
        return {
            "date_histogram": {
                "field": FIELD["received_at"],
                "calendar_interval": "month",
                "time_zone": timezone.get_current_timezone_name(),
                "format": "yyyy-MM",
                "min_doc_count": 1,
            }
        }
    return {"terms": {"field": FIELD[name], "size": FACET_SIZE}}


# A node that answers but cannot search now: 503 while its shards recover after a restart
# ("search_phase_execution_exception", all shards failed), 429 when it sheds load, 502/504
# from a proxy in front of it. The pages treat it as the node being away (search.selectors).
NODE_BUSY_STATUSES = frozenset({429, 502, 503, 504})


class SearchNodeBusy(Exception):
    """The search node answered, but cannot search now (``NODE_BUSY_STATUSES``)."""


class SearchRefused(Exception):
    """The node refused one request of an ``_msearch`` for another reason: a bug, not an outage."""


def node_busy(error: BaseException) -> bool:
    """Whether a client error is the node answering that it cannot search now."""
    # opensearch-py's TransportError has .status_code; elasticsearch 8's ApiError .meta.status.
    status = getattr(error, "status_code", None)
    if status is None:
        status = getattr(getattr(error, "meta", None), "status", None)
    return status in NODE_BUSY_STATUSES


class EngineSearch:
    """One public search against the node: built once, asked for a window of hits."""

    def __init__(
        self,
        *,
        backend: Any,
        q: str,
        consultation_ids: Sequence[int],
        selections: dict[str, dict],
        facets: Sequence[str],
        sort: str,
    ) -> None:
        self.backend = backend
        self.index = backend.get_index_for_model(Response).name
        text = text_query(q) if q else None
        if q and text is None:
            # Typed, but nothing to match (punctuation only): no results, as on the
            # database backends, rather than every response under "results for '?!'".
            text = {"match_none": {}}
        ranked = sort == "relevance" and text is not None
        scope: list[dict] = [{"terms": {FIELD["consultation"]: list(consultation_ids)}}]
        if text is not None and not ranked:
            scope.append(text)  # matched, not scored: cheaper, and the node can cache it
        self.query: dict[str, Any] = {
            "bool": {"must": [text] if ranked else [{"match_all": {}}], "filter": scope}
        }
        self.selections = selections
        self.facets = facets
        self.post_filter = {"bool": {"filter": list(selections.values())}}
        # unmapped_type: an index built before a field existed (until `update_index` rebuilds
        # it, and /healthz says so) sorts those documents last instead of failing the page.
        by_id = {
            FIELD["id"]: {"order": "asc" if sort == "oldest" else "desc", "unmapped_type": "long"}
        }
        if ranked:
            self.sort: list = [{"_score": "desc"}, by_id]
        else:
            order = "asc" if sort == "oldest" else "desc"
            self.sort = [{FIELD["received_at"]: {"order": order, "unmapped_type": "date"}}, by_id]

    def _search(self, body: dict, **params: Any) -> dict:
        body = {"query": self.query, "post_filter": self.post_filter, "sort": self.sort, **body}
        try:
            if getattr(self.backend, "use_new_elasticsearch_api", False):
                # The Elasticsearch 8+ client takes the body's keys as arguments ("from" is
                # a keyword).
                if "from" in body:
                    body["from_"] = body.pop("from")
                return self.backend.es.search(index=self.index, **body, **params)
            return self.backend.es.search(index=self.index, body=body, **params)
        except Exception as error:
            if node_busy(error):
                raise SearchNodeBusy(str(error)) from error
            raise

    def _searches(self, requests: list[tuple[dict, dict]]) -> list[dict]:
        """Several requests in one ``_msearch`` (run side by side by the node), in order.

        Each is a (header, body) pair; the body's ``query``, ``post_filter`` and ``sort``
        are this search's unless it sets its own.
        """
        lines: list[dict] = []
        for header, body in requests:
            lines += [
                {"index": self.index, **header},
                {"query": self.query, "post_filter": self.post_filter, "sort": self.sort, **body},
            ]
        try:
            if getattr(self.backend, "use_new_elasticsearch_api", False):
                answer = self.backend.es.msearch(searches=lines)
            else:
                answer = self.backend.es.msearch(body=lines)
        except Exception as error:
            if node_busy(error):
                raise SearchNodeBusy(str(error)) from error
            raise
        responses = list(answer["responses"])
        for response in responses:
            # _msearch answers 200 even when a request in it failed: each carries its own.
            if "error" in response:
                failure = response["error"]
                reason = failure.get("reason", failure) if isinstance(failure, dict) else failure
                if response.get("status") in NODE_BUSY_STATUSES:
                    raise SearchNodeBusy(str(reason))
                raise SearchRefused(f"{response.get('status')}: {reason}")
        return responses

    def _counts_body(self) -> dict:
        """The total and the facets: nothing to score, so every clause filters."""
        ranked = [clause for clause in self.query["bool"]["must"] if "match_all" not in clause]
        aggregations = {
            name: {
                "filter": {
                    "bool": {
                        "filter": [
                            clause for other, clause in self.selections.items() if other != name
                        ]
                    }
                },
                "aggs": {"values": _aggregation(name)},
            }
            for name in self.facets
        }
        return {
            "query": {"bool": {"filter": [*self.query["bool"]["filter"], *ranked]}},
            "sort": [],
            "aggs": aggregations,
            "track_total_hits": True,
            "size": 0,
        }

    def first(self, *, offset: int, size: int) -> EngineAnswer:
        """The total, the facets and (within the hit window) the hits from ``offset``."""
        # request_cache: the counts are the same for everyone until the index next changes.
        requests = [({"request_cache": True}, self._counts_body())]
        shallow = offset + size <= HIT_WINDOW
        if shallow:
            requests.append(({}, self._hits_body(offset=offset, size=size)))
        counts, *hits = self._searches(requests)
        buckets = {
            name: [
                (str(bucket.get("key_as_string", bucket["key"])), bucket["doc_count"])
                for bucket in counts["aggregations"][name]["values"]["buckets"]
                if bucket["doc_count"]
            ]
            for name in self.facets
        }
        total = counts["hits"]["total"]["value"]
        if hits:
            ids = [int(hit["_id"]) for hit in hits[0]["hits"]["hits"]]
        else:
            ids = self.window(offset=offset, size=size)
        return EngineAnswer(total=total, ids=ids, buckets=buckets)

    @staticmethod
    def _hits_body(*, offset: int, size: int) -> dict:
        # No total: the node may stop once it knows the top offset + size.
        return {"from": offset, "size": size, "_source": False, "track_total_hits": False}

    def window(self, *, offset: int, size: int) -> list[int]:
        """The ids of ``size`` hits from ``offset``; past the hit window, by ``search_after``."""
        if offset + size <= HIT_WINDOW:
            answer = self._search(self._hits_body(offset=offset, size=size))
            return [int(hit["_id"]) for hit in answer["hits"]["hits"]]
        after = None
        skip = offset
        while skip:
            step = min(skip, HIT_WINDOW)
            body: dict = {"size": step, "_source": False, "track_total_hits": False}
            if after is not None:
                body["search_after"] = after
            hits = self._search(body, filter_path="hits.hits.sort").get("hits", {}).get("hits", [])
            if not hits:
                return []
            after = hits[-1]["sort"]
            skip -= len(hits)
        body = {"size": size, "_source": False, "track_total_hits": False}
        if after is not None:
            body["search_after"] = after
        return [int(hit["_id"]) for hit in self._search(body)["hits"]["hits"]]


class EngineHits(Sequence):
    """The matching ids as Django's Paginator sees them: counted once, fetched per page."""

    def __init__(self, search: EngineSearch, answer: EngineAnswer, offset: int) -> None:
        self.search = search
        self.total = answer.total
        self.first_offset = offset
        self.first_ids = answer.ids

    def count(self, value: object = None) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, item):
        if not isinstance(item, slice):
            return self[item : item + 1][0]
        start = item.start or 0
        stop = self.total if item.stop is None else min(item.stop, self.total)
        if stop <= start:
            return []
        if start == self.first_offset and stop - start <= len(self.first_ids):
            return self.first_ids[: stop - start]
        return self.search.window(offset=start, size=stop - start)
