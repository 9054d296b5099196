"""The search backend is built once per process and reused: every search used to build a new
one, with a new client and a new TCP connection to the node (scripts/bench_scale.py)."""

from __future__ import annotations

import os

import pytest
from django.test import override_settings

from search import backends
from search.backends import search_backend, search_backends_with_name
from search.selectors import ResponseFilters, responses_search

DATABASE_BACKEND = {"BACKEND": "modelsearch.backends.database"}


def test_the_backend_is_reused_until_its_setting_changes(settings):
    configured = search_backend()
    assert search_backend() is configured
    assert search_backend("default") is configured

    other = {"default": DATABASE_BACKEND, "second": {**DATABASE_BACKEND, "AUTO_UPDATE": False}}
    with override_settings(WAGTAILSEARCH_BACKENDS=other):
        overridden = search_backend()
        assert overridden is not configured
        assert search_backend() is overridden
        second = search_backend("second")
        assert second is not overridden
        assert search_backend("second") is second
        assert [name for name, _ in search_backends_with_name()] == ["default", "second"]
        # AUTO_UPDATE off: the drain leaves that backend alone, as modelsearch's own listing does.
        assert dict(search_backends_with_name(with_auto_update=True)) == {"default": overridden}

    # Back to the test settings: built again from them, not the override's left over.
    restored = search_backend()
    assert restored is not overridden
    assert restored is not configured
    assert type(restored) is type(configured)


@pytest.mark.django_db
def test_searches_build_the_backend_once(database_search, record, monkeypatch):
    built = []
    build = backends.get_search_backend

    def counted(name):
        built.append(name)
        return build(name)

    backends.search_backends_forget()
    monkeypatch.setattr(backends, "get_search_backend", counted)
    for words in ("buses", "lorries", ""):
        responses_search(filters=ResponseFilters(q=words), consultation=record["consultation"])
    responses_search(filters=ResponseFilters(q="buses"))

    assert built == ["default"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_builds_its_own_backend():
    # Celery's prefork pool and gunicorn --preload fork after the parent may have searched:
    # the child must not share the parent's pooled connections to the node.
    parent = search_backend()
    pid = os.fork()
    if pid == 0:  # the child: report by exit status only, and touch nothing else
        try:
            fresh = not backends._backends and search_backend() is not parent
            os._exit(0 if fresh else 1)
        except BaseException:  # noqa: BLE001 - the child never returns into pytest
            os._exit(2)
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert search_backend() is parent  # the parent keeps its own
