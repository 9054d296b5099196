"""Signal receivers that put changes of the record in the search outbox."""

from __future__ import annotations

from django.db import models

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


def analysis_changed(sender, instance, raw=False, **kwargs) -> None:
    """A response's sentiment or theme membership changed: its facets in the index did."""
    if raw or instance.response_id is None:
        return
    search_index_enqueue(model=Response, pks=[instance.response_id])


def theme_saved(sender, instance, raw=False, **kwargs) -> None:
    """A theme merged (or unmerged): its members, and those of themes merged into it,
    now count under another live theme."""
    if raw:
        return
    # why: search sits above the analysis; the model is looked up only when a theme changes.
    from engagement.analysis.models import ThemeMembership

    members = ThemeMembership.objects.filter(
        models.Q(theme=instance) | models.Q(theme__is_merged_into=instance)
    ).values_list("response_id", flat=True)
    search_index_enqueue(model=Response, pks=list(members))
