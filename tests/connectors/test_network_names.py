"""A network is a module: no code outside its own backend and sandbox names it.

For each registered network, the project's Python (tokens, not comments or
docstrings) and templates (not template or HTML comments) are scanned for the
network's name and label, everywhere except its backend module, its sandbox
module, tests, migrations and ``cms/settings/``.

What counts as naming a network:

- a string literal equal to the name or the label ("x", "X", "mastodon"), or
  containing the label as a word ("the X read budget"); a long name (three
  letters or more) also as a word in any case ("Mastodon.py");
- an identifier with the name as one of its words (``x_handle``,
  ``rules_for_x``, ``XConnector``, ``MASTODON``), or the bare name as an
  attribute (``Channel.X``). A lone ``x`` or ``X`` (a coordinate, a matrix) is
  not a network.
"""

from __future__ import annotations

import ast
import importlib
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

import pytest

from connectors.registry import connector_class, connector_names, sandbox_path
from tests.conftest import PROJECT_DIR

CODE_FOLDERS = ("cms", "consultations", "engagement", "connectors", "search", "scripts")
# The words of an identifier: snake_case parts, CamelCase humps (digits stay with their word).
_WORDS = re.compile(r"[A-Z0-9]+(?=[A-Z][a-z])|[A-Z]?[a-z0-9]+|[A-Z0-9]+")
_TEMPLATE_COMMENTS = re.compile(
    r"{#.*?#}|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|<!--.*?-->", re.S
)
_TEMPLATE_TAGS = re.compile(r"{%.*?%}|{{.*?}}", re.S)
_QUOTED = re.compile(r"""(['"])(.*?)\1""")


@dataclass(frozen=True)
class Network:
    name: str
    label: str
    own_files: frozenset[Path]

    @property
    def short(self) -> bool:
        return len(self.name) < 3

    def names_it(self, text: str) -> bool:
        """Whether a string's contents name the network."""
        if text.strip() in (self.name, self.label):
            return True
        # A label as a word: not a regex escape (\X), not part of a header (X-Forwarded-For).
        if re.search(rf"(?<![\w\\-]){re.escape(self.label)}(?![\w-])", text):
            return True
        return not self.short and re.search(rf"\b{re.escape(self.name)}\b", text, re.I) is not None

    def identifier_names_it(self, identifier: str, *, attribute: bool) -> bool:
        words = [word.lower() for part in identifier.split("_") for word in _WORDS.findall(part)]
        if len(words) > 1:
            return self.name in words
        return (attribute or not self.short) and identifier.lower() == self.name


def _module_file(module: str) -> Path:
    return Path(importlib.import_module(module).__file__).resolve()


def _registered() -> list[Network]:
    networks = []
    for name in connector_names():
        backend = connector_class(name)
        own = {_module_file(backend.__module__)}
        if sandbox_path(name):
            own.add(_module_file(sandbox_path(name).rsplit(".", 1)[0]))
        networks.append(Network(name=name, label=backend.label, own_files=frozenset(own)))
    return networks


def _exempt(path: Path) -> bool:
    relative = path.relative_to(PROJECT_DIR).parts
    return (
        relative[0] == "tests"
        or "migrations" in relative
        or relative[:2] == ("cms", "settings")
        or ".venv" in relative
    )


def _project_files(suffixes: tuple[str, ...]) -> list[Path]:
    files = []
    for folder in CODE_FOLDERS:
        for suffix in suffixes:
            files.extend(p.resolve() for p in (PROJECT_DIR / folder).rglob(f"*{suffix}"))
    return [path for path in files if not _exempt(path)]


def _docstring_lines(source: str) -> set[int]:
    """First lines of string statements (docstrings and bare strings): prose, not code."""
    lines = set()
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            lines.add(node.lineno)
    return lines


def _string_contents(token: str) -> str:
    try:
        value = ast.literal_eval(token)
    except (ValueError, SyntaxError):  # an f-string: its literal parts, as written
        return re.sub(r"^[A-Za-z]*(['\"]{1,3})|(['\"]{1,3})$", "", token)
    return value if isinstance(value, str) else ""


