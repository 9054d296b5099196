"""Facebook Pages (the Graph API, a pinned version) through Meta's own ``facebook-business`` SDK.

The SDK's ``FacebookAdsApi.call`` is its Graph client for every node and edge; its
``FacebookSession`` carries the Page access token, the ``appsecret_proof`` and the
``requests`` session. Its ``GRAPH`` attribute is where it sends requests: set on the
session to the channel's base URL (a sandbox, or the real ``graph.facebook.com``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from facebook_business.api import FacebookAdsApi
from facebook_business.exceptions import FacebookRequestError
from facebook_business.session import FacebookSession
from pydantic import Field

from connectors.base import Connector, RoutePage, jsonable, parse_time
from connectors.exceptions import (
    ConnectorError,
    NotFound,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
    TransientError,
)
from connectors.formatting import URL_PATTERN, NetworkRules
from connectors.schemas import SecretsSchema
from connectors.types import (
    MENTIONED_ROUTE,
    CollectionScope,
    ExternalAccount,
    ExternalPost,
    IncomingReply,
    OutgoingPost,
    PostState,
    QuarantinedItem,
    RateLimit,
    WebhookEvent,
)

GRAPH_API_VERSION = "v23.0"
# Graph's throttling error codes (developers.facebook.com/docs/graph-api/overview/rate-limiting):
# 4 application, 17 user, 32 Page, 613 "calls within one hour", 341 application limit,
# 80001 Pages Business Use Case.
RATE_LIMIT_CODES = frozenset({4, 17, 32, 341, 613, 80001})
# 190 an invalid or expired token, 102 a session, 10 and 200-299 a missing permission.
TOKEN_CODES = frozenset({102, 190})
PERMISSION_CODES = frozenset({10, *range(200, 300)})
# (#100) with subcode 33: "Object with ID ... does not exist, cannot be loaded due to missing
# permissions, or does not support this operation".
NOT_FOUND_SUBCODE = 33
# Graph's usage headers are percentages of the limits; past this one we stop before Graph does.
USAGE_PAUSE_PERCENT = 90
# Platform limits are counted over a rolling hour and X-App-Usage gives no time to wait:
# a pause of this many seconds lets the window slide before the next request.
DEFAULT_PAUSE_SECONDS = 300
USAGE_HEADERS = ("x-app-usage", "x-page-usage", "x-business-use-case-usage")
COMMENT_FIELDS = "id,message,created_time,from{id,name},parent{id},is_hidden,permalink_url"
POST_FIELDS = "id,message,created_time,permalink_url,from{id,name}"
# A post in which the Page was tagged: Graph leaves ``from`` out of a person's post (only
# its author may read it), so the author is known by the post id's owner prefix.
TAGGED_FIELDS = POST_FIELDS
# A Page post's public counts: the edges' summaries alone (``limit(0)``: no items).
METRIC_FIELDS = (
    "reactions.limit(0).summary(total_count),comments.limit(0).summary(total_count),shares"
)
MAX_MARK_IDS = 100
# The Page ``feed`` webhook's verbs (Meta's Page webhooks reference: add, block, edit, edited,
# delete, follow, hide, mute, remove, unblock, unhide, update) that take a comment out of
# public view, and what the deletion sweep would find at the source afterwards.
WITHDRAWING_VERBS = {"remove": PostState.DELETED, "hide": PostState.PRIVATE}
# Mentioning comments read per page of the ``mentioned`` route (one Graph request each).
MENTIONED_PER_PAGE = 25


class GraphAnswerUnreadable(Exception):
    """Graph's answer was not the JSON object every node and edge returns."""

    def __init__(self, status: int | None, message: str):
        super().__init__(message)
        self.status = status


class FacebookSecrets(SecretsSchema):
    page_access_token: str = Field(min_length=1, title="Page access token")
    app_secret: str = Field(min_length=1, title="App secret")
    app_id: str = Field(default="", title="App id", json_schema_extra={"secret": False})
    webhook_verify_token: str = Field(default="", title="Webhook verify token")


