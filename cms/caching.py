"""The public pages from a shared cache, and what the hub answers while the database is away.

Why and how: docs/adr/0016-public-page-caching.md. In short:

- Only anonymous GETs are served from the cache or stored in it: a request with a session
  (or Django's messages) cookie, or an ``Authorization`` header, passes straight through.
  A page is stored only when it is a 200, not streamed, set no cookie, used no session and
  no CSRF token (the response form and the status lookup never are), and only on the routes
  that declare what they depend on (``_CACHED_ROUTES``, and Wagtail's pages through
  ``page_cache_scopes_for``).
- A key per host, path with its query and active language.
- Every stored page remembers the *generations* it was built at: the site's (bumped when a
  page is published, unpublished or moved) and its consultation's, or the whole record's
  for pages that read every consultation (bumped when a response, an answer, an analysis or
  a summary of it changes). A bump is one cache write, so invalidation is O(1) however
  many pages a consultation has; a copy whose generations moved is never served again.
  The generations are read before the view reads the database, so a copy built from rows
  older than a bump is stored under the old generation and never served.
- Each copy is fresh for ``HUB_PAGE_CACHE_SECONDS`` and kept for
  ``HUB_PAGE_CACHE_STALE_SECONDS`` more: a copy past its freshness, at the current
  generations, is what the hub answers when the database or the search node fails.
- The CSP nonce: the stored body carries a placeholder where the page had its nonce, and
  each answer from the cache gets a new nonce in both its body and its header.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template import loader
from django.utils.cache import (
    get_conditional_response,
    patch_cache_control,
    patch_vary_headers,
)
from django.utils.http import http_date
from django.utils.translation import get_language, get_language_from_path, override

logger = logging.getLogger(__name__)

SITE = "site"
RECORD = "record"
_PAGE_PREFIX = "hub:page:"
_GENERATION_PREFIX = "hub:page-generation:"
# Where a page had its CSP nonce; a fresh nonce replaces it in every answer from the cache.
NONCE_PLACEHOLDER = b"hub-csp-nonce-placeholder-7c1e"
# Headers a stored page keeps: what describes its body. The rest (CSP, request id, frame
# options, cookies) is added by the middleware outside this one, per answer.
_KEPT_HEADERS = ("Content-Type", "Content-Language", "Content-Disposition", "Link")
# The database is away (refused, dropped, timed out): answer from the cache or a 503.
DATABASE_AWAY = (OperationalError, InterfaceError)
# Search errors belong to the search node's client; the search views say so themselves.
HEADER = "X-Hub-Cache"


def consultation_scope(slug: str) -> str:
    return f"consultation:{slug}"


# --- Generations -----------------------------------------------------------------


def _generation_key(scope: str) -> str:
    return _GENERATION_PREFIX + hashlib.sha256(scope.encode()).hexdigest()[:32]


def generations_read(*, scopes: Sequence[str]) -> dict[str, str]:
    """The current generation of each scope; a scope never bumped (or evicted) gets one."""
    keys = {scope: _generation_key(scope) for scope in scopes}
    found = cache.get_many(list(keys.values()))
    missing = [scope for scope, key in keys.items() if key not in found]
    for scope in missing:
        # add, not set: two processes starting a scope at once agree on one generation.
        cache.add(keys[scope], uuid.uuid4().hex, timeout=None)
    if missing:
        found.update(cache.get_many([keys[scope] for scope in missing]))
    return {scope: found.get(key, "") for scope, key in keys.items()}


def _bump(scopes: Iterable[str]) -> None:
    scopes = sorted(set(scopes))
    if not scopes:
        return
    try:
        cache.set_many({_generation_key(scope): uuid.uuid4().hex for scope in scopes}, None)
    except Exception:  # noqa: BLE001 - a cache outage must not fail the write that changed the record
        logger.exception("Could not invalidate the cached pages of %s", scopes)


def pages_invalidate(*, scopes: Iterable[str]) -> None:
    """Make every cached page of these scopes unservable: now, and again when the caller's
    transaction commits (a page built between the two, from rows not yet committed, was
    stored under the first bump and is dropped by the second)."""
    scopes = list(scopes)
    _bump(scopes)
    if not transaction.get_autocommit():
        transaction.on_commit(lambda: _bump(scopes))


def pages_invalidate_for_consultations(*, consultation_ids: Iterable[int]) -> None:
    from consultations.models import ConsultationPage

    ids = sorted(set(consultation_ids))
    if not ids:
        return
    slugs = ConsultationPage.objects.filter(pk__in=ids).values_list("slug", flat=True)
    pages_invalidate(scopes=[RECORD, *(consultation_scope(slug) for slug in slugs)])


def pages_invalidate_for_responses(*, response_ids: Iterable[int]) -> None:
    from engagement.record.models import Response

    ids = list(response_ids)
    if not ids:
        return
    slugs = (
        Response.objects.filter(pk__in=ids)
        .values_list("consultation__slug", flat=True)
        .distinct()
        .order_by()
    )
    pages_invalidate(scopes=[RECORD, *(consultation_scope(slug) for slug in slugs)])


# --- What a request may take from the cache -------------------------------------------


@dataclass
class _Plan:
    """What the middleware learnt about a request on its way in."""

    key: str
    scopes: tuple[str, ...] = ()
    generations: dict[str, str] = field(default_factory=dict)
    stale: dict[str, Any] | None = None
    # When what the page shows changes by the clock alone (a consultation opening, closing,
    # showing its outcome, expiring): the copy is fresh until then at most.
    changes_at: float | None = None


def _anonymous(request: HttpRequest) -> bool:
    cookies = request.COOKIES
    return (
        settings.SESSION_COOKIE_NAME not in cookies
        and "messages" not in cookies
        and "HTTP_AUTHORIZATION" not in request.META
    )


def _page_key(request: HttpRequest) -> str:
    identity = f"{request.get_host()}\n{request.get_full_path()}\n{get_language() or ''}"
    return _PAGE_PREFIX + hashlib.sha256(identity.encode()).hexdigest()


def page_cache_scopes_set(request: HttpRequest, *, scopes: Sequence[str]) -> None:
    """Declare what the page being built depends on (call before the view reads anything):
    only then may it be stored. The generations are read now, before the database."""
    plan: _Plan | None = getattr(request, "_hub_page_cache", None)
    if plan is None or plan.scopes:
        return
    try:
        plan.generations = generations_read(scopes=[SITE, *scopes])
    except Exception:  # noqa: BLE001 - no cache, no caching: the page is built as usual
        logger.warning("The page cache is unreachable; %s is served uncached", request.path)
        return
    plan.scopes = (SITE, *scopes)


def page_cache_scopes_for(page) -> tuple[str, ...] | None:
    """Wagtail pages served from the cache: the home page, the consultation index (and its
    feeds) and a consultation's own page (its form needs a CSRF token and is never stored)."""
    from cms.home.models import HomePage
    from consultations.models import ConsultationIndexPage, ConsultationPage

    specific_class = page.specific_class
    if specific_class is not None and issubclass(specific_class, ConsultationPage):
        return (consultation_scope(page.slug),)
    if specific_class is not None and issubclass(specific_class, HomePage | ConsultationIndexPage):
        return ()
    return None