def python_mentions(source: str, network: Network) -> list[str]:
    prose = _docstring_lines(source)
    found = []
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    for index, token in enumerate(tokens):
        if token.type == tokenize.STRING and token.start[0] not in prose:
            if network.names_it(_string_contents(token.string)):
                found.append(f"{token.start[0]}: {token.string}")
        elif token.type == tokenize.NAME:
            attribute = index > 0 and tokens[index - 1].string == "."
            if network.identifier_names_it(token.string, attribute=attribute):
                found.append(f"{token.start[0]}: {token.string}")
    return found


def template_mentions(source: str, network: Network) -> list[str]:
    text = _TEMPLATE_COMMENTS.sub("", source)
    found = []
    for tag in _TEMPLATE_TAGS.findall(text):
        found.extend(value for _, value in _QUOTED.findall(tag) if network.names_it(value))
        words = re.findall(r"[A-Za-z_][\w]*", _QUOTED.sub("", tag))
        found.extend(word for word in words if network.identifier_names_it(word, attribute=False))
    prose = _TEMPLATE_TAGS.sub(" ", text)
    prose = re.sub(r"<script.*?</script>|<[^>]+>", " ", prose, flags=re.S)
    if re.search(rf"(?<![\w-]){re.escape(network.label)}(?![\w-])", prose):
        found.append(f"the label {network.label!r} in the page text")
    return found


def test_no_code_outside_a_networks_own_modules_names_it():
    offences = []
    networks = _registered()
    assert {network.name for network in networks} >= {"x", "mastodon", "bluesky"}
    for path in _project_files((".py",)):
        source = path.read_text(encoding="utf-8")
        for network in networks:
            if path in network.own_files:
                continue
            for mention in python_mentions(source, network):
                offences.append(f"{path.relative_to(PROJECT_DIR)}:{mention} ({network.name})")
    for path in _project_files((".html", ".txt")):
        source = path.read_text(encoding="utf-8")
        for network in networks:
            for mention in template_mentions(source, network):
                offences.append(f"{path.relative_to(PROJECT_DIR)}: {mention} ({network.name})")

    assert offences == [], "\n".join(offences)


# --- The scanner itself: it catches what it must and lets the rest be ---------------------

SAMPLE = Network(name="x", label="X", own_files=frozenset())
LONG = Network(name="mastodon", label="Mastodon", own_files=frozenset())


@pytest.mark.parametrize(
    "source",
    [
        'if network == "x":\n    pass\n',
        "budget = settings.HUB_X_READ_BUDGET\n",
        "handles = [department.x_handle]\n",
        "rules = rules_for_x()\n",
        "from connectors.backends.x import XConnector\n",
        "LINKABLE = {Channel.X}\n",
        'message = f"the X read budget of {n} posts"\n',
    ],
)
def test_the_scanner_catches_a_short_name_in_code(source):
    assert python_mentions(source, SAMPLE)


@pytest.mark.parametrize(
    "source",
    [
        "# X bills reads: a comment may say so\nvalue = 1\n",
        'def f():\n    """X counts twice; a docstring may say so."""\n',
        "x = left + position * step\n",
        "X = matrix.T\n",
        'header = "X-Forwarded-For"\n',
        'grapheme = regex.compile(r"\\X")\n',
        "size = 'fill-600x315'\n",
        'parts.append(f\'<text x="0" y="{top}">\')\n',
        "def _layer_norm(x, weight):\n    return x\n",
    ],
)
def test_the_scanner_leaves_coordinates_headers_and_prose_alone(source):
    assert python_mentions(source, SAMPLE) == []


def test_the_scanner_catches_a_long_name_in_any_case_and_in_templates():
    assert python_mentions('client = "Mastodon.py"\n', LONG)
    assert python_mentions("token = secrets.mastodon_token\n", LONG)
    assert template_mentions("<p>Reply on Mastodon</p>", LONG)
    assert template_mentions('{% if channel == "mastodon" %}{% endif %}', LONG)
    assert template_mentions("{{ department.mastodon_handle }}", LONG)
    assert template_mentions("{# Mastodon only #}<p>{{ post.network_label }}</p>", LONG) == []
    assert template_mentions('<script>case "x": select();</script>', SAMPLE) == []
