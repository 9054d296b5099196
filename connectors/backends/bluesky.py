"""Bluesky (any PDS, including the sandbox) through atproto's ``Client``.

The session is exported after login and kept, encrypted, on the channel; the
next run imports it instead of logging in again (``createSession`` is rate
limited much harder than posting). A refreshed session is exported the same way.
The session names the account's own PDS (from the DID document ``createSession``
returns: on bsky.social, not bsky.social itself), and is used there; if that PDS
refuses it or cannot be reached, one fresh login through the channel's address follows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
from atproto import Client, SessionEvent, models
from atproto.exceptions import (
    AtProtocolError,
    BadRequestError,
    InvokeTimeoutError,
    NetworkError,
    RateLimitExceededError,
    RequestException,
    UnauthorizedError,
)
from atproto_client.client.session import Session
from atproto_client.request import Request
from pydantic import Field

from connectors.base import Connector, RoutePage, jsonable, parse_time, split_items
from connectors.exceptions import (
    ConnectorError,
    NotFound,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
    TransientError,
)
from connectors.formatting import NetworkRules
from connectors.schemas import SecretsSchema
from connectors.types import (
    CollectionScope,
    ExternalAccount,
    ExternalPost,
    Facet,
    IncomingReply,
    OutgoingPost,
    PostState,
    QuarantinedItem,
)

_POST_COLLECTION = "app.bsky.feed.post"
# What a PDS answers (400) for an access or refresh token it no longer accepts.
_SESSION_ERRORS = {"ExpiredToken", "InvalidToken"}
# What the AppView answers (400) for a post or thread that is not there.
_NOT_FOUND_ERRORS = {"NotFound", "RecordNotFound"}
_THREAD_POST = "app.bsky.feed.defs#threadViewPost"
# The route that walks the threads under replies detached from ours by a deletion.
_DETACHED_ROUTE = "detached"
_NOTIFICATION_REASONS = ["reply", "mention", "quote"]
_RECORD_WITH_MEDIA = "app.bsky.embed.recordWithMedia"
_LINK = "app.bsky.richtext.facet#link"
# The deepest thread the AppView returns in one getPostThread.
_MAX_DEPTH = 1000


def _xrpc_url(base_url: str) -> str:
    return base_url if base_url.endswith("/xrpc") else f"{base_url}/xrpc"


def _facet_model(facet: Facet) -> models.AppBskyRichtextFacet.Main:
    if facet.kind == "link":
        feature = models.AppBskyRichtextFacet.Link(uri=facet.value)
    else:
        feature = models.AppBskyRichtextFacet.Tag(tag=facet.value)
    return models.AppBskyRichtextFacet.Main(
        features=[feature],
        index=models.AppBskyRichtextFacet.ByteSlice(
            byte_start=facet.byte_start, byte_end=facet.byte_end
        ),
    )


def _strong_ref(post: ExternalPost) -> models.ComAtprotoRepoStrongRef.Main:
    return models.ComAtprotoRepoStrongRef.Main(uri=post.id, cid=post.cid)


def _session_endpoint(session_string: str) -> str | None:
    """The PDS a stored session belongs to, or None when it cannot be read."""
    try:
        session = Session.decode(session_string)
        session.access_jwt_payload  # noqa: B018 - decoding it is the check
    except (ValueError, AtProtocolError):
        return None
    return session.pds_endpoint


def _error_code(error: BadRequestError) -> str | None:
    """The XRPC error name a 400 carries ("ExpiredToken", "NotFound", ...)."""
    if error.response is None:
        return None
    content = error.response.content
    return getattr(content, "error", None) or (
        content.get("error") if isinstance(content, dict) else None
    )


def _is_refused_session(error: BaseException) -> bool:
    # Nothing reached the session's PDS (moved, or a sandbox restarted elsewhere): nothing was written.
    if isinstance(error, httpx.ConnectError) or isinstance(error.__cause__, httpx.ConnectError):
        return True
    if isinstance(error, UnauthorizedError):
        return True
    if isinstance(error, BadRequestError):
        return _error_code(error) in _SESSION_ERRORS
    return False


class BlueskySecrets(SecretsSchema):
    identifier: str = Field(
        min_length=1, title="Bluesky handle or email", json_schema_extra={"secret": False}
    )
    password: str = Field(min_length=1, title="Bluesky app password")


class BlueskyConnector(Connector):
    network = "bluesky"
    label = "Bluesky"
    default_base_url = "https://bsky.social"
    #: Bluesky's guidelines act against unsolicited automated interactions; a reply
    #: to someone who replied to us first is not unsolicited (the README).
    automated_replies_allowed = True
    secrets_schema = BlueskySecrets
    # 300 grapheme clusters, links as written: long ones are shown shortened, whole in a facet.
    text_rules = NetworkRules(network="Bluesky", limit=300, shorten_links_over=40, facets=True)
    poll_interval = 20
    # The AppView allows 3000 requests per 5 minutes per IP address.
    request_budget = 2500
    walks_detached_replies = True
    # How deep one getPostThread reads (the lexicon's maximum; an App View may cap it lower).
    thread_depth = _MAX_DEPTH
    client_errors = (AtProtocolError, httpx.TransportError, ValueError)

    def __init__(self, credentials, *, timeout=10.0, options=None):
        super().__init__(credentials, timeout=timeout, options=options)
        self.client = Client(
            base_url=_xrpc_url(self.base_url),
            # No proxies from the environment: they would bypass the guarded transport.
            request=Request(timeout=timeout, transport=self.http_transport(), trust_env=False),
        )
        self.client.on_session_change(self._remember_session)
        self._session_string = ""
        self._logged_in = False
        self._from_stored_session = False

    # --- Session ------------------------------------------------------------------------

    def _remember_session(self, event: SessionEvent, session: Session) -> None:
        if event in (SessionEvent.CREATE, SessionEvent.REFRESH):
            self._session_string = session.encode()

    @property
    def session(self) -> str:
        return self._session_string

    def _login(self, *, fresh: bool = False) -> None:
        if self._logged_in and not fresh:
            return
        stored = self.credentials.session
        usable = bool(stored) and not fresh and _session_endpoint(stored) is not None
        try:
            if usable:
                self.client.login(session_string=stored, fetch_bsky_profile=False)
            else:
                # Through the channel's address, not the PDS a refused stored session named.
                self.client.update_base_url(_xrpc_url(self.base_url))
                self.client.login(
                    self.secrets.identifier, self.secrets.password, fetch_bsky_profile=False
                )
        except self.client_errors as error:
            raise self._translated(error, "login", write=False) from error
        self._logged_in = True
        self._from_stored_session = bool(usable)

    @property
    def did(self) -> str:
        return self.client._session.did if self.client._session else self.credentials.account_id

    def _call(self, what: str, function, *args, write: bool = False, **kwargs):
        self._login()
        try:
            return function(*args, **kwargs)
        except self.client_errors as error:
            # A refused stored session (expired, revoked) earns one fresh login; nothing was written.
            if not (self._from_stored_session and _is_refused_session(error)):
                raise self._translated(error, what, write=write) from error
        self._login(fresh=True)
        return super()._call(what, function, *args, write=write, **kwargs)

    def translate_error(self, error: BaseException, what: str) -> ConnectorError:
        if isinstance(error, RateLimitExceededError):
            reset_at = error.reset_at
            if reset_at is None and error.retry_after is not None:
                reset_at = parse_time(datetime.now(tz=UTC).timestamp() + error.retry_after)
            return RateLimited(reset_at or datetime.now(tz=UTC), f"Bluesky rate limit on {what}")
        if isinstance(error, UnauthorizedError):
            return PermanentError(f"Bluesky refused the credentials on {what}: {error}")
        if isinstance(error, BadRequestError):
            if _error_code(error) in _NOT_FOUND_ERRORS:
                return NotFound(f"Bluesky could not find what {what} needs: {error}")
            return PermanentError(f"Bluesky refused {what}: {error}")
        if isinstance(error, InvokeTimeoutError | httpx.TransportError) or (
            isinstance(error, NetworkError) and error.response is None
        ):
            return OutcomeUnknown(f"no answer from Bluesky to {what}: {error!r}")
        if isinstance(error, NetworkError | RequestException):
            return TransientError(f"Bluesky error on {what}: {error}")
        # A 2xx with a body we could not read: the record may exist.
        return OutcomeUnknown(f"unreadable answer from Bluesky to {what}: {error!r}")

    # --- Account --------------------------------------------------------------------------

    def verify(self) -> ExternalAccount:
        self._login(fresh=True)
        profile = self._call(
            "getProfile",
            self.client.app.bsky.actor.get_profile,
            models.AppBskyActorGetProfile.Params(actor=self.did),
        )
        return ExternalAccount(
            id=profile.did, handle=profile.handle, display_name=profile.display_name or ""
        )

    # --- Publishing -------------------------------------------------------------------------

    @classmethod
    def reply_target(cls, *, post_id: str, raw: Mapping[str, Any]) -> ExternalPost:
        # A reply names its parent by a strong reference: the collected view carries the cid.
        return ExternalPost(id=post_id, cid=str(raw.get("cid") or ""))

    def publish(self, post: OutgoingPost) -> ExternalPost:
        reply_to = None
        if post.reply_to:
            root = post.root or post.reply_to
            reply_to = models.AppBskyFeedPost.ReplyRef(
                root=_strong_ref(root), parent=_strong_ref(post.reply_to)
            )
        self._login()
        created = self._call(
            "createRecord",
            self.client.send_post,
            post.text,
            profile_identify=self.did,
            reply_to=reply_to,
            facets=[_facet_model(facet) for facet in post.facets] or None,
            write=True,
        )
        return ExternalPost(
            id=created.uri,
            cid=created.cid,
            url=self.public_url(created.uri),
            text=post.text,
            author_id=self.did,
            author_handle=self.credentials.handle,
            reply_to_id=post.reply_to.id if post.reply_to else "",
            root_id=(post.root or post.reply_to).id if post.reply_to else created.uri,
        )

    def delete(self, post: ExternalPost) -> None:
        try:
            self._call("deleteRecord", self.client.delete_post, post.id)
        except NotFound:
            return

    def recent_posts(self, *, limit: int = 50) -> list[ExternalPost]:
        self._login()
        response = self._call(
            "listRecords",
            self.client.com.atproto.repo.list_records,
            models.ComAtprotoRepoListRecords.Params(
                repo=self.did, collection=_POST_COLLECTION, limit=min(limit, 100)
            ),
        )
        posts = []
        for record in response.records:
            value = record.value
            text = getattr(value, "text", None)
            if text is None and isinstance(value, dict):
                text = value.get("text", "")
            reply = getattr(value, "reply", None)
            created = getattr(value, "created_at", None)
            posts.append(
                ExternalPost(
                    id=record.uri,
                    cid=record.cid,
                    url=self.public_url(record.uri),
                    text=text or "",
                    created_at=parse_time(created),
                    author_id=self.did,
                    reply_to_id=reply.parent.uri if reply else "",
                    root_id=reply.root.uri if reply else record.uri,
                )
            )
        return posts

    def public_url(self, post_id: str) -> str:
        if self.base_url == self.default_base_url:
            # at://<did>/app.bsky.feed.post/<rkey>: the author is the repository.
            repo = post_id.removeprefix("at://").split("/", 1)[0] or self.did
            rkey = post_id.rsplit("/", 1)[-1]
            return f"https://bsky.app/profile/{repo}/post/{rkey}"
        return f"{self.base_url}/_sandbox/posts/{quote(post_id, safe='')}"

    # --- Collecting ---------------------------------------------------------------------------

    def collection_routes(self, scope: CollectionScope) -> list[str]:
        routes = [*(f"thread:{root}" for root in scope.root_ids), "notifications"]
        if scope.hashtag:
            routes.append(f"hashtag:{scope.hashtag.lstrip('#')}")
        # Last, and there even when nothing is detached yet: a reply the notifications
        # just brought may sit under a deleted reply, with more under it than they tell.
        routes.append(_DETACHED_ROUTE)
        return routes

    def fetch_route_page(self, route: str, state: dict, scope: CollectionScope) -> RoutePage:
        """Threads come whole, from our posts and then from each detached reply; notifications
        and hashtag searches page backwards until one older than ``seen``, the newest
        ``indexedAt`` of the last finished sweep.

        The App View leaves a deleted reply out of threads with everything under it, and
        notifies a reply only to the authors of the posts up to four levels above it
        (``REPLY_NOTIF_DEPTH`` in its post indexer). So a reply under a deleted one comes by
        notification only that near our post, and what lies deeper is reached by walking
        the thread of a reply already collected below the deleted one ("detached").
        """
        kind, _, value = route.partition(":")
        self._login()
        if kind == "thread":
            return self._thread_page(value, state, scope)
        if kind == _DETACHED_ROUTE:
            return self._detached_page(state, scope)
        limit = max(1, min(scope.page_size, 100))
        if kind == "hashtag":
            # ``tag`` is the real filter on bsky.social; an App View without a search
            # service (the reference dev stack) matches ``q`` against the text instead.
            response = self._call(
                "searchPosts",
                self.client.app.bsky.feed.search_posts,
                models.AppBskyFeedSearchPosts.Params(
                    q=f"#{value}",
                    tag=[value],
                    sort="latest",
                    limit=limit,
                    cursor=state.get("next") or None,
                ),
            )
            items = [_raw(post) for post in response.posts]
            posts = items
        else:
            response = self._call(
                "listNotifications",
                self.client.app.bsky.notification.list_notifications,
                models.AppBskyNotificationListNotifications.Params(
                    limit=limit,
                    cursor=state.get("next") or None,
                    reasons=_NOTIFICATION_REASONS,
                ),
            )
            items = [_raw(item) for item in response.notifications]
            posts = [item for item in items if item.get("reason") in _NOTIFICATION_REASONS]
        # The first sweep pages back no further than ``since``.
        seen = state.get("seen") or (_iso(scope.since) if scope.since else "")
        indexed = [str(item.get("indexedAt") or "") for item in items]
        top = max([state.get("top") or "", *indexed])
        reached_seen = bool(seen) and any(value < seen for value in indexed)
        if response.cursor and items and not reached_seen:
            new_state, done = {"seen": seen, "next": response.cursor, "top": top}, False
        else:
            new_state, done = {"seen": max(seen, top), "next": None, "top": None}, True
        read = len(items)
        return self._route_page(kind, posts, scope, state=new_state, done=done, read=read)

    def _route_page(
        self,
        kind: str,
        posts: list[dict],
        scope: CollectionScope,
        *,
        state: dict,
        done: bool,
        read: int,
    ) -> RoutePage:
        replies: list[IncomingReply] = []
        quarantined: list[QuarantinedItem] = []
        for raw in posts:
            if (raw.get("author") or {}).get("did") == self.did or raw.get("uri") in (
                scope.root_ids
            ):
                continue
            item = self._reply_from(kind, raw, scope=scope)
            (replies if isinstance(item, IncomingReply) else quarantined).append(item)
        return RoutePage(
            replies=tuple(replies),
            quarantined=tuple(quarantined),
            state=state,
            done=done,
            posts_read=read,
        )

    def _thread_page(self, root: str, state: dict, scope: CollectionScope) -> RoutePage:
        """One of our posts' threads, then each reply the read stopped above (a thread deeper
        than one read's ``depth``, or than the App View's own cap)."""
        deeper = list(state.get("deeper") or [])
        # None: the post is gone (ours deleted by an administrator), nothing to collect under it.
        posts, below = self._thread_walk(deeper.pop(0) if deeper else root) or ([], [])
        deeper += below
        return self._route_page(
            "thread",
            posts,
            scope,
            state={"deeper": deeper} if deeper else {},
            done=not deeper,
            read=len(posts),
        )

    def _detached_page(self, state: dict, scope: CollectionScope) -> RoutePage:
        """The thread under one detached reply: each when it is first detached, then again
        once ``revisit_interval`` has passed since its last walk."""
        now = datetime.now(tz=UTC)
        stale = now - scope.revisit_interval
        # Only the replies still detached are remembered, so the cursor stays small.
        walked = {
            uri: at for uri, at in (state.get("walked") or {}).items() if uri in scope.detached_ids
        }
        due = [
            uri
            for uri in scope.detached_ids
            if uri not in walked or datetime.fromisoformat(walked[uri]) <= stale
        ]
        deeper = list(state.get("deeper") or [])
        if deeper:
            start = deeper.pop(0)
        elif due:
            start = due.pop(0)
            walked[start] = now.isoformat()
        else:
            return RoutePage(replies=(), state={"walked": walked}, done=True)
        # Gone since (deleted): the sweep withdraws it; replies recorded under it are detached next.
        posts, below = self._thread_walk(start) or ([], [])
        deeper += below
        return self._route_page(
            "thread",
            posts,
            scope,
            state={"walked": walked, "deeper": deeper},
            done=not (deeper or due),
            read=len(posts),
        )

    def _thread_walk(self, uri: str) -> tuple[list[dict], list[str]] | None:
        """The posts under ``uri`` (breadth first), and those whose replies the read did not
        reach; None when the post is not there. Deleted or blocked replies are skipped with
        everything under them, as the App View leaves them out."""
        try:
            response = self._call(
                "getPostThread",
                self.client.app.bsky.feed.get_post_thread,
                models.AppBskyFeedGetPostThread.Params(
                    uri=uri, depth=self.thread_depth, parent_height=0
                ),
            )
        except NotFound:
            return None
        posts: list[dict] = []
        below: list[str] = []
        pending = list(getattr(response.thread, "replies", None) or [])
        while pending:
            node = pending.pop(0)
            if getattr(node, "py_type", "") != _THREAD_POST:
                continue  # notFoundPost / blockedPost: nothing of it may be kept
            posts.append(_raw(node.post))
            if node.replies is None and (node.post.reply_count or 0) > 0:
                below.append(node.post.uri)  # replies are left out only past ``depth``
            pending.extend(node.replies or [])
        return posts, below

    def _reply_from(self, kind: str, raw: dict, *, scope: CollectionScope):
        try:
            record = raw["record"]
            author = raw["author"]
            reply = record.get("reply") or {}
            quoted = _quoted_uri(record.get("embed") or {})
            parent = (reply.get("parent") or {}).get("uri") or quoted
            root = (reply.get("root") or {}).get("uri") or (
                quoted if quoted in scope.root_ids else ""
            )
            langs = record.get("langs") or []
            fields = {
                "id": raw["uri"],
                "parent_id": parent,
                "root_id": root,
                "author_id": author.get("did"),
                "author_handle": author.get("handle") or "",
                "author_display_name": author.get("displayName") or "",
                "text": _text_with_full_links(record),
                "created_at": record.get("createdAt"),
                "url": self.public_url(raw["uri"]),
                "language": langs[0] if langs else "",
            }
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            return QuarantinedItem(route=kind, raw=raw, error=f"unreadable post: {error!r}")
        return self.reply_validate(kind, fields, raw)

    def lookup_posts(self, ids) -> dict[str, str]:
        self._login()
        states: dict[str, str] = {}
        for chunk in split_items(list(ids), 25):
            response = self._call(
                "getPosts",
                self.client.app.bsky.feed.get_posts,
                models.AppBskyFeedGetPosts.Params(uris=chunk),
            )
            found = {post.uri for post in response.posts}
            for uri in chunk:
                # Left out: deleted, or its author blocked us; either way not ours to show.
                states[uri] = PostState.LIVE if uri in found else PostState.DELETED
        return states

    def post_metrics(self, ids) -> dict[str, dict[str, int]]:
        """Each post's ``replyCount``, ``repostCount``, ``likeCount`` and ``quoteCount``
        (the App View's counts, as ``getPosts`` gives them)."""
        self._login()
        metrics: dict[str, dict[str, int]] = {}
        for chunk in split_items(list(ids), 25):
            response = self._call(
                "getPosts",
                self.client.app.bsky.feed.get_posts,
                models.AppBskyFeedGetPosts.Params(uris=chunk),
            )
            for post in response.posts:
                counts = {
                    "replyCount": post.reply_count,
                    "repostCount": post.repost_count,
                    "likeCount": post.like_count,
                    "quoteCount": post.quote_count,
                }
                metrics[post.uri] = {
                    name: value for name, value in counts.items() if isinstance(value, int)
                }
        return metrics


def _quoted_uri(embed: dict) -> str:
    """The post a quote embeds, bare (``embed.record``) or beside media (``embed.recordWithMedia``)."""
    record = embed.get("record") or {}
    if embed.get("$type") == _RECORD_WITH_MEDIA:
        record = record.get("record") or {}
    return str(record.get("uri") or "")


def _text_with_full_links(record: dict):
    """The text with each link as the full URL its facet holds.

    Bluesky apps write a long link shortened in the text ("consult.example.gov.uk/consulta...")
    and keep the whole URL in the link facet; other link text is kept, followed by the URL.
    """
    text = record.get("text")
    if not isinstance(text, str):
        return text  # for the boundary's validation to refuse
    data = text.encode("utf-8")
    links = []
    for facet in record.get("facets") or []:
        index = facet.get("index") or {}
        start, end = index.get("byteStart"), index.get("byteEnd")
        uris = [f.get("uri") for f in facet.get("features") or [] if f.get("$type") == _LINK]
        if uris and uris[0] and isinstance(start, int) and isinstance(end, int):
            if 0 <= start < end <= len(data):
                links.append((start, end, str(uris[0])))
    pieces, position = [], 0
    try:
        for start, end, uri in sorted(links):
            if start < position:
                continue  # overlapping facets: the first one wins
            shown = data[start:end].decode("utf-8")
            pieces += [data[position:start].decode("utf-8"), _link_text(shown, uri)]
            position = end
        pieces.append(data[position:].decode("utf-8"))
    except UnicodeDecodeError:
        return text  # a facet that cuts a character in two: the text as written
    return "".join(pieces)


def _link_text(shown: str, uri: str) -> str:
    stem = shown.removesuffix("...").removesuffix("\u2026")
    bare = uri.split("://", 1)[-1]
    if uri.startswith(stem) or bare.startswith(stem) or bare.removeprefix("www.").startswith(stem):
        return uri
    return f"{shown} ({uri})"


def _iso(moment: datetime) -> str:
    """The AppView's own timestamp shape, so the two compare as strings."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _raw(model) -> dict:
    if hasattr(model, "model_dump"):
        return model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return jsonable(dict(model))
