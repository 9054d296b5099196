"""Signal receivers that put changes of the record in the search outbox."""

from __future__ import annotations

from engagement.record.models import Response
from search.models import IndexAction
from search.services import search_index_enqueue


def response_saved(sender, instance, raw=False, **kwargs) -> None:
    if raw:
        return
    search_index_enqueue(model=Response, pks=[instance.pk])


def response_deleted(sender, instance, **kwargs) -> None:
    search_index_enqueue(model=Response, pks=[instance.pk], action=IndexAction.DELETE)


def answer_changed(sender, instance, raw=False, **kwargs) -> None:
    if raw or instance.response_id is None:
        return
    search_index_enqueue(model=Response, pks=[instance.response_id])


def responses_changed(sender, response_ids, **kwargs) -> None:
    search_index_enqueue(model=Response, pks=response_ids)
