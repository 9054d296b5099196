"""X (Twitter) through tweepy's API v2 ``Client``.

tweepy always builds ``https://api.twitter.com`` URLs. To reach another host
(the sandbox, a proxy) we hand the client a ``requests.Session`` subclass —
through tweepy's public ``session`` attribute — that rewrites the scheme and
host of each request; tweepy itself is neither copied nor patched.
"""

from __future__ import annotations

import html
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
import tweepy
from pydantic import Field

from connectors.base import Connector, RoutePage, parse_time, split_items
from connectors.exceptions import (
    ConnectorError,
    NotFound,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
    TransientError,
)
from connectors.formatting import CharacterWeights, NetworkRules
from connectors.schemas import SecretsSchema
from connectors.types import (
    CollectionScope,
    ExternalAccount,
    ExternalPost,
    IncomingReply,
    OutgoingPost,
    PostState,
    QuarantinedItem,
)

_X_HOSTS = {"api.twitter.com", "api.x.com"}
# `entities` to expand t.co links; `note_tweet` for the whole of a post over 280 characters.
_TWEET_FIELDS = [
    "created_at",
    "author_id",
    "conversation_id",
    "referenced_tweets",
    "entities",
    "note_tweet",
]
# `withheld`: where X withholds a post on a legal demand (countries, or a copyright claim).
_READ_TWEET_FIELDS = [*_TWEET_FIELDS, "lang", "in_reply_to_user_id", "withheld"]
_READ_USER_FIELDS = ["username", "name", "protected"]
_NOT_FOUND = "resource-not-found"
_NOT_AUTHORIZED = "not-authorized-for-resource"
_RECENT_WINDOW = timedelta(days=7)
_MENTIONS_EARLIEST = datetime(2010, 11, 6, tzinfo=UTC)
_TWITTER_EPOCH_MS = 1288834974657

logger = logging.getLogger(__name__)


class _RedirectingSession(requests.Session):
    """Sends requests meant for X's API host to ``base_url`` instead, with a default timeout."""

    def __init__(self, base_url: str, timeout: float):
        super().__init__()
        self._target = urlsplit(base_url)
        self._timeout = timeout

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        if parts.hostname in _X_HOSTS and self._target.netloc not in _X_HOSTS:
            path = self._target.path.rstrip("/") + parts.path
            url = urlunsplit((self._target.scheme, self._target.netloc, path, parts.query, ""))
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, *args, **kwargs)


class XSecrets(SecretsSchema):
    consumer_key: str = Field(min_length=1, title="X API key (consumer key)")
    consumer_secret: str = Field(min_length=1, title="X API key secret (consumer secret)")
    access_token: str = Field(min_length=1, title="X access token")
    access_token_secret: str = Field(min_length=1, title="X access token secret")
    bearer_token: str = Field(default="", title="X bearer token (optional)")


# twitter-text v3: code points in these ranges weigh one character, the rest (and every
# emoji) two; text is NFC normalised first and every URL, bare domains included, weighs 23.
TWITTER_TEXT_WEIGHTS = CharacterWeights(
    scale=100,
    default_weight=200,
    light_ranges=((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247)),
)