def _slug_scope(view_kwargs: dict[str, Any]) -> tuple[str, ...]:
    return (consultation_scope(view_kwargs["slug"]),)


def _record_scope(view_kwargs: dict[str, Any]) -> tuple[str, ...]:
    return (RECORD,)


# (namespace, url name) of the Django views whose anonymous GETs are cached, and the scopes
# each depends on. The exports (responses.csv/.json) are streamed in constant memory and are
# left to the CDN's headers only; the status lookup and the form use CSRF and never are.
_CACHED_ROUTES: dict[tuple[str, str], Callable[[dict[str, Any]], tuple[str, ...]]] = {
    ("hubsearch", "consultation_responses"): _slug_scope,
    ("hubsearch", "consultation_response"): _slug_scope,
    ("hubsearch", "site_search"): _record_scope,
    ("", "consultation_summary"): _slug_scope,
    ("", "consultation_summary_csv"): _slug_scope,
}
# The open-data API reads every consultation (counts, responses): the record's scope.
_CACHED_NAMESPACES = {"api-v1": _record_scope}


def _cacheable(request: HttpRequest, response: HttpResponseBase) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE") or request.META.get("CSRF_COOKIE_USED"):
        return False  # the body holds a CSRF token (a form)
    # Read (the user bar asks who is signed in) is fine without a session cookie: it was
    # empty. Written is not: the answer would set a cookie.
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return False
    cache_control = response.get("Cache-Control", "")
    if any(word in cache_control for word in ("private", "no-store", "no-cache")):
        return False
    return "*" not in response.get("Vary", "")


def _public_headers(response: HttpResponseBase) -> None:
    patch_cache_control(
        response,
        public=True,
        max_age=settings.HUB_PAGE_MAX_AGE,
        s_maxage=settings.HUB_PAGE_CDN_MAX_AGE,
    )
    patch_vary_headers(response, ("Cookie", "Accept-Language"))


