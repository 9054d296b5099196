"""Issue 11: every admin route × every role × (own department's object, another's).

The routes come from Django's URL resolver (everything under /admin/, which holds the
Wagtail admin, the moderation inbox and the analysis dashboard); the expectations are
the table in ``admin_matrix.txt`` beside this file. A route without a row fails the test, so a new admin screen
cannot ship without someone deciding who may open it.

Each row: the route pattern, the object that fills its parameters, and who may open it:
  o comms officer   p comms approver   m moderator   a analyst
  d department administrator   c channel manager (channel permissions, no role)
  s superuser       @ anyone, signed out too
A trailing ``>`` lets a redirect elsewhere in the admin count as opening (the page
explorer sends one to the only parent one may add under). A leading ``*`` means scoped to departments: the other department's object is refused
to everyone but a superuser. ``-`` means nobody (not even a superuser: a read-only
screen's add, edit or delete). ``skip: why`` leaves a route out, with the reason.
"Opened" is a 200; "refused" is a redirect to the log-in or home page, 403 or 404, and
anything else (a 500 above all) fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.security.conftest import World

PERSONAS = {
    "o": "comms_officer",
    "p": "comms_approver",
    "m": "moderator",
    "a": "analyst",
    "d": "department_admin",
    "c": "channel_manager",
    "s": "superuser",
    "@": "anonymous",
}

MATRIX_FILE = Path(__file__).with_name("admin_matrix.txt")


@dataclass(frozen=True)
class Row:
    route: str
    kind: str
    who: str
    scoped: bool
    skip: str = ""
    redirect_opens: bool = False


def parse_matrix(text: str) -> dict[str, Row]:
    rows = {}
    for line in text.strip().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        route, rest = line.split(None, 1)
        if rest.startswith("skip:"):
            rows[route] = Row(route, "", "", False, skip=rest[5:].strip())
            continue
        kind, who = rest.split()
        rows[route] = Row(
            route,
            kind,
            who.strip("*>"),
            who.startswith("*"),
            redirect_opens=who.endswith(">"),
        )
    return rows


def admin_routes() -> list[str]:
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    return sorted(
        {route for route in walk(get_resolver().url_patterns) if route.startswith("admin/")}
    )


MATRIX = parse_matrix(MATRIX_FILE.read_text())
PARAMETER = re.compile(r"<(?:[^>:]+:)?(?P<name>[^>]+)>|\(\?P<(?P<group>[^>]+)>[^)]*\)")


def path_for(route: str, values: dict) -> str:
    def value(match):
        return str(values[match["name"] or match["group"]])

    filled = PARAMETER.sub(value, route.replace("^", "").replace("$", ""))
    return "/" + filled.replace("\\.", ".")


def route_parameters(route: str) -> set[str]:
    return {match["name"] or match["group"] for match in PARAMETER.finditer(route)}


def test_every_admin_route_has_a_row_and_every_row_a_route():
    routes = set(admin_routes())

    missing = sorted(routes - MATRIX.keys())
    stale = sorted(MATRIX.keys() - routes)

    assert not missing, "admin routes without a row in admin_matrix.txt:\n" + "\n".join(missing)
    assert not stale, "rows in admin_matrix.txt for no route:\n" + "\n".join(stale)


def test_every_row_names_a_known_object_and_persona():
    for row in MATRIX.values():
        if row.skip:
            continue
        assert row.kind in OBJECT_KINDS, row
        assert set(row.who) <= set(PERSONAS) | {"-"}, row
        if row.kind == "-":
            assert not route_parameters(row.route), row


# --- The objects that fill the routes' parameters ----------------------------------------


def _page_values(page) -> dict:
    return {
        "pk": page.pk,
        "page_id": page.pk,
        "parent_page_id": page.pk,
        "page_to_move_id": page.pk,
        "revision_id": page.latest_revision_id,
        "revision_id_a": "earliest",
        "revision_id_b": "latest",
    }


def _pk(attribute):
    return lambda world, side: {"pk": getattr(side, attribute).pk}


def _shared(make):
    """An object no department owns: the same one whichever department asks."""
    return lambda world, side: make(world)


def _page_type(world, side):
    return {
        "content_type_app_name": "consultations",
        "content_type_model_name": "consultationpage",
        "app_label": "consultations",
        "model_name": "consultationpage",
    }


OBJECT_KINDS = {
    "-": lambda world, side: {},
    "draft": lambda world, side: _page_values(side.draft),
    "live": lambda world, side: _page_values(side.live),
    "index": _shared(lambda world: _page_values(world.index)),
    "add_page": _shared(
        lambda world: {**_page_type(world, None), "parent_page_id": world.index.pk}
    ),
    "page_type": _shared(lambda world: _page_type(world, None)),
    "response": _pk("response"),
    "channel": _pk("channel"),
    "delivery": _pk("delivery"),
    "collection_state": _pk("collection_state"),
    "quarantined": _pk("quarantined"),
    "membership": _pk("membership"),
    "privacy_notice": _pk("privacy_notice"),
    "department": lambda world, side: {"pk": side.department.pk},
    "user": lambda world, side: {"pk": side.users["comms_officer"].pk},
    "topic": _shared(lambda world: {"pk": world.shared["topic"].pk}),
    "group": _shared(lambda world: {"pk": world.shared["group"].pk}),
    "site": _shared(lambda world: {"pk": world.shared["site"].pk}),
    "collection": _shared(lambda world: {"collection_id": world.shared["collection"].pk}),
    "workflow": _shared(lambda world: {"pk": world.shared["workflow"].pk}),
    "task": _shared(
        lambda world: {"pk": world.shared["task"].pk, "task_id": world.shared["task"].pk}
    ),
    "task_type": _shared(
        lambda world: {"app_label": "consultations", "model_name": "departmentapprovaltask"}
    ),
    "redirect": _shared(lambda world: {"redirect_id": world.shared["redirect"].pk}),
    "locale": _shared(lambda world: {"pk": world.shared["locale"].pk}),
    # simple_translation's snippet route names the model as well as the object.
    "privacy_notice_snippet": lambda world, side: {
        "app_label": "consultations",
        "model_name": "privacynotice",
        "pk": side.privacy_notice.pk,
    },
}
SHARED_KINDS = {
    "-",
    "index",
    "add_page",
    "page_type",
    "topic",
    "group",
    "site",
    "collection",
    "workflow",
    "task",
    "task_type",
    "redirect",
    "locale",
}


@pytest.fixture
def matrix_world(world: World) -> World:
    from django.contrib.auth.models import Group
    from wagtail.contrib.redirects.models import Redirect
    from wagtail.models import Collection, Locale, Site, Task, Workflow

    from consultations.models import ConsultationIndexPage, Topic

    for side in (world.own, world.other):
        side.draft.save_revision()
        side.draft.refresh_from_db()
    world.index = ConsultationIndexPage.objects.get()
    world.shared = {
        "topic": Topic.objects.create(name="Transport and health", slug="transport-health"),
        "group": Group.objects.get(name="Administrator"),
        "site": Site.objects.get(is_default_site=True),
        "collection": Collection.get_first_root_node(),
        "workflow": Workflow.objects.first(),
        "task": Task.objects.first(),
        "redirect": Redirect.objects.create(old_path="/old", redirect_link="/new"),
        # The Welsh locale, not the default one: Wagtail will not delete the default.
        "locale": Locale.objects.get_or_create(language_code="cy")[0],
    }
    return world


# --- The answers ------------------------------------------------------------------------------

LOG_IN_PATH = "/admin/login/"


def outcome(response) -> str:
    if response.status_code == 200:
        return "opened"
    if response.status_code in (403, 404):
        return "refused"
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(LOG_IN_PATH) or location.rstrip("/") in ("/admin", ""):
            return "refused"
        return f"redirected to {location}"
    return f"answered {response.status_code}"


def expected(row: Row, persona: str, *, own: bool) -> set[str]:
    if "@" in row.who:
        # Signed in, the log-in and reset pages may send one home instead.
        return {"opened"} if persona == "@" else {"opened", "refused", "redirected"}
    if persona == "@" or persona not in row.who:
        return {"refused"}
    if row.scoped and not own and persona != "s":
        return {"refused"}
    return {"opened", "redirected"} if row.redirect_opens else {"opened"}


@pytest.mark.parametrize("persona", sorted(set(PERSONAS) - {"@"}) + ["@"])
def test_admin_route_answers_each_role_as_the_matrix_says(
    client, matrix_world, search_backend, persona
):
    world = matrix_world
    if persona == "s":
        client.force_login(world.superuser)
    elif persona != "@":
        client.force_login(world.own.users[PERSONAS[persona]])
    wrong = []
    for row in MATRIX.values():
        if row.skip:
            continue
        make = OBJECT_KINDS[row.kind]
        sides = [("own", world.own)]
        if row.kind not in SHARED_KINDS:
            sides.append(("other", world.other))
        for label, side in sides:
            path = path_for(row.route, make(world, side))
            answer = outcome(client.get(path))
            allowed = expected(row, persona, own=label == "own")
            if answer.split(" to ")[0] not in allowed:
                wrong.append(f"{path} ({label}): {answer}, expected {' or '.join(sorted(allowed))}")
    assert not wrong, f"{PERSONAS[persona]}:\n" + "\n".join(wrong)
