"""The environment is declared once, typed, documented, and read nowhere else."""

from __future__ import annotations

import ast
import re

import pytest
from django.core.exceptions import ImproperlyConfigured

from cms import env
from tests.conftest import PROJECT_DIR

APP_FOLDERS = ("cms", "consultations", "engagement", "connectors", "search")
# Given per registered network (HUB_COLLECT_INTERVAL_X, ...), read by cms/settings/.
PER_NETWORK_PREFIXES = ("HUB_COLLECT_INTERVAL_", "HUB_COLLECT_RATE_BUDGET_", "HUB_READ_BUDGET_")
# Read by Django itself, not by the hub.
READ_BY_DJANGO = {"DJANGO_SETTINGS_MODULE"}


def _readme_configuration_names() -> set[str]:
    readme = (PROJECT_DIR / "README.md").read_text()
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_column = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", first_column))
    return names


def test_every_declared_variable_is_in_the_readme_table():
    documented = _readme_configuration_names()

    missing = set(env.HubEnvironment.model_fields) - documented

    assert not missing, f"declared in cms/env.py but not in the README's table: {sorted(missing)}"


def test_every_variable_in_the_readme_table_is_declared():
    declared = set(env.HubEnvironment.model_fields) | READ_BY_DJANGO

    undeclared = {
        name
        for name in _readme_configuration_names() - declared
        if not name.startswith(PER_NETWORK_PREFIXES)
    }

    assert not undeclared, f"in the README's table but not declared: {sorted(undeclared)}"


def test_every_declared_variable_says_what_it_means():
    unexplained = [
        name
        for name, field in env.HubEnvironment.model_fields.items()
        if not (field.description or "").strip()
    ]

    assert unexplained == []


def test_a_value_of_the_wrong_type_names_the_variable(monkeypatch, reread_environment):
    monkeypatch.setenv("HUB_SEARCH_DRAIN_BATCH", "lots")

    with pytest.raises(ImproperlyConfigured, match="HUB_SEARCH_DRAIN_BATCH"):
        env.environment()


def test_lists_are_comma_separated_and_empty_means_the_default(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", " hub.example.gov.uk, www.hub.example.gov.uk ")
    monkeypatch.setenv("HUB_SITE_NAME", "")

    read = env.HubEnvironment()

    assert read.ALLOWED_HOSTS == ["hub.example.gov.uk", "www.hub.example.gov.uk"]
    assert read.HUB_SITE_NAME == "Consultation hub"


def test_a_per_network_number_must_be_a_positive_whole_number(monkeypatch):
    monkeypatch.setenv("HUB_COLLECT_INTERVAL_TESTNET", "0")

    with pytest.raises(ImproperlyConfigured, match="HUB_COLLECT_INTERVAL_TESTNET"):
        env.per_network_int("HUB_COLLECT_INTERVAL", "testnet", 20)


def _python_files():
    for folder in APP_FOLDERS:
        yield from (PROJECT_DIR / folder).rglob("*.py")


def test_only_cms_env_reads_the_environment():
    readers = []
    for path in _python_files():
        if path == PROJECT_DIR / "cms" / "env.py":
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        # os.environ.setdefault(...) sets a default for a library (entry points, offline
        # model loading); it reads nothing.
        setting = {
            id(node.func.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "setdefault"
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in {"environ", "getenv"}
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
                and id(node) not in setting
            ):
                readers.append(f"{path.relative_to(PROJECT_DIR)}:{node.lineno}")

    assert readers == [], "read the environment through cms/env.py instead"


def test_no_call_site_repeats_a_hub_setting_default():
    repeated = []
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "getattr"
                and len(node.args) == 3
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id == "settings"
                and isinstance(node.args[1], ast.Constant)
                and str(node.args[1].value).startswith("HUB_")
            ):
                repeated.append(f"{path.relative_to(PROJECT_DIR)}:{node.lineno}")

    assert repeated == [], "declare the setting in cms/settings/base.py and read it directly"
