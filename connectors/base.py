"""The one interface every network's connector implements.

A connector wraps one client library, talks to one account on one network, and
speaks only the frozen dataclasses of ``connectors.types`` and the exceptions of
``connectors.exceptions``. It never touches the ORM: services load the channel,
build a connector with ``Connector(credentials)``, and store what comes back.

Everything that differs between networks is declared on the subclass in
``connectors/backends/<network>.py``: name and label, the secrets it needs, its
text rules, polling interval and request budgets, read billing, its collection
routes and how its client library's errors translate into ours.
"""

from __future__ import annotations

import json
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
import regex
import requests
from pydantic import ValidationError

from connectors import outbound
from connectors.exceptions import ConnectorError, OutcomeUnknown, PermanentError, TransientError
from connectors.formatting import URL_PATTERN, NetworkRules
from connectors.schemas import IncomingReplyPayload, SecretsSchema, validation_message
from connectors.types import (
    MENTIONED_ROUTE,
    ChannelCredentials,
    CollectionScope,
    ExternalAccount,
    ExternalPost,
    FetchResult,
    IncomingReply,
    OutgoingPost,
    PostResult,
    QuarantinedItem,
    RateLimit,
    WebhookEvent,
)

DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class RoutePage:
    """What one request on one route gave: replies, rejects, the route's next state."""

    replies: tuple[IncomingReply, ...]
    state: dict
    done: bool
    quarantined: tuple[QuarantinedItem, ...] = ()
    posts_read: int = 0
    rate_limit: RateLimit | None = None
    #: Why this route may have missed replies the network would not give (e.g. a capped
    #: thread): the collection is then reported incomplete with the reason.
    gap: str = ""


def _cursor_load(cursor: str | None) -> dict:
    try:
        state = json.loads(cursor) if cursor else {}
    except ValueError:
        state = {}
    if not isinstance(state, dict):
        state = {}
    state.setdefault("current", None)
    if not isinstance(state.get("routes"), dict):
        state["routes"] = {}
    return state


def cursor_restart(cursor: str | None) -> str:
    """The cursor a fresh cycle (a backfill) starts from: every walk from the start, but
    the comments a webhook named and no poll has read yet (``MENTIONED_ROUTE``) still
    waiting, since no walk of the network will ever list them again."""
    waiting = _cursor_load(cursor)["routes"].get(MENTIONED_ROUTE)
    routes = {MENTIONED_ROUTE: waiting} if isinstance(waiting, dict) and waiting else {}
    return json.dumps({"current": None, "routes": routes}, sort_keys=True)


def parse_time(value: Any) -> datetime | None:
    """A network's timestamp (a datetime, ISO 8601 with "Z", or epoch seconds), None if unreadable."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def jsonable(value):
    """A client library's answer as plain JSON values (datetimes as ISO 8601), for raw payloads."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def split_items(items: Sequence, size: int) -> list[list]:
    return [list(items[start : start + size]) for start in range(0, len(items), size)]