class XConnector(Connector):
    network = "x"
    label = "X"
    default_base_url = "https://api.x.com"
    #: X's automation rules allow an automated reply only to people who opted in to
    #: be contacted (and can opt out); a reply to a consultation post is not that.
    automated_replies_allowed = False
    secrets_schema = XSecrets
    text_rules = NetworkRules(
        network="X",
        limit=280,
        url_length=23,
        weights=TWITTER_TEXT_WEIGHTS,
        bare_domains_are_links=True,
    )
    # Under X's published limits for the read endpoints (per 15 minutes, per user).
    poll_interval = 45
    request_budget = 150
    # X bills every post read, lookups by the deletion sweep included.
    bills_reads = True
    read_budget = 10_000
    client_errors = (tweepy.HTTPException, requests.RequestException)

    def __init__(self, credentials, *, timeout=10.0, options=None):
        super().__init__(credentials, timeout=timeout, options=options)
        secrets = self.secrets
        self.client = tweepy.Client(
            bearer_token=secrets.bearer_token or None,
            consumer_key=secrets.consumer_key,
            consumer_secret=secrets.consumer_secret,
            access_token=secrets.access_token,
            access_token_secret=secrets.access_token_secret,
            # Workers must never sleep on a rate limit: the task retries at the reset instead.
            wait_on_rate_limit=False,
        )
        self.client.session = self.http_session(_RedirectingSession(self.base_url, timeout))
        self._user_id = credentials.account_id

    # --- Errors -----------------------------------------------------------------------

    def translate_error(self, error: BaseException, what: str) -> ConnectorError:
        if isinstance(error, tweepy.TooManyRequests):
            reset_at = parse_time(error.reset_time) or datetime.now(tz=UTC)
            return RateLimited(reset_at, f"X rate limit on {what}")
        if isinstance(error, tweepy.Unauthorized | tweepy.Forbidden | tweepy.BadRequest):
            return PermanentError(f"X refused {what}: {_describe(error)}")
        if isinstance(error, tweepy.NotFound):
            return NotFound(f"X could not find what {what} needs: {_describe(error)}")
        if isinstance(error, tweepy.TwitterServerError):
            return TransientError(f"X server error on {what}: {_describe(error)}")
        if isinstance(error, tweepy.HTTPException):
            return TransientError(f"X answered {what} with {_describe(error)}")
        if isinstance(error, requests.exceptions.JSONDecodeError):
            # A 2xx with a body we cannot read: a write may well have happened.
            return OutcomeUnknown(f"unreadable answer from X to {what}")
        if isinstance(error, requests.ConnectionError | requests.Timeout):
            return OutcomeUnknown(f"no answer from X to {what}: {error}")
        return TransientError(f"X request for {what} failed: {error}")

    # --- Account ----------------------------------------------------------------------

    def verify(self) -> ExternalAccount:
        response = self._call("get_me", self.client.get_me, user_auth=True)
        user = response.data
        self._user_id = str(user.id)
        return ExternalAccount(id=str(user.id), handle=user.username, display_name=user.name)

    def _me(self) -> str:
        if not self._user_id:
            self.verify()
        return self._user_id

    # --- Publishing -------------------------------------------------------------------

    def publish(self, post: OutgoingPost) -> ExternalPost:
        response = self._call(
            "create_tweet",
            self.client.create_tweet,
            text=post.text,
            in_reply_to_tweet_id=post.reply_to.id if post.reply_to else None,
            user_auth=True,
            write=True,
        )
        data = response.data or {}
        tweet_id = str(data.get("id", ""))
        if not tweet_id:
            raise OutcomeUnknown("X accepted the tweet but did not say its id")
        return ExternalPost(
            id=tweet_id,
            url=self.public_url(tweet_id),
            # X answers with its shown form (escaped, t.co links): what we sent is the text.
            text=post.text,
            author_id=self._user_id,
            author_handle=self.credentials.handle,
            reply_to_id=post.reply_to.id if post.reply_to else "",
            root_id=post.root.id if post.root else tweet_id,
        )

    def delete(self, post: ExternalPost) -> None:
        try:
            self._call("delete_tweet", self.client.delete_tweet, post.id, user_auth=True)
        except NotFound:
            return

    def recent_posts(self, *, limit: int = 50) -> list[ExternalPost]:
        user_id = self._me()
        response = self._call(
            "get_users_tweets",
            self.client.get_users_tweets,
            user_id,
            max_results=max(5, min(limit, 100)),
            tweet_fields=_TWEET_FIELDS,
            user_auth=True,
        )
        posts = []
        for tweet in response.data or []:
            replied_to = next(
                (
                    str(ref.id)
                    for ref in (tweet.referenced_tweets or [])
                    if ref.type == "replied_to"
                ),
                "",
            )
            posts.append(
                ExternalPost(
                    id=str(tweet.id),
                    url=self.public_url(str(tweet.id)),
                    text=readable_text(dict(tweet.data)) or "",
                    created_at=parse_time(tweet.created_at),
                    author_id=str(tweet.author_id or user_id),
                    reply_to_id=replied_to,
                    root_id=str(tweet.conversation_id or ""),
                )
            )
        return posts

    def public_url(self, post_id: str, *, handle: str = "") -> str:
        if urlsplit(self.base_url).hostname in _X_HOSTS:
            return f"https://x.com/{handle or self.credentials.handle or 'i'}/status/{post_id}"
        return f"{self.base_url}/_sandbox/posts/{post_id}"

    # --- Collecting -------------------------------------------------------------------

    def collection_routes(self, scope: CollectionScope) -> list[str]:
        routes = [f"conversation:{root}" for root in scope.root_ids]
        routes.append("mentions")
        if scope.hashtag:
            routes.append(f"hashtag:{scope.hashtag.lstrip('#')}")
        return routes

    def fetch_route_page(self, route: str, state: dict, scope: CollectionScope) -> RoutePage:
        """One page, newest first; ``since`` (the newest id of the last finished sweep)
        bounds the sweep and ``next`` is X's token for the page after this one."""
        kind, _, value = route.partition(":")
        try:
            return self._fetch_route_page(kind, value, state, scope)
        except PermanentError as error:
            refusal = error.__cause__
            # 401 (the credentials) stops the whole poll; a 400 or 403 is about this route.
            if not isinstance(refusal, tweepy.BadRequest | tweepy.Forbidden):
                raise
            # Skip the route this poll and start it afresh next time, so the routes behind it
            # are still read, and say in the record that replies may be missing.
            logger.warning("X refused collection route %s, skipped: %s", route, error)
            status = getattr(refusal.response, "status_code", "?")
            return RoutePage(
                replies=(),
                state={},
                done=True,
                gap=f"{route} refused by the network (HTTP {status})",
            )

    def _fetch_route_page(
        self, kind: str, value: str, state: dict, scope: CollectionScope
    ) -> RoutePage:
        common: dict[str, Any] = {
            "since_id": state.get("since") or None,
            "max_results": max(10, min(scope.page_size, 100)),
            "tweet_fields": _READ_TWEET_FIELDS,
            "expansions": ["author_id"],
            "user_fields": _READ_USER_FIELDS,
            "user_auth": True,
        }
        # Recent search refuses a since_id or start_time older than seven days; a search route
        # quiet for longer starts at the window's edge (replies read again are deduplicated).
        # The mentions timeline has no such window (its start_time "Must be on or after
        # 2010-11-06" in X's OpenAPI document; it reaches the 800 most recent mentions), so
        # it keeps its since_id and misses nothing that arrived while nobody polled.
        earliest = datetime.now(tz=UTC) - _RECENT_WINDOW + timedelta(minutes=1)
        if kind == "mentions":
            earliest = _MENTIONS_EARLIEST
        elif common["since_id"] and _snowflake_time(common["since_id"]) < earliest:
            common["since_id"] = None
            common["start_time"] = earliest.replace(microsecond=0)
        if scope.since is not None and not common["since_id"]:
            common["start_time"] = max(scope.since, earliest).replace(microsecond=0)
        if kind == "mentions":
            response = self._call(
                "get_users_mentions",
                self.client.get_users_mentions,
                self._me(),
                pagination_token=state.get("next") or None,
                **common,
            )
        else:
            query = f"conversation_id:{value}" if kind == "conversation" else f"#{value}"
            response = self._call(
                "search_recent_tweets",
                self.client.search_recent_tweets,
                query,
                next_token=state.get("next") or None,
                **common,
            )
        tweets = list(response.data or [])
        users = {str(user.id): user for user in (response.includes or {}).get("users", [])}
        meta = response.meta or {}
        top = max(
            [int(value) for value in (state.get("top"), meta.get("newest_id")) if value] or [0]
        )
        replies: list[IncomingReply] = []
        quarantined: list[QuarantinedItem] = []
        me = self._me()
        for tweet in tweets:
            raw = dict(tweet.data)
            if str(raw.get("author_id")) == me or str(raw.get("id")) in scope.root_ids:
                continue
            author = users.get(str(raw.get("author_id")))
            if author is not None and author.data.get("protected"):
                # A protected account's post is not public (we see it as an approved
                # follower): it stays out of the public record, as the sweep would withdraw it.
                continue
            item = self._reply_from(kind, raw, users)
            if isinstance(item, IncomingReply):
                replies.append(item)
            else:
                quarantined.append(item)
        next_token = meta.get("next_token")
        if next_token:
            new_state = {"since": state.get("since"), "next": next_token, "top": str(top or "")}
        else:
            since = max(int(state.get("since") or 0), top)
            new_state = {"since": str(since) if since else None, "next": None, "top": None}
        return RoutePage(
            replies=tuple(replies),
            quarantined=tuple(quarantined),
            state=new_state,
            done=not next_token,
            posts_read=len(tweets),
        )

    def _reply_from(self, kind: str, raw: dict, users: dict) -> IncomingReply | QuarantinedItem:
        route = kind
        try:
            author = users.get(str(raw.get("author_id")))
            author_data = dict(author.data) if author is not None else {}
            referenced = {ref["type"]: str(ref["id"]) for ref in raw.get("referenced_tweets") or []}
            parent = referenced.get("replied_to") or referenced.get("quoted") or ""
            version_id = str(raw.get("id") or "")
            # An edit on X is a new post id; the chain lists the original first, the newest last.
            # The reply is known by its original id, and a later version is an edit of it.
            history = [str(post_id) for post_id in raw.get("edit_history_tweet_ids") or []]
            original_id = history[0] if history else version_id
            fields = {
                "id": original_id,
                "parent_id": parent,
                "root_id": str(raw.get("conversation_id") or ""),
                "author_id": raw.get("author_id"),
                "author_handle": author_data.get("username") or "",
                "author_display_name": author_data.get("name") or "",
                "text": readable_text(raw),
                "created_at": raw.get("created_at"),
                # A version's created_at is when that wording was posted.
                "edited_at": raw.get("created_at") if original_id != version_id else None,
                "url": self.public_url(version_id, handle=author_data.get("username") or ""),
                "language": raw.get("lang") or "",
                "legal_hold": withheld_note(raw.get("withheld")),
            }
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            return QuarantinedItem(route=route, raw=raw, error=f"unreadable tweet: {error!r}")
        payload = {"tweet": raw, "author": author_data}
        return self.reply_validate(route, fields, payload)

    def lookup_posts(self, ids) -> dict[str, str]:
        """States by the ids asked for; an edited post is judged by its latest version.

        Responses are stored under a post's original id, and an old version stays
        readable after an edit, so the newest id of each chain is looked up too.
        """
        states = self._lookup_states(ids)
        latest_of = {
            post_id: latest
            for post_id, (state, latest) in states.items()
            if state == PostState.LIVE and latest != post_id
        }
        latest_states = self._lookup_states(set(latest_of.values())) if latest_of else {}
        result = {post_id: state for post_id, (state, _) in states.items()}
        for post_id, latest in latest_of.items():
            if latest in latest_states:
                result[post_id] = latest_states[latest][0]
        return result

    def post_metrics(self, ids) -> dict[str, dict[str, int]]:
        """``public_metrics`` of each post (reply, retweet, like, quote counts…)."""
        metrics: dict[str, dict[str, int]] = {}
        for chunk in split_items(list(ids), 100):
            response = self._call(
                "get_tweets",
                self.client.get_tweets,
                chunk,
                tweet_fields=["public_metrics"],
                user_auth=True,
            )
            for tweet in response.data or []:
                counts = tweet.public_metrics or {}
                metrics[str(tweet.id)] = {
                    str(name): value
                    for name, value in counts.items()
                    if isinstance(value, int) and not isinstance(value, bool)
                }
        return metrics

    def _lookup_states(self, ids) -> dict[str, tuple[str, str]]:
        """``{id: (state, newest id of its edit chain)}`` for the ids X answers about."""
        states: dict[str, tuple[str, str]] = {}
        for chunk in split_items(list(ids), 100):
            response = self._call(
                "get_tweets", self.client.get_tweets, chunk, tweet_fields=["id"], user_auth=True
            )
            for tweet in response.data or []:
                history = [str(post_id) for post_id in tweet.edit_history_tweet_ids or []]
                states[str(tweet.id)] = (PostState.LIVE, history[-1] if history else str(tweet.id))
            for error in response.errors or []:
                post_id = str(error.get("resource_id") or error.get("value") or "")
                kind = str(error.get("type") or "")
                if _NOT_AUTHORIZED in kind:
                    states[post_id] = (PostState.PRIVATE, post_id)
                elif _NOT_FOUND in kind:
                    states[post_id] = (PostState.DELETED, post_id)
        return states


