"""The public routes, walked from the URL resolver and the page tree.

Every URL pattern the hub serves is either walked here (with its path parameters
filled from the planted data, and the query parameters its view reads) or named in
``NOT_PUBLIC_RECORD`` with the reason it shows nothing of the record. A pattern in
neither fails ``public_route_patterns()``, so a new route cannot slip past the tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver
from wagtail.contrib.routable_page.models import RoutablePageMixin
from wagtail.models import Page

from consultations.forms import ConsultationResponseForm
from engagement.opendata.api import api
from search.forms import ResponseSearchForm, SiteSearchForm
from search.status import ReferenceForm

# Patterns (as the resolver spells them, prefixes joined) that are not public routes
# of the record, and why. Everything else the resolver knows must be walked.
NOT_PUBLIC_RECORD = {
    "admin/": "the Wagtail admin: behind log-in (the admin permission matrix covers it)",
    "documents/": "uploaded documents: Wagtail's own collection privacy, no responses",
    "healthz": "service health, no record data (tests/security/test_configuration.py)",
    "metrics": "counts for monitoring, to the health token only (tests/cms/test_metrics.py)",
    "_util/authenticate_with_password/<int:page_view_restriction_id>/<int:page_id>/": (
        "Wagtail's view-password form: redirects to the page once the password is right"
    ),
    "_util/login/": "Wagtail's log-in for group-restricted pages",
    "notifications/unsubscribe/<str:token>/": (
        "the outcome email's signed unsubscribe link: names the consultation only to the "
        "holder of the link (tests/consultations/test_outcome_email.py)"
    ),
    "webhooks/<slug:network>/": (
        "a network's signed webhook: shows nothing, starts a collection "
        "(tests/connectors/test_facebook_webhook.py)"
    ),
}
# Wagtail's page serving: walked through the page tree (every page and its sub-routes).
WAGTAIL_SERVE = r"^((?:[\w\-]+/)*)$"

# The query parameters each route's view reads, from the forms and schema that parse them.
INDEX_PAGE_PARAMETERS = ("status", "department", "topic", "page")


def _api_parameters() -> dict[str, tuple[str, ...]]:
    """Each API path's query parameters, from its own OpenAPI schema."""
    schema = api.get_openapi_schema()
    parameters = {}
    for path, operations in schema["paths"].items():
        names = []
        for operation in operations.values():
            names.extend(p["name"] for p in operation.get("parameters", []) if p["in"] == "query")
        parameters[path.lstrip("/")] = tuple(dict.fromkeys(names))
    # The schema itself, and the API's root (Ninja's 404 for anything else under it).
    parameters["api/v1/schema/"] = ()
    parameters["api/v1/"] = ()
    return parameters


def _form_parameters(form_class, **kwargs) -> tuple[str, ...]:
    return (*form_class(**kwargs).fields, "page")


def query_parameters() -> dict[str, tuple[str, ...]]:
    """Route (pattern or page sub-route) -> the query parameters its view reads."""
    return {
        "search/": _form_parameters(SiteSearchForm),
        "response-status/": tuple(ReferenceForm().fields),
        "consultations/<slug:slug>/responses/": _form_parameters(ResponseSearchForm),
        "consultations/<slug:slug>/responses/<str:reference>/": (),
        "consultations/<slug:slug>/responses.csv": (),
        "consultations/<slug:slug>/responses.json": (),
        "consultations/<slug:slug>/ledger.csv": (),
        "consultations/<slug:slug>/summary/": (),
        "consultations/<slug:slug>/summary.csv": (),
        "sitemap.xml": (),
        "privacy/": (),
        "privacy/<slug:slug>/": (),
        **_api_parameters(),
        # Wagtail pages: the index's filters; the response form takes its fields by POST.
        "page:ConsultationIndexPage": INDEX_PAGE_PARAMETERS,
        "page:ConsultationIndexPage:feed/": (),
        "page:ConsultationIndexPage:feed/atom/": (),
        "page:ConsultationIndexPage:feed/outcomes/": (),
        "page:ConsultationPage": (),
        "page:ConsultationPage:respond/": (),
        "page:ConsultationPage:respond/confirmation/": (),
        "page:HomePage": (),
        "page:Page": (),
    }


RESPONSE_FORM_FIELDS = tuple(ConsultationResponseForm(questions=[]).fields)


def _walk(resolvers, prefix: str = "") -> Iterator[str]:
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            joined = prefix + str(entry.pattern)
            if joined in NOT_PUBLIC_RECORD:
                continue
            yield from _walk(entry.url_patterns, joined)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def public_route_patterns() -> list[str]:
    """Every pattern of the resolver that the public can reach, each one known here."""
    known = query_parameters()
    patterns = []
    unknown = []
    for pattern in _walk(get_resolver().url_patterns):
        if pattern in NOT_PUBLIC_RECORD:
            continue
        if pattern == WAGTAIL_SERVE:
            patterns.append(pattern)
        elif pattern in known:
            patterns.append(pattern)
        else:
            unknown.append(pattern)
    assert not unknown, (
        f"Routes not covered by the public-route tests: {unknown}. Add each to "
        "tests/security/routes.py (its query parameters) or NOT_PUBLIC_RECORD (why it is not public)."
    )
    assert WAGTAIL_SERVE in patterns, "Wagtail's page serving moved: walk pages another way"
    return patterns


@dataclass(frozen=True)
class Route:
    """One URL to request, and the route it came from (a pattern or a page's sub-route)."""

    route: str
    path: str
    parameters: tuple[str, ...] = field(default=())


_PLACEHOLDER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _fill(pattern: str, values: dict[str, str]) -> str | None:
    names = [name for _converter, name in _PLACEHOLDER.findall(pattern)]
    if any(name not in values for name in names):
        return None
    return "/" + _PLACEHOLDER.sub(lambda match: values[match.group(2)], pattern)


def page_routes() -> Iterator[Route]:
    """Every page of the tree (restricted or not), and each routable page's sub-routes."""
    known = query_parameters()
    for page in Page.objects.specific().order_by("path"):
        url = page.get_url()
        if not url:
            continue
        kind = type(page).__name__
        key = f"page:{kind}"
        assert key in known, f"Page type {kind} is not in tests/security/routes.py"
        yield Route(key, url, known[key])
        if isinstance(page, RoutablePageMixin):
            for sub in page.get_subpage_urls():
                sub_pattern = str(sub.pattern)
                if not sub_pattern:
                    continue
                sub_key = f"{key}:{sub_pattern}"
                assert sub_key in known, f"Sub-route {sub_key} is not in tests/security/routes.py"
                yield Route(sub_key, url + sub_pattern, known[sub_key])


def public_routes(*, slugs: list[str], references: list[str]) -> list[Route]:
    """Every public URL: each pattern filled with every slug (and every reference under
    every slug, so one consultation's page cannot show another's response), and the pages."""
    known = query_parameters()
    routes: list[Route] = []
    for pattern in public_route_patterns():
        if pattern == WAGTAIL_SERVE:
            routes.extend(page_routes())
            continue
        for slug in slugs:
            for reference in references or [""]:
                path = _fill(pattern, {"slug": slug, "reference": reference})
                if path is None:
                    continue
                route = Route(pattern, path, known[pattern])
                if route not in routes:
                    routes.append(route)
    return routes


def body_of(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return content.decode("utf-8", errors="replace")