def _nonce(request: HttpRequest) -> str | None:
    nonce = getattr(request, "_csp_nonce", None)
    return nonce if isinstance(nonce, str) else None


def _entry_from(request: HttpRequest, response: HttpResponse, plan: _Plan) -> dict[str, Any]:
    body = response.content
    nonce = _nonce(request)
    if nonce:
        body = body.replace(nonce.encode(), NONCE_PLACEHOLDER)
    now = time.time()
    return {
        "status": response.status_code,
        "body": body,
        "headers": [(name, response[name]) for name in _KEPT_HEADERS if name in response],
        "generations": plan.generations,
        "fresh_until": min(now + settings.HUB_PAGE_CACHE_SECONDS, plan.changes_at or float("inf")),
        "stored_at": int(now),
        # Weak: two answers from one copy differ in their nonce only.
        "etag": 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"',
    }


def _validators(response: HttpResponseBase, entry: dict[str, Any]) -> None:
    response["ETag"] = entry["etag"]
    response["Last-Modified"] = http_date(entry["stored_at"])


def _conditional(
    request: HttpRequest, response: HttpResponse, entry: dict[str, Any]
) -> HttpResponseBase:
    answer = get_conditional_response(
        request, etag=entry["etag"], last_modified=entry["stored_at"], response=response
    )
    if answer is None or answer is response:
        return response
    # A 304 refreshes the headers of the browser's stored copy: a CSP header with a new
    # nonce would no longer match the nonce in that copy's body.
    answer._csp_exempt = True  # type: ignore[attr-defined]
    _public_headers(answer)
    answer[HEADER] = response[HEADER]
    return answer


def _answer_from(request: HttpRequest, entry: dict[str, Any], *, state: str) -> HttpResponseBase:
    body = entry["body"]
    if NONCE_PLACEHOLDER in body:
        # Evaluating the lazy nonce makes the CSP middleware put this same one in the header.
        body = body.replace(NONCE_PLACEHOLDER, str(request.csp_nonce).encode())  # type: ignore[attr-defined]
    response = HttpResponse(body, status=entry["status"])
    for name, value in entry["headers"]:
        response[name] = value
    response[HEADER] = state
    _validators(response, entry)
    if state == "stale":
        # The copy outlived its freshness: nobody downstream may keep it as fresh.
        patch_cache_control(response, no_cache=True)
        patch_vary_headers(response, ("Cookie", "Accept-Language"))
        return response
    _public_headers(response)
    return _conditional(request, response, entry)


# --- The middleware ----------------------------------------------------------------


class PublicPageCacheMiddleware:
    """Anonymous GETs of the public pages from the cache; a stale copy, or a 503, when the
    database is away."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        failed_before = _database_failed_before()
        if not settings.HUB_PAGE_CACHE:
            response = self.get_response(request)
            if _anonymous(request) and _built_without_the_database(response, failed_before):
                return database_away_response(request)
            return response
        if not _anonymous(request):
            response = self.get_response(request)
            if getattr(request, "_hub_page_cache_route", False):
                # A signed-in view of a public page: no shared cache may keep it.
                patch_cache_control(response, private=True, no_cache=True)
            return response
        plan = _Plan(key=_page_key(request))
        try:
            entry = cache.get(plan.key)
            if entry is not None and entry["generations"] != generations_read(
                scopes=list(entry["generations"])
            ):
                entry = None  # something it shows changed: never served again
        except Exception:  # noqa: BLE001 - no cache: every page is built as it would be without
            logger.warning("The page cache is unreachable; %s is served uncached", request.path)
            return self.get_response(request)
        if entry is not None:
            if entry["fresh_until"] > time.time():
                return _answer_from(request, entry, state="hit")
            plan.stale = entry
        request._hub_page_cache = plan  # type: ignore[attr-defined]
        response = self.get_response(request)
        if _built_without_the_database(response, failed_before):
            return database_away_response(request)
        if connection.errors_occurred and not failed_before:
            return response  # not HTML, but no copy of it is kept either
        if response.status_code == 503 and plan.stale is not None:
            # The view could not reach a service it needs (the search node): the last good
            # copy, at the current generations, says more than the outage notice.
            return _answer_from(request, plan.stale, state="stale")
        if (
            not plan.scopes
            or not isinstance(response, HttpResponse)
            or not _cacheable(request, response)
        ):
            return response
        entry = _entry_from(request, response, plan)
        try:
            cache.set(
                plan.key,
                entry,
                timeout=settings.HUB_PAGE_CACHE_SECONDS + settings.HUB_PAGE_CACHE_STALE_SECONDS,
            )
        except Exception:  # noqa: BLE001 - the page is still answered, only not kept
            logger.warning("The page cache is unreachable; %s was not stored", request.path)
        response[HEADER] = "miss"
        _public_headers(response)
        _validators(response, entry)
        return _conditional(request, response, entry)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        scopes_for = _CACHED_ROUTES.get((match.namespace, match.url_name)) or next(
            (
                scopes
                for namespace, scopes in _CACHED_NAMESPACES.items()
                if namespace in match.namespaces
            ),
            None,
        )
        if scopes_for is None:
            return None
        request._hub_page_cache_route = True
        page_cache_scopes_set(request, scopes=scopes_for(view_kwargs))
        return None

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_AWAY):
            return database_away_response(request)
        return None


# A consultation's moments at which its page changes with no one publishing anything.
_SCHEDULED_MOMENTS = ("opens_at", "closes_at", "outcome_published_at", "expire_at")


def page_served(page, request, serve_args, serve_kwargs) -> None:
    """Wagtail's ``before_serve_page`` hook: a page the cache may keep declares its scopes."""
    if not settings.HUB_PAGE_CACHE:
        return None
    scopes = page_cache_scopes_for(page)
    if scopes is None:
        return None
    request._hub_page_cache_route = True
    page_cache_scopes_set(request, scopes=scopes)
    plan: _Plan | None = getattr(request, "_hub_page_cache", None)
    if plan is not None:
        now = time.time()
        upcoming = [
            moment.timestamp()
            for name in _SCHEDULED_MOMENTS
            if (moment := getattr(page, name, None)) is not None and moment.timestamp() > now
        ]
        plan.changes_at = min(upcoming, default=None)
    return None


