"""The search indexes as the hub defines them: created on purpose, checked against the node.

An index that does not exist is never left for the node to create on the first
document: OpenSearch would guess a mapping (dynamic mapping), and every search would
then find nothing without an error. ``search_index_ensure`` creates a missing index
the way ``rebuild_search_index`` does (modelsearch's rebuilder: the hub's analysers,
then each model's mapping, then the alias), and ``index_mapping_problems`` tells
``/healthz`` where a live index differs from the hub's mapping.
"""

from __future__ import annotations

from typing import Any

from modelsearch.index import get_indexed_models
from modelsearch.management.commands.rebuild_modelsearch_index import group_models_by_index

MISSING = " is missing"


def is_search_node(backend: Any) -> bool:
    """True for OpenSearch/Elasticsearch; the database backend keeps its index in tables."""
    return hasattr(backend, "es")


def _models_sharing_index(backend: Any, model: type) -> list[type]:
    index = backend.get_index_for_model(model)
    for grouped_index, models in group_models_by_index(backend, get_indexed_models()).items():
        if grouped_index.name == index.name:
            return list(models)
    return [model]


def search_index_ensure(*, backend: Any, model: type) -> str:
    """Create ``model``'s index with the hub's mapping if it is missing; its name, or "".

    Idempotent; the caller holds the drain's lock, so two drains never create it twice.
    """
    if not is_search_node(backend):
        return ""
    index = backend.get_index_for_model(model)
    if index.exists():
        return ""
    rebuilder = backend.rebuilder_class(index)
    created = rebuilder.start()
    for sharing in _models_sharing_index(backend, model):
        created.add_model(sharing)
    rebuilder.finish()
    return index.name


def _field_problems(expected: dict, live: dict, prefix: str = "") -> list[str]:
    problems = []
    for name, want in expected.items():
        where = f"{prefix}{name}"
        have = live.get(name)
        if have is None:
            problems.append(f"{where}{MISSING}")
            continue
        want_type, have_type = want.get("type", "object"), have.get("type", "object")
        if want_type != have_type:
            problems.append(f"{where} is {have_type}, the hub's mapping says {want_type}")
            continue
        for key in ("analyzer", "search_analyzer"):
            if want.get(key) != have.get(key):
                problems.append(
                    f"{where} is analysed by {have.get(key) or 'the default analyser'}, "
                    f"the hub's mapping says {want.get(key) or 'the default analyser'}"
                )
        for nested in ("properties", "fields"):
            if nested in want:
                problems += _field_problems(want[nested], have.get(nested, {}), f"{where}.")
    return problems


def _as_text(value: Any) -> Any:
    # The node answers every setting as a string (or a list of strings).
    return [str(item) for item in value] if isinstance(value, list) else str(value)


def _analysis_problems(expected: dict, live: dict) -> list[str]:
    missing, different = [], []
    for kind in ("analyzer", "filter"):
        for name, want in expected.get(kind, {}).items():
            have = live.get(kind, {}).get(name)
            if have is None:
                missing.append(name)
            elif any(_as_text(have.get(key)) != _as_text(value) for key, value in want.items()):
                different.append(name)
    problems = []
    if missing:
        problems.append(f"the analysers and filters {', '.join(missing)} are missing")
    if different:
        problems.append(f"the analysers and filters {', '.join(different)} are not the hub's")
    return problems


def index_mapping_problems(*, backend: Any) -> list[str]:
    """How each live index differs from the hub's mapping and analysers ([] when they match)."""
    if not is_search_node(backend):
        return []
    problems = []
    expected_analysis = backend.settings.get("settings", {}).get("analysis", {})
    for index, models in group_models_by_index(backend, get_indexed_models()).items():
        if not index.exists():
            problems.append(f"{index.name}: the index does not exist")
            continue
        expected: dict = {}
        for model in models:
            expected.update(backend.mapping_class(model).get_mapping()["properties"])
        # Keyed by the concrete index behind the alias.
        answer: dict = next(iter(backend.es.indices.get_mapping(index=index.name).values()))
        live = answer.get("mappings", {}).get("properties", {})
        settings: dict = next(iter(backend.es.indices.get_settings(index=index.name).values()))
        live_analysis = settings.get("settings", {}).get("index", {}).get("analysis") or {}
        fields = _field_problems(expected, live)
        missing = [problem.removesuffix(MISSING) for problem in fields if problem.endswith(MISSING)]
        found = [
            *(problem for problem in fields if not problem.endswith(MISSING)),
            *([f"the fields {', '.join(missing)} are missing"] if missing else []),
            *_analysis_problems(expected_analysis, live_analysis),
        ]
        problems += [f"{index.name}: {problem}" for problem in found]
    return problems