def usage_percent(headers: Mapping[str, str]) -> tuple[float, int]:
    """The highest percentage Graph's usage headers report, and the most minutes
    ``estimated_time_to_regain_access`` asks to wait (0 when none says)."""
    highest, minutes = 0.0, 0
    lowered = {str(name).lower(): value for name, value in headers.items()}
    for name in USAGE_HEADERS:
        raw = lowered.get(name)
        if not raw:
            continue
        try:
            usage = json.loads(raw)
        except ValueError:
            continue
        # X-Business-Use-Case-Usage is {business id: [usage, ...]}; the others one usage.
        if name == "x-business-use-case-usage" and isinstance(usage, dict):
            entries = [
                item for items in usage.values() if isinstance(items, list) for item in items
            ]
        else:
            entries = [usage]
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            for key in ("call_count", "total_time", "total_cputime"):
                value = entry.get(key)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    highest = max(highest, float(value))
            wait = entry.get("estimated_time_to_regain_access")
            if isinstance(wait, int | float) and not isinstance(wait, bool):
                minutes = max(minutes, math.ceil(wait))
    return highest, minutes


class FacebookConnector(Connector):
    network = "facebook"
    label = "Facebook"
    default_base_url = "https://graph.facebook.com"
    #: A Page answering comments on its own posts is what the Graph API's comment
    #: endpoints are for (the README).
    automated_replies_allowed = True
    secrets_schema = FacebookSecrets
    # A Page post's message: 63,206 characters; links count as written.
    text_rules = NetworkRules(network="Facebook", limit=63_206)
    idempotent_writes = False
    poll_interval = 30
    # Pages calls with a Page token fall under Business Use Case limits (4,800 calls per
    # engaged user a day); ours is far below, and the usage headers stop us first anyway.
    request_budget = 600
    # Comments carry no edit time (Graph's Comment has no updated_time).
    edits_untimed = True
    receives_webhooks = True
    backend_options = {"GRAPH_API_VERSION": "graph_api_version"}
    graph_api_version = GRAPH_API_VERSION
    client_errors = (FacebookRequestError, GraphAnswerUnreadable, requests.RequestException)

    def __init__(self, credentials, *, timeout=10.0, options=None):
        super().__init__(credentials, timeout=timeout, options=options)
        session = FacebookSession(
            app_secret=self.secrets.app_secret,
            access_token=self.secrets.page_access_token,
            timeout=timeout,
        )
        # The SDK sends every request to session.GRAPH + "/" + version + path.
        session.GRAPH = self.base_url
        self.http_session(session.requests)
        self.api = FacebookAdsApi(session, api_version=self.graph_api_version)
        self._paused_until: datetime | None = None
        self._last_usage: RateLimit | None = None

    # --- Requests and errors ----------------------------------------------------------------

    def _request(self, method: str, path: tuple[str, ...], params: dict | None) -> dict:
        response = self.api.call(method, path, params=params or {})
        self._usage_note(response.headers())
        body = response.json()
        status = response.status()
        # The SDK takes any non-JSON body as success (it only looks for "error" in it).
        if not isinstance(body, dict) or (status is not None and status >= 400):
            raise GraphAnswerUnreadable(
                status, f"Graph answered HTTP {status} without a JSON object"
            )
        return body

    def _graph(
        self, what: str, method: str, path: Sequence[str], params=None, *, write: bool = False
    ) -> dict:
        now = datetime.now(tz=UTC)
        if self._paused_until is not None and self._paused_until > now:
            # Graph's usage headers said we are near a limit: stop before Graph refuses.
            raise RateLimited(self._paused_until, f"Facebook usage near its limit before {what}")
        return self._call(what, self._request, method, tuple(path), params, write=write)

    def _usage_note(self, headers: Mapping[str, str]) -> None:
        percent, minutes = usage_percent(headers)
        reset_at = None
        if percent >= USAGE_PAUSE_PERCENT:
            wait = minutes * 60 if minutes else DEFAULT_PAUSE_SECONDS
            reset_at = datetime.now(tz=UTC) + timedelta(seconds=wait)
            self._paused_until = reset_at
        self._last_usage = RateLimit(
            limit=100, remaining=max(0, 100 - math.ceil(percent)), reset_at=reset_at
        )

    def translate_error(self, error: BaseException, what: str) -> ConnectorError:
        if isinstance(error, GraphAnswerUnreadable):
            if error.status is not None and error.status >= 500:
                return TransientError(f"Facebook server error on {what}: HTTP {error.status}")
            return OutcomeUnknown(f"Facebook answered {what} with {error}")
        if isinstance(error, requests.RequestException):
            return OutcomeUnknown(f"no answer from Facebook to {what}: {error}")
        assert isinstance(error, FacebookRequestError)  # noqa: S101 - client_errors says so
        headers = error.http_headers() or {}
        self._usage_note(headers)
        code = error.api_error_code()
        subcode = error.api_error_subcode()
        message = error.api_error_message() or "no message"
        status = error.http_status()
        if code in RATE_LIMIT_CODES or status == 429:
            _, minutes = usage_percent(headers)
            wait = minutes * 60 if minutes else DEFAULT_PAUSE_SECONDS
            reset_at = datetime.now(tz=UTC) + timedelta(seconds=wait)
            self._paused_until = reset_at
            return RateLimited(reset_at, f"Facebook rate limit on {what} (#{code})")
        if code in TOKEN_CODES:
            return PermanentError(f"Facebook refused the Page access token: {message}")
        if code in PERMISSION_CODES:
            return PermanentError(f"Facebook refused {what} for want of a permission: {message}")
        if (code == 100 and subcode == NOT_FOUND_SUBCODE) or status == 404:
            return NotFound(f"Facebook could not find what {what} needs")
        if (status is not None and status >= 500) or error.api_transient_error() or code in (1, 2):
            return TransientError(f"Facebook server error on {what}: {message}")
        return PermanentError(f"Facebook refused {what}: {message}")

    # --- Account -------------------------------------------------------------------------

    def verify(self) -> ExternalAccount:
        page = self._graph("me", "GET", ("me",), {"fields": "id,name,username"})
        return ExternalAccount(
            id=str(page["id"]),
            handle=str(page.get("username") or page.get("name") or page["id"]),
            display_name=str(page.get("name") or ""),
            credentials_expire_at=self._token_expiry(),
        )

    def _token_expiry(self) -> datetime | None:
        """The Page token's expiry from ``debug_token`` (None: never, or not known).

        A Page token got from a long-lived user token does not expire (``expires_at`` 0)
        but loses access to data at ``data_access_expires_at``: the earlier one counts.
        """
        try:
            answer = self._graph(
                "debug_token",
                "GET",
                ("debug_token",),
                {"input_token": self.secrets.page_access_token},
            )
        except (PermanentError, TransientError):
            return None
        data = answer.get("data")
        if not isinstance(data, dict):
            return None
        moments = [
            int(value)
            for value in (data.get("expires_at"), data.get("data_access_expires_at"))
            if isinstance(value, int) and not isinstance(value, bool) and value > 0
        ]
        return datetime.fromtimestamp(min(moments), tz=UTC) if moments else None

    def _page_id(self) -> str:
        return self.credentials.account_id or self.verify().id

    # --- Publishing ------------------------------------------------------------------------

    def publish(self, post: OutgoingPost) -> ExternalPost:
        """One Page post; the first link in the text becomes its ``link`` (the preview card).

        Facebook has no threads: a reply_to is posted as a comment on the post it answers.
        """
        params = {"message": post.text}
        if post.reply_to is not None:
            created = self._graph(
                "comment", "POST", (post.reply_to.id, "comments"), params, write=True
            )
        else:
            link = URL_PATTERN.search(post.text)
            if link:
                params["link"] = link.group(0)
            created = self._graph("feed", "POST", (self._page_id(), "feed"), params, write=True)
        post_id = str(created.get("id") or "")
        if not post_id:
            raise OutcomeUnknown("Facebook answered the post without its id")
        return self.published(post, post_id)

    def delete(self, post: ExternalPost) -> None:
        try:
            self._graph("delete", "DELETE", (post.id,), write=True)
        except NotFound:
            return

    def recent_posts(self, *, limit: int = 50) -> list[ExternalPost]:
        answer = self._graph(
            "posts",
            "GET",
            (self._page_id(), "posts"),
            {"fields": POST_FIELDS, "limit": str(max(1, min(limit, 100)))},
        )
        posts = []
        for item in answer.get("data") or []:
            if isinstance(item, dict) and item.get("id"):
                posts.append(
                    ExternalPost(
                        id=str(item["id"]),
                        url=str(item.get("permalink_url") or self.public_url(str(item["id"]))),
                        text=str(item.get("message") or ""),
                        created_at=parse_time(item.get("created_time")),
                        author_id=str((item.get("from") or {}).get("id") or ""),
                        root_id=str(item["id"]),
                    )
                )
        return posts

    def own_replies(self, post: ExternalPost, *, limit: int = 50) -> list[ExternalPost]:
        """The Page's own comments on ``post``, newest first: replies are comments here,
        not Page posts, so ``recent_posts`` never lists them."""
        answer = self._graph(
            "comments",
            "GET",
            (post.id, "comments"),
            {
                "filter": "toplevel",
                "order": "reverse_chronological",
                "fields": COMMENT_FIELDS,
                "limit": str(max(1, min(limit, 100))),
            },
        )
        page_id = self._page_id()
        return [
            ExternalPost(
                id=str(item["id"]),
                url=str(item.get("permalink_url") or self.public_url(str(item["id"]))),
                text=str(item.get("message") or ""),
                created_at=parse_time(item.get("created_time")),
                author_id=page_id,
                reply_to_id=post.id,
                root_id=post.root_id or post.id,
            )
            for item in answer.get("data") or []
            if isinstance(item, dict)
            and item.get("id")
            and str((item.get("from") or {}).get("id") or "") == page_id
        ]

    def public_url(self, post_id: str) -> str:
        """facebook.com/<page id>_<post id> opens the post; elsewhere (a sandbox) its own host."""
        if self.base_url == self.default_base_url:
            return f"https://www.facebook.com/{post_id}"
        return f"{self.base_url}/{post_id}"

    # --- Collecting --------------------------------------------------------------------------

    def collection_routes(self, scope: CollectionScope) -> list[str]:
        # Graph has no public search of posts by hashtag: the Page's own posts are the routes,
        # and the posts that tag the Page (its ``tagged`` edge), which belong by the hashtag.
        # Comments that mention the Page on other people's posts are listed nowhere: the
        # webhook's ``mention`` changes name them, kept in the ``mentioned`` route's state.
        routes = [f"comments:{root}" for root in scope.root_ids]
        if scope.hashtag:
            routes.extend(["tagged", MENTIONED_ROUTE])
        return routes

    def fetch_route_page(self, route: str, state: dict, scope: CollectionScope) -> RoutePage:
        if route == "tagged":
            return self._tagged_page(state, scope)
        if route == MENTIONED_ROUTE:
            return self._mentioned_page(state)
        return self._comments_page(route, state, scope)

    def _mentioned_page(self, state: dict) -> RoutePage:
        """The next comments the webhook said mention the Page, each read by its id
        (``GET /{comment-id}``). A deleted or hidden one is dropped; the rest wait in the
        state, which is saved only with the page's rows, so an error loses none."""
        pending = [
            (str(item[0]), str(item[1]))
            for item in state.get("pending") or ()
            if isinstance(item, list | tuple) and len(item) == 2
        ]
        batch, rest = pending[:MENTIONED_PER_PAGE], pending[MENTIONED_PER_PAGE:]
        replies: list[IncomingReply] = []
        quarantined: list[QuarantinedItem] = []
        for comment_id, post_id in batch:
            try:
                raw = self._graph(
                    "mentioning comment", "GET", (comment_id,), {"fields": COMMENT_FIELDS}
                )
            except NotFound:
                continue  # deleted before we read it: nothing was said that still stands
            if raw.get("is_hidden"):
                continue
            if self.credentials.account_id and (
                str((raw.get("from") or {}).get("id")) == self.credentials.account_id
            ):
                continue
            item = self._reply_from(raw, post_id=post_id, route=MENTIONED_ROUTE)
            if isinstance(item, IncomingReply):
                replies.append(item)
            else:
                quarantined.append(item)
        return RoutePage(
            replies=tuple(replies),
            quarantined=tuple(quarantined),
            state={"pending": [list(item) for item in rest]} if rest else {},
            done=not rest,
            posts_read=len(batch),
            rate_limit=self._last_usage,
        )

    def _tagged_page(self, state: dict, scope: CollectionScope) -> RoutePage:
        """One page of ``/{page-id}/tagged`` (newest first), back to the newest post the
        last cycle saw: ``newest`` (and ``newest_ids``) is that high-water mark,
        ``candidate`` this cycle's."""
        params = {"fields": TAGGED_FIELDS, "limit": str(max(1, min(scope.page_size, 100)))}
        if state.get("after"):
            params["after"] = str(state["after"])
        page_id = self._page_id()
        answer = self._graph("tagged", "GET", (page_id, "tagged"), params)
        data = answer.get("data")
        posts = data if isinstance(data, list) else []
        paging = answer.get("paging") if isinstance(answer.get("paging"), dict) else {}
        after = ((paging or {}).get("cursors") or {}).get("after")
        newest = parse_time(state.get("newest"))
        # Graph gives times to the second: the ids seen in the mark's own second tell an
        # old post from a new one of that same second.
        newest_ids = set(state.get("newest_ids") or ())
        candidate = state.get("candidate")
        candidate_ids = list(state.get("candidate_ids") or ())
        reached = False
        replies: list[IncomingReply] = []
        quarantined: list[QuarantinedItem] = []
        for raw in posts:
            if not isinstance(raw, dict):
                quarantined.append(
                    QuarantinedItem(
                        route="tagged", raw={"item": jsonable(raw)}, error="not an object"
                    )
                )
                continue
            created = parse_time(raw.get("created_time"))
            if created is not None:
                if candidate is None:
                    candidate = created.isoformat()
                if created.isoformat() == candidate and len(candidate_ids) < MAX_MARK_IDS:
                    candidate_ids.append(str(raw.get("id") or ""))
                if newest is not None and (
                    created < newest
                    or (created == newest and str(raw.get("id") or "") in newest_ids)
                ):
                    reached = True
                    break
            if str((raw.get("from") or {}).get("id") or "") == page_id:
                continue  # the Page's own post
            item = self._tagged_post_from(raw)
            if isinstance(item, IncomingReply):
                replies.append(item)
            else:
                quarantined.append(item)
        done = reached or not (paging or {}).get("next") or not after
        mark = {"newest": state.get("newest"), "newest_ids": sorted(newest_ids)}
        if done:
            next_state = (
                {"newest": candidate, "newest_ids": sorted(set(candidate_ids))}
                if candidate
                else mark
            )
        else:
            next_state = {
                "after": after,
                **mark,
                "candidate": candidate,
                "candidate_ids": candidate_ids,
            }
        return RoutePage(
            replies=tuple(replies),
            quarantined=tuple(quarantined),
            state=next_state,
            done=done,
            posts_read=len(posts),
            rate_limit=self._last_usage,
        )

    @staticmethod
    def _tagged_post_from(raw: dict) -> IncomingReply | QuarantinedItem:
        raw = jsonable(raw)
        post_id = str(raw.get("id") or "")
        given = raw.get("from")
        author: dict[str, Any] = given if isinstance(given, dict) else {}
        owner, separator, _ = post_id.partition("_")
        text = raw.get("message")
        fields: dict[str, Any] = {
            "id": post_id or None,
            "parent_id": "",
            "root_id": post_id or None,
            "author_id": str(author.get("id") or (owner if separator else "")) or None,
            "author_handle": str(author.get("name") or ""),
            "author_display_name": str(author.get("name") or "Facebook user"),
            "text": text if text else ("[attachment only]" if text == "" else None),
            "created_at": parse_time(raw.get("created_time")),
            "url": str(raw.get("permalink_url") or ""),
        }
        return Connector.reply_validate("tagged", fields, raw)

    def _comments_page(self, route: str, state: dict, scope: CollectionScope) -> RoutePage:
        """One page of a post's comments and replies (``filter=stream``: every level, in
        chronological order), following ``paging.cursors.after``. Each cycle walks the
        whole stream again: Graph gives edits and hiding no time, so only a re-read sees them."""
        post_id = route.partition(":")[2]
        params = {
            "filter": "stream",
            "order": "chronological",
            "fields": COMMENT_FIELDS,
            "limit": str(max(1, min(scope.page_size, 100))),
        }
        if state.get("after"):
            params["after"] = str(state["after"])
        try:
            answer = self._graph("comments", "GET", (post_id, "comments"), params)
        except NotFound:
            # Our post was deleted on the Page: its comments went with it.
            return RoutePage(replies=(), state={}, done=True)
        data = answer.get("data")
        comments = data if isinstance(data, list) else []
        paging = answer.get("paging") if isinstance(answer.get("paging"), dict) else {}
        after = ((paging or {}).get("cursors") or {}).get("after")
        done = not (paging or {}).get("next") or not after
        page_id = self.credentials.account_id
        replies: list[IncomingReply] = []
        quarantined: list[QuarantinedItem] = []
        for raw in comments:
            if not isinstance(raw, dict):
                quarantined.append(
                    QuarantinedItem(
                        route="comments", raw={"item": jsonable(raw)}, error="not an object"
                    )
                )
                continue
            if raw.get("is_hidden"):
                continue  # hidden by the Page: seen only by its author and their friends
            if page_id and str((raw.get("from") or {}).get("id")) == page_id:
                continue  # the Page's own comments
            item = self._reply_from(raw, post_id=post_id)
            if isinstance(item, IncomingReply):
                replies.append(item)
            else:
                quarantined.append(item)
        return RoutePage(
            replies=tuple(replies),
            quarantined=tuple(quarantined),
            state={} if done else {"after": after},
            done=done,
            posts_read=len(comments),
            rate_limit=self._last_usage,
        )

    @staticmethod
    def _reply_from(
        raw: dict, *, post_id: str, route: str = "comments"
    ) -> IncomingReply | QuarantinedItem:
        raw = jsonable(raw)
        try:
            author = raw.get("from") or {}
            parent = (raw.get("parent") or {}).get("id")
            text = raw.get("message")
            fields: dict[str, Any] = {
                "id": str(raw["id"]),
                # A top-level comment answers the post; a reply its comment (two levels only).
                "parent_id": str(parent or post_id),
                "root_id": post_id,
                "author_id": str(author["id"]) if author.get("id") else None,
                "author_handle": str(author.get("name") or ""),
                "author_display_name": str(author.get("name") or ""),
                "text": text if text else ("[attachment only]" if text == "" else None),
                "created_at": parse_time(raw.get("created_time")),
                "url": str(raw.get("permalink_url") or ""),
            }
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            return QuarantinedItem(route=route, raw=raw, error=f"unreadable comment: {error!r}")
        if raw.get("created_time") and fields["created_at"] is None:
            return QuarantinedItem(
                route=route,
                raw=raw,
                error=f"created_time: unreadable time {raw.get('created_time')!r}",
                external_id=str(fields["id"]),
            )
        return Connector.reply_validate(route, fields, raw)

    def lookup_posts(self, ids) -> dict[str, str]:
        states: dict[str, str] = {}
        for comment_id in ids:
            try:
                comment = self._graph(
                    "comment", "GET", (str(comment_id),), {"fields": "id,is_hidden"}
                )
            except NotFound:
                states[str(comment_id)] = PostState.DELETED
                continue
            states[str(comment_id)] = (
                PostState.PRIVATE if comment.get("is_hidden") else PostState.LIVE
            )
        return states

    def post_metrics(self, ids) -> dict[str, dict[str, int]]:
        """Each Page post's ``reactions`` and (top-level) ``comments`` from their edges'
        ``summary.total_count``, and its ``shares`` (``shares.count``; Graph leaves the
        field out while nobody has shared the post)."""
        metrics: dict[str, dict[str, int]] = {}
        for post_id in ids:
            try:
                post = self._graph(
                    "post metrics", "GET", (str(post_id),), {"fields": METRIC_FIELDS}
                )
            except NotFound:
                continue
            counts: dict[str, int] = {}
            for edge in ("reactions", "comments"):
                total = ((post.get(edge) or {}).get("summary") or {}).get("total_count")
                if isinstance(total, int) and not isinstance(total, bool):
                    counts[edge] = total
            shares = (post.get("shares") or {}).get("count", 0)
            if isinstance(shares, int) and not isinstance(shares, bool):
                counts["shares"] = shares
            metrics[str(post_id)] = counts
        return metrics

    # --- Webhooks ------------------------------------------------------------------------------

    @classmethod
    def webhook_verify_token(cls, secrets: Mapping[str, str]) -> str:
        return str(secrets.get("webhook_verify_token") or "")

    @classmethod
    def webhook_challenge(cls, *, query: Mapping[str, str], verify_tokens: Sequence[str]) -> str:
        """Meta's subscription check: ``hub.mode=subscribe`` with our verify token is answered
        with ``hub.challenge``, echoed as it came."""
        if query.get("hub.mode") != "subscribe":
            return ""
        given = str(query.get("hub.verify_token") or "").encode("utf-8")
        if not given or not any(
            hmac.compare_digest(given, token.encode("utf-8")) for token in verify_tokens if token
        ):
            return ""
        return str(query.get("hub.challenge") or "")

    @classmethod
    def webhook_signature_valid(
        cls, *, headers: Mapping[str, str], body: bytes, secrets: Mapping[str, str]
    ) -> bool:
        """``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body with the app secret>``."""
        app_secret = str(secrets.get("app_secret") or "")
        lowered = {str(name).lower(): str(value) for name, value in headers.items()}
        signature = lowered.get("x-hub-signature-256", "")
        if not app_secret or not signature.startswith("sha256="):
            return False
        expected = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(signature[len("sha256=") :].encode(), expected.encode())

    @classmethod
    def webhook_events(cls, body: bytes) -> list[WebhookEvent]:
        """The Page ``feed`` changes about comments and its ``mention`` changes: one event
        per entry, keyed by the Page, the entry's time and its changes (a replayed delivery
        has the same key). A mentioning comment's ids are kept on the event; a mention of
        a comment that does not say which is quarantined with the reason."""
        try:
            payload = json.loads(body)
        except ValueError as error:
            raise ValueError(f"the payload is not JSON: {error}") from None
        if not isinstance(payload, dict) or payload.get("object") != "page":
            raise ValueError('the payload is not a Page notification ("object": "page")')
        entries = payload.get("entry")
        if not isinstance(entries, list):
            raise ValueError('the payload has no "entry" list')
        events = []
        for entry in entries:
            if not isinstance(entry, dict) or not entry.get("id"):
                raise ValueError("an entry has no Page id")
            moment = entry.get("time")
            if not isinstance(moment, int | float) or isinstance(moment, bool):
                raise ValueError("an entry has no time")
            # Page entries give seconds; some Meta objects give milliseconds.
            seconds = moment / 1000 if moment > 10**11 else moment
            changes = entry.get("changes")
            if not isinstance(changes, list):
                changes = []
            post_ids = []
            mentioned: dict[str, str] = {}
            withdrawn: dict[str, str] = {}
            quarantined: list[QuarantinedItem] = []
            for change in changes:
                value = change.get("value") if isinstance(change, dict) else None
                if not (isinstance(change, dict) and isinstance(value, dict)):
                    continue
                # Graph lists no comments that mention the Page: this change is the only
                # word of one, so it is kept until the comment is read (a removed mention,
                # verb "remove", leaves the deletion sweep to notice).
                if (
                    change.get("field") == "mention"
                    and value.get("item") == "comment"
                    and value.get("verb", "add") == "add"
                ):
                    comment_id, on_post = value.get("comment_id"), value.get("post_id")
                    if (
                        comment_id
                        and on_post
                        and all(
                            isinstance(given, str | int) and not isinstance(given, bool)
                            for given in (comment_id, on_post)
                        )
                    ):
                        mentioned.setdefault(str(comment_id), str(on_post))
                    else:
                        quarantined.append(
                            QuarantinedItem(
                                route=MENTIONED_ROUTE,
                                raw=jsonable(change),
                                error="a mention of a comment without its comment_id or post_id",
                                external_id=str(comment_id or ""),
                            )
                        )
                # A comment removed (by its author or the Page) or hidden by the Page: the
                # record withdraws it now, rather than at the deletion sweep's next turn.
                # Nothing is left to read, so no collection is started for it.
                if (
                    change.get("field") == "feed"
                    and value.get("item") == "comment"
                    and value.get("verb") in WITHDRAWING_VERBS
                ):
                    comment_id = value.get("comment_id")
                    if (
                        comment_id
                        and isinstance(comment_id, str | int)
                        and not isinstance(comment_id, bool)
                    ):
                        withdrawn.setdefault(str(comment_id), WITHDRAWING_VERBS[value["verb"]])
                    else:
                        quarantined.append(
                            QuarantinedItem(
                                route="feed",
                                raw=jsonable(change),
                                error=f"a comment {value['verb']} change without its comment_id",
                            )
                        )
                    continue
                # A comment on one of our posts (``feed``), or a post or comment that
                # mentions the Page (``mention``): a post that mentions it names no post
                # of ours, and the ``tagged`` route's poll brings it.
                if (
                    change.get("field") in ("feed", "mention")
                    and value.get("item") in ("comment", "post")
                    and value.get("post_id")
                    and (change.get("field") == "mention" or value.get("item") == "comment")
                ):
                    post_ids.append(str(value["post_id"]))
            fingerprint = hashlib.sha256(
                json.dumps([entry["id"], moment, changes], sort_keys=True).encode("utf-8")
            ).hexdigest()
            events.append(
                WebhookEvent(
                    account_id=str(entry["id"]),
                    key=f"{entry['id']}:{moment}:{fingerprint[:32]}",
                    occurred_at=datetime.fromtimestamp(seconds, tz=UTC),
                    post_ids=tuple(dict.fromkeys(post_ids)),
                    mentioned_comments=tuple(mentioned.items()),
                    withdrawn_comments=tuple(withdrawn.items()),
                    quarantined=tuple(quarantined),
                )
            )
        return events


def webhook_signature(app_secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends with ``body``."""
    return "sha256=" + hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