class Connector(ABC):
    #: The registry name (the key in ``HUB_CONNECTORS``), stored on ``ChannelAccount.network``.
    network: ClassVar[str]
    label: ClassVar[str]
    #: Where the real service lives, used when a channel leaves its base URL blank.
    default_base_url: ClassVar[str]
    #: The secrets a channel needs, checked when a channel is saved and when a connector is built.
    secrets_schema: ClassVar[type[SecretsSchema]]
    #: How a post is measured (``connectors.formatting``); ``rules()`` may refine it per account.
    text_rules: ClassVar[NetworkRules]
    #: True when the network itself de-duplicates a retried write by idempotency key,
    #: so a write whose outcome is unknown can simply be sent again.
    idempotent_writes: ClassVar[bool] = False
    #: Defaults that ``HUB_CONNECTORS[name]["OPTIONS"]`` may override (see ``connectors.registry``):
    #: seconds between polls of one consultation, requests one channel may make per
    #: ``HUB_COLLECT_RATE_WINDOW`` (None: no cap of ours), and, for a network that bills
    #: per post read, the posts one consultation may read (None: no cap).
    poll_interval: ClassVar[int] = 60
    request_budget: ClassVar[int | None] = None
    bills_reads: ClassVar[bool] = False
    read_budget: ClassVar[int | None] = None
    #: For a network that meters a daily quota in units (each collection request one unit):
    #: the units one channel may spend a day (None: no quota), and where its day begins.
    quota_units: ClassVar[int | None] = None
    quota_reset_timezone: ClassVar[str] = "UTC"
    #: The client library's exceptions; ``translate_error`` turns each into one of ours.
    client_errors: ClassVar[tuple[type[BaseException], ...]] = ()
    #: True when a walk from our posts misses whatever is under a deleted reply, so
    #: collection hands the connector the replies left detached (``CollectionScope.detached_ids``).
    walks_detached_replies: ClassVar[bool] = False
    #: ``OPTIONS`` keys of the backend's own (e.g. a pinned API version) and the connector
    #: attribute each sets; the registry accepts them beside its shared ``OPTION_NAMES``.
    backend_options: ClassVar[dict[str, str]] = {}
    #: True when the network shows an edited text without saying when it was edited: a
    #: changed text is then taken as an edit seen at collection time.
    edits_untimed: ClassVar[bool] = False
    #: True when the network's published rules allow an automated reply to each person who
    #: replied to our post (the optional outcome reply to respondents; the README gives
    #: each network's rules and sources). Off unless a network's module says so.
    automated_replies_allowed: ClassVar[bool] = False
    #: True when the network pushes changes to a webhook (``webhook_*`` below); polling
    #: stays the safety net.
    receives_webhooks: ClassVar[bool] = False
    #: For a network whose posts are comments on a video: an example of the video links it
    #: takes, for the error an editor sees when a consultation's video link is not one.
    video_url_examples: ClassVar[str] = ""
    #: The video a consultation names (its link), set by ``channel_account_connector`` for
    #: that consultation's posting and collection; "" leaves the channel's own.
    video_url: str = ""

    @classmethod
    def video_id_from_url(cls, url: str) -> str:
        """The network's id of the video a link points at; "" when it is not one of its."""
        return ""

    def __init__(
        self,
        credentials: ChannelCredentials,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        options: Mapping[str, Any] | None = None,
    ):
        self.credentials = credentials
        self.timeout = timeout
        for attribute, value in (options or {}).items():
            if attribute in self.backend_options.values():
                setattr(self, attribute, value)
        self.base_url = (credentials.base_url or self.default_base_url).rstrip("/")
        #: Units of the network's daily quota (``quota_units``) this connector's requests
        #: spent: what a service outside a poll charges to the channel afterwards.
        self.units_spent = 0
        try:
            self.secrets: Any = self.secrets_schema.model_validate(dict(credentials.secrets))
        except ValidationError as error:
            raise PermanentError(
                f"{self.label} credentials are not valid: {validation_message(error)}"
            ) from error
        # Checked again here, not only when the channel was saved, and then on every
        # connection the client library makes (connectors/outbound.py).
        outbound.base_url_check(self.base_url)

    # --- Errors -------------------------------------------------------------------------

    def _call(self, what: str, function, *args, write: bool = False, **kwargs):
        """Call the client library; what it raises leaves as ours (``translate_error``).

        ``write`` says the call may change something on the network: only then can a
        missing or unreadable answer mean "outcome unknown" rather than "try again".
        """
        try:
            return function(*args, **kwargs)
        except self.client_errors as error:
            raise self._translated(error, what, write=write) from error

    def _translated(self, error: BaseException, what: str, *, write: bool) -> ConnectorError:
        translated = self.translate_error(error, what)
        if isinstance(translated, OutcomeUnknown) and not write:
            # A read that got no (readable) answer changed nothing: it can simply be retried.
            return TransientError(str(translated))
        return translated

    @abstractmethod
    def translate_error(self, error: BaseException, what: str) -> ConnectorError:
        """Ours for one of ``client_errors``: RateLimited, NotFound, PermanentError,
        TransientError, or OutcomeUnknown when no (readable) answer came back (the
        base turns that into TransientError for a read)."""

    # --- HTTP: every request to a network goes through connectors/outbound.py -------------

    @staticmethod
    def http_session(session: requests.Session | None = None) -> requests.Session:
        """A requests session (tweepy, Mastodon.py) that connects only to checked addresses."""
        return outbound.session_guard(session or requests.Session())

    @staticmethod
    def http_transport() -> httpx.HTTPTransport:
        """An httpx transport (atproto) that connects only to checked addresses."""
        return outbound.GuardedTransport()

    # --- Account ---------------------------------------------------------------

    @abstractmethod
    def verify(self) -> ExternalAccount:
        """Check the credentials against the network; raise PermanentError when they are refused."""

    @property
    def session(self) -> str:
        """A session to keep for next time ("" when the network has none, or nothing changed)."""
        return ""

    # --- Publishing ---------------------------------------------------------------

    def rules(self) -> NetworkRules:
        """The length rules in force for this account (a backend may ask its server)."""
        return self.text_rules

    @abstractmethod
    def publish(self, post: OutgoingPost) -> ExternalPost:
        """Publish one post (a reply when ``post.reply_to`` is set)."""

    def publish_thread(self, posts: Sequence[OutgoingPost]) -> PostResult:
        """Publish parts in order, each replying to the one before."""
        published: list[ExternalPost] = []
        for post in posts:
            if published:
                post = OutgoingPost(
                    text=post.text,
                    facets=post.facets,
                    reply_to=published[-1],
                    root=published[0],
                    idempotency_key=post.idempotency_key,
                )
            published.append(self.publish(post))
        return PostResult(posts=tuple(published))

    @abstractmethod
    def delete(self, post: ExternalPost) -> None:
        """Delete one of our posts; deleting a post that is already gone is not an error."""

    @abstractmethod
    def recent_posts(self, *, limit: int = 50) -> list[ExternalPost]:
        """The account's own latest posts, newest first, to find a write whose outcome was unknown."""

    def own_replies(self, post: ExternalPost, *, limit: int = 50) -> list[ExternalPost]:
        """Our account's replies directly under ``post``, newest first, to find a reply
        (``publish`` with ``reply_to``) whose outcome was unknown.

        Where replies are posts of the account (threads), they are among its recent posts;
        a network whose replies are comments lists them under the post instead.
        """
        return [found for found in self.recent_posts(limit=limit) if found.reply_to_id == post.id]

    def public_url(self, post_id: str) -> str:
        """The link a person follows to see the post."""
        return ""

    @classmethod
    def reply_target(cls, *, post_id: str, raw: Mapping[str, Any]) -> ExternalPost:
        """Someone's collected post as a post to reply to, from its id and the payload it
        was collected with (a network that needs more than the id to reply says so)."""
        return ExternalPost(id=post_id)

    def published(self, post: OutgoingPost, post_id: str) -> ExternalPost:
        """What we just posted as ``post_id``, for a network whose answer gives only its id:
        our words, our account, now, in ``post``'s thread (its own root when it starts one)."""
        return ExternalPost(
            id=post_id,
            url=self.public_url(post_id),
            text=post.text,
            created_at=datetime.now(tz=UTC),
            author_id=self.credentials.account_id,
            author_handle=self.credentials.handle,
            reply_to_id=post.reply_to.id if post.reply_to else "",
            root_id=post.root.id if post.root else post_id,
        )

    @classmethod
    def mention_handle(cls, *, handle: str, base_url: str) -> str:
        """How people mention the account in a post (without "@"), to keep it unredacted."""
        return handle.strip().lstrip("@")

    # --- Collecting ----------------------------------------------------------------------

    def collection_routes(self, scope: CollectionScope) -> list[str]:
        """The routes replies arrive by, in the order one poll walks them."""
        raise NotImplementedError(f"{self.label} does not collect replies")

    def fetch_route_page(self, route: str, state: dict, scope: CollectionScope) -> RoutePage:
        """One page of one route, resuming from the route's ``state`` (a JSON-able dict)."""
        raise NotImplementedError(f"{self.label} does not collect replies")

    def fetch_replies(self, scope: CollectionScope, *, cursor: str | None = None) -> FetchResult:
        """The next page of replies for ``scope``, resuming after ``cursor``.

        One poll walks every route (each delivered post's thread, mentions, the
        hashtag) page by page; the cursor records the route and page reached and
        each route's high-water mark, so the caller can store it with the rows of
        the page and a killed worker resumes exactly where the last commit left off.
        """
        state = _cursor_load(cursor)
        routes = self.collection_routes(scope)
        if not routes:
            return FetchResult(replies=(), cursor=json.dumps(state), has_more=False)
        current = state.get("current")
        index = routes.index(current) if current in routes else 0
        route = routes[index]
        page = self.fetch_route_page(route, dict(state["routes"].get(route) or {}), scope)
        state["routes"][route] = page.state
        if page.gap and page.gap not in state.setdefault("gaps", []):
            state["gaps"].append(page.gap)  # kept in the cursor until the cycle ends
        if not page.done:
            state["current"], has_more = route, True
        elif index + 1 < len(routes):
            state["current"], has_more = routes[index + 1], True
        else:
            state["current"], has_more = None, False
        gaps = () if has_more else tuple(state.pop("gaps", ()))
        replies = page.replies
        # A backfill leaves out what it walks past before ``since``; a comment a webhook
        # named was never read, so it is kept whatever its age.
        if scope.since is not None and route != MENTIONED_ROUTE:
            # Networks give times to the second or millisecond: compare at whole seconds.
            since = scope.since.replace(microsecond=0)
            replies = tuple(
                reply for reply in replies if reply.created_at is None or reply.created_at >= since
            )
        return FetchResult(
            replies=replies,
            cursor=json.dumps(state, sort_keys=True),
            rate_limit=page.rate_limit,
            quarantined=page.quarantined,
            has_more=has_more,
            posts_read=page.posts_read,
            gaps=gaps,
        )

    def lookup_posts(self, ids: Sequence[str]) -> dict[str, str]:
        """Each id's state at the source (``PostState``), for the deletion sweep."""
        raise NotImplementedError(f"{self.label} does not look posts up")

    def post_metrics(self, ids: Sequence[str]) -> dict[str, dict[str, int]]:
        """The network's public counts (replies, reposts, likes…) of our posts ``ids``, by
        the network's own names; a post the network does not answer for is left out.
        A network that gives no public counts gives nothing."""
        return {}

    def post_metrics_cost(self, count: int) -> int:
        """The most units of the daily quota ``post_metrics`` of ``count`` posts may spend
        (0 on a network without a quota)."""
        return 0

    @staticmethod
    def reply_validate(route: str, fields: dict, raw: dict) -> IncomingReply | QuarantinedItem:
        """Validate a reply's fields at the boundary; what fails is quarantined with its reason."""
        try:
            # Absent on the network is absent here ("Field required"), not a null of the wrong type.
            present = {name: value for name, value in fields.items() if value is not None}
            payload = IncomingReplyPayload.model_validate(present)
        except ValidationError as error:
            return QuarantinedItem(
                route=route,
                raw=raw,
                error=validation_message(error),
                external_id=str(fields.get("id") or ""),
            )
        return IncomingReply(**payload.model_dump(), route=route, raw=raw)

    # --- Webhooks (``receives_webhooks``) ----------------------------------------------------

    @classmethod
    def webhook_challenge(cls, *, query: Mapping[str, str], verify_tokens: Sequence[str]) -> str:
        """The answer to the network's subscription check, or "" to refuse it."""
        return ""

    @classmethod
    def webhook_signature_valid(
        cls, *, headers: Mapping[str, str], body: bytes, secrets: Mapping[str, str]
    ) -> bool:
        """Whether the raw ``body`` was signed with this channel's secret."""
        return False

    @classmethod
    def webhook_verify_token(cls, secrets: Mapping[str, str]) -> str:
        """The token a channel expects in the network's subscription check ("" for none)."""
        return ""

    @classmethod
    def webhook_events(cls, body: bytes) -> list[WebhookEvent]:
        """What a pushed payload says changed; ValueError when it cannot be read."""
        raise ValueError(f"{cls.label} sends no webhooks")

    # --- Helpers ----------------------------------------------------------------------

    @staticmethod
    def same_text(sent: str, seen: str) -> bool:
        """Whether a post found on the network is the text we sent.

        Networks rewrite links (X shows t.co) and may normalise Unicode or
        whitespace, so links and whitespace are compared loosely.
        """

        def canonical(text: str) -> str:
            text = unicodedata.normalize("NFC", text)
            text = URL_PATTERN.sub("<link>", text)
            text = regex.sub(r"\S*…", "<link>", text)  # a shortened link as shown
            return " ".join(text.split())

        return canonical(sent) == canonical(seen)