# --- The database is away -------------------------------------------------------------

RETRY_AFTER_SECONDS = 120


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """GOV.UK's "Sorry, the service is unavailable" page, built without the database. A
    POST's fields are shown and can be sent again: nothing the person typed is lost."""
    fields = []
    if request.method == "POST":
        fields = [
            (name, value)
            for name, values in request.POST.lists()
            if name != "csrfmiddlewaretoken"
            for value in values
        ]
    body: str
    try:
        with override(_language_of_address(request)):
            body = loader.render_to_string(
                "503.html",
                {"fields": fields, "retry_minutes": RETRY_AFTER_SECONDS // 60},
                request=request,
            )
    except Exception:  # noqa: BLE001 - the page must not fail the way the service did
        logger.exception("The 503 page could not be rendered")
        body = (
            "<!DOCTYPE html><title>Sorry, the service is unavailable</title>"
            "<h1>Sorry, the service is unavailable</h1><p>Try again in a few minutes.</p>"
        )
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    patch_cache_control(response, no_store=True)
    return response


def _database_failed_before() -> bool:
    """Whether the connection had already failed when this request came in (never under a
    server: ``close_old_connections`` closes a failed one first). A closed one starts
    afresh: ``connect()`` clears Django's flag before it tries anyway."""
    if connection.connection is None:
        connection.errors_occurred = False
    return connection.errors_occurred


def _built_without_the_database(response: HttpResponseBase, failed_before: bool) -> bool:
    """An HTML page that reached the database, failed, and was answered all the same.

    Django's ``{% if %}`` turns any exception in its condition into False, the database
    refusing included: such a page is missing what the condition read (a language link,
    a list) and must be neither shown nor kept as a good copy.
    """
    return (
        not failed_before
        and response.status_code < 500
        and response.get("Content-Type", "").startswith("text/html")
        # Set by every database error Django sees, whoever catches it; kept until the
        # connection is opened again (which, with the database away, fails and sets it).
        and connection.errors_occurred
    )


def database_away_response(request: HttpRequest) -> HttpResponseBase:
    """A stale copy of the page at the current generations if there is one, else the 503."""
    # exc_info is None when the error was swallowed on the way (``_built_without_the_database``).
    logger.error("The database is unreachable while serving %s", request.path, exc_info=True)
    plan: _Plan | None = getattr(request, "_hub_page_cache", None)
    if plan is not None and plan.stale is not None:
        return _answer_from(request, plan.stale, state="stale")
    return service_unavailable(request)


def server_error(request: HttpRequest) -> HttpResponseBase:
    """``handler500``: the database away anywhere (a middleware, a page lookup) is a 503."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_AWAY):
        return database_away_response(request)
    with override(_language_of_address(request)):
        return HttpResponse(loader.render_to_string("500.html"), status=500)


def _language_of_address(request: HttpRequest) -> str:
    """The page's language from its address alone (``/cy/...`` is Welsh): the middleware
    that would have said may not have run when the service failed."""
    return get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