def readable_text(raw: dict) -> str | None:
    """A post's words as written: the whole ``note_tweet`` of a long post, unescaped
    (X escapes &, < and >), each t.co link replaced by the link written."""
    source = raw.get("note_tweet") or raw
    text = source.get("text")
    if not isinstance(text, str):
        return text
    text = html.unescape(text)
    for url in (source.get("entities") or {}).get("urls") or []:
        short, expanded = url.get("url"), url.get("expanded_url")
        if short and expanded:
            text = text.replace(short, expanded)
    return text


def withheld_note(withheld: object) -> str:
    """Why X withholds a post, for the moderator ("" when it does not).

    X withholds a post in the countries of ``country_codes`` on a legal demand there, or
    everywhere on a copyright claim. The hub publishes to everyone, so it does not show
    such a post until a moderator has judged it (X: "withheld content" in its docs).
    """
    if not isinstance(withheld, dict):
        return ""
    codes = [str(code).upper() for code in withheld.get("country_codes") or []]
    reasons = []
    if withheld.get("copyright"):
        reasons.append("on a copyright claim")
    if codes:
        reasons.append(f"in {', '.join(codes)} on a legal demand")
    if not reasons:
        return ""
    return f"X withholds this post {' and '.join(reasons)}."


def _snowflake_time(post_id: str) -> datetime:
    """When an X id was made: its top bits are milliseconds since X's epoch."""
    return datetime.fromtimestamp(((int(post_id) >> 22) + _TWITTER_EPOCH_MS) / 1000, tz=UTC)


def _describe(error: tweepy.HTTPException) -> str:
    status = getattr(error.response, "status_code", "?")
    messages = "; ".join(str(message) for message in error.api_messages) or "no detail"
    return f"HTTP {status}: {messages}"
