"""Public means public: no public route shows anything of a consultation that is not
live and publicly viewable (password, group restriction, unpublished, expired)."""

from __future__ import annotations

import pytest

from tests.security.conftest import SHARED_WORD
from tests.security.routes import body_of, public_routes

pytestmark = pytest.mark.django_db

# Values for the query parameters that would reveal a hidden consultation's words.
PROBES = {
    "q": SHARED_WORD,
    "consultation": None,  # each planted slug, in turn
}


def _urls(planted) -> list[tuple[str, str]]:
    slugs = [item.page.slug for item in planted.values()]
    references = [reference for item in planted.values() for reference in item.references]
    urls = []
    for route in public_routes(slugs=slugs, references=references):
        urls.append((route.route, route.path))
        if "q" in route.parameters:
            urls.append((route.route, f"{route.path}?q={SHARED_WORD}"))
        if "consultation" in route.parameters:
            urls.extend((route.route, f"{route.path}?consultation={slug}") for slug in slugs)
    return urls


def test_no_public_route_shows_a_consultation_that_is_not_public(client, planted):
    hidden = {kind: item for kind, item in planted.items() if kind != "public"}
    leaks = []
    seen_public = set()
    urls = _urls(planted)
    for route, url in urls:
        response = client.get(url)
        assert response.status_code < 500, f"{url} answered {response.status_code}"
        body = body_of(response)
        for kind, item in hidden.items():
            if item.marker in body:
                leaks.append(f"{url} ({route}) shows the {kind} consultation")
            # A page may repeat its own address (a password form's return URL); any other
            # mention of a hidden consultation's address is a leak.
            if item.page.slug in body and item.page.slug not in url:
                leaks.append(f"{url} ({route}) links to the {kind} consultation")
        if planted["public"].marker in body:
            seen_public.add(route)
    assert not leaks, "\n".join(leaks)
    # The control: the walk reached the routes that do show the public consultation.
    for route in (
        "search/",
        "consultations/<slug:slug>/responses/",
        "consultations/<slug:slug>/responses/<str:reference>/",
        "consultations/<slug:slug>/responses.csv",
        "consultations/<slug:slug>/responses.json",
        "consultations/<slug:slug>/summary/",
        "consultations/<slug:slug>/summary.csv",
        "api/v1/consultations/",
        "api/v1/responses/",
        "page:ConsultationIndexPage",
        "page:ConsultationIndexPage:feed/",
        "page:ConsultationIndexPage:feed/atom/",
        "page:ConsultationPage",
    ):
        assert route in seen_public, f"the walk never saw the public consultation on {route}"
