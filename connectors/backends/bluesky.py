"""Bluesky (any PDS, including the sandbox) through atproto's ``Client``.

The session is exported after login and kept, encrypted, on the channel; the
next run imports it instead of logging in again (``createSession`` is rate
limited much harder than posting). A refreshed session is exported the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime
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

from connectors.base import Connector, RoutePage, jsonable, split_items
from connectors.exceptions import (
    ConnectorError,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
    TransientError,
)
from connectors.formatting import NetworkRules, rules_for_bluesky
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
_THREAD_POST = "app.bsky.feed.defs#threadViewPost"
_NOTIFICATION_REASONS = ["reply", "mention", "quote"]
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


def _is_refused_session(error: Exception) -> bool:
    if isinstance(error, UnauthorizedError):
        return True
    if isinstance(error, BadRequestError) and error.response is not None:
        content = error.response.content
        code = getattr(content, "error", None) or (
            content.get("error") if isinstance(content, dict) else None
        )
        return code in _SESSION_ERRORS
    return False


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


class BlueskyConnector(Connector):
    network = "bluesky"
    label = "Bluesky"
    default_base_url = "https://bsky.social"
    required_secrets = ("identifier", "password")

    def __init__(self, credentials, *, timeout=10.0):
        super().__init__(credentials, timeout=timeout)
        secrets = credentials.secrets
        if not (secrets.get("identifier") or credentials.handle) or not secrets.get("password"):
            raise PermanentError("Bluesky credentials need an identifier (handle) and a password")
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
        # A session made against another address (a restarted sandbox, a moved PDS) is useless.
        usable = (
            bool(stored)
            and not fresh
            and _session_endpoint(stored)
            in (
                self.base_url,
                _xrpc_url(self.base_url),
            )
        )
        try:
            if usable:
                self.client.login(session_string=stored, fetch_bsky_profile=False)
            else:
                identifier = self.credentials.secrets.get("identifier") or self.credentials.handle
                self.client.login(
                    identifier, self.credentials.secrets["password"], fetch_bsky_profile=False
                )
        except (AtProtocolError, httpx.TransportError, ValueError) as error:
            raise self._translate(error, "login", write=False) from error
        self._logged_in = True
        self._from_stored_session = bool(usable)

    @property
    def did(self) -> str:
        return self.client._session.did if self.client._session else self.credentials.account_id

    def _call(self, what: str, function, *args, write: bool = False, **kwargs):
        self._login()
        try:
            return function(*args, **kwargs)
        except (AtProtocolError, httpx.TransportError, ValueError) as error:
            # A refused stored session (expired, revoked) earns one fresh login; nothing was written.
            if not (self._from_stored_session and _is_refused_session(error)):
                raise self._translate(error, what, write=write) from error
        self._login(fresh=True)
        try:
            return function(*args, **kwargs)
        except (AtProtocolError, httpx.TransportError, ValueError) as error:
            raise self._translate(error, what, write=write) from error

    @staticmethod
    def _translate(error: Exception, what: str, *, write: bool) -> ConnectorError:
        if isinstance(error, RateLimitExceededError):
            reset_at = error.reset_at
            if reset_at is None and error.retry_after is not None:
                reset_at = datetime.fromtimestamp(
                    datetime.now(tz=UTC).timestamp() + error.retry_after, tz=UTC
                )
            return RateLimited(reset_at or datetime.now(tz=UTC), f"Bluesky rate limit on {what}")
        if isinstance(error, UnauthorizedError):
            return PermanentError(f"Bluesky refused the credentials on {what}: {error}")
        if isinstance(error, BadRequestError):
            return PermanentError(f"Bluesky refused {what}: {error}")
        if isinstance(error, InvokeTimeoutError | httpx.TransportError) or (
            isinstance(error, NetworkError) and error.response is None
        ):
            if write:
                return OutcomeUnknown(f"no answer from Bluesky to {what}: {error!r}")
            return TransientError(f"no answer from Bluesky to {what}: {error!r}")
        if isinstance(error, NetworkError | RequestException):
            return TransientError(f"Bluesky error on {what}: {error}")
        if write:
            # A 2xx with a body we could not read: the record may exist.
            return OutcomeUnknown(f"unreadable answer from Bluesky to {what}: {error!r}")
        return TransientError(f"unreadable answer from Bluesky to {what}: {error!r}")

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

    def rules(self) -> NetworkRules:
        return rules_for_bluesky()

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
        self._call("deleteRecord", self.client.delete_post, post.id)

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
                    created_at=_parse_time(created),
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
        return [*(f"thread:{root}" for root in scope.root_ids), "notifications"]

    def fetch_route_page(self, route: str, state: dict, scope: CollectionScope) -> RoutePage:
        """A thread comes whole (deleted or blocked nodes are skipped, their live replies
        come by notification); notifications page backwards until one older than ``seen``,
        the newest ``indexedAt`` of the last finished sweep."""
        kind, _, value = route.partition(":")
        self._login()
        if kind == "thread":
            try:
                response = self._call(
                    "getPostThread",
                    self.client.app.bsky.feed.get_post_thread,
                    models.AppBskyFeedGetPostThread.Params(
                        uri=value, depth=_MAX_DEPTH, parent_height=0
                    ),
                )
            except PermanentError:
                # Our own post is gone (deleted by an administrator): nothing to collect under it.
                return RoutePage(replies=(), state={}, done=True)
            posts = []
            pending = list(getattr(response.thread, "replies", None) or [])
            while pending:
                node = pending.pop(0)
                if getattr(node, "py_type", "") != _THREAD_POST:
                    continue  # notFoundPost / blockedPost: nothing of it may be kept
                posts.append(_raw(node.post))
                pending.extend(node.replies or [])
            new_state, done, read = {}, True, len(posts)
        else:
            limit = max(1, min(scope.page_size, 100))
            response = self._call(
                "listNotifications",
                self.client.app.bsky.notification.list_notifications,
                models.AppBskyNotificationListNotifications.Params(
                    limit=limit, cursor=state.get("next") or None, reasons=_NOTIFICATION_REASONS
                ),
            )
            notifications = [_raw(item) for item in response.notifications]
            # The first sweep pages back no further than ``since``.
            seen = state.get("seen") or (_iso(scope.since) if scope.since else "")
            indexed = [str(item.get("indexedAt") or "") for item in notifications]
            top = max([state.get("top") or "", *indexed])
            reached_seen = bool(seen) and any(value < seen for value in indexed)
            posts = [item for item in notifications if item.get("reason") in _NOTIFICATION_REASONS]
            if response.cursor and not reached_seen:
                new_state, done = {"seen": seen, "next": response.cursor, "top": top}, False
            else:
                new_state, done = {"seen": max(seen, top), "next": None, "top": None}, True
            read = len(notifications)
        replies, quarantined = [], []
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
            state=new_state,
            done=done,
            posts_read=read,
        )

    def _reply_from(self, kind: str, raw: dict, *, scope: CollectionScope):
        try:
            record = raw["record"]
            author = raw["author"]
            reply = record.get("reply") or {}
            embed = record.get("embed") or {}
            quoted = (embed.get("record") or {}).get("uri") or ""
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
                "text": record.get("text"),
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


def _iso(moment: datetime) -> str:
    """The AppView's own timestamp shape, so the two compare as strings."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _raw(model) -> dict:
    if hasattr(model, "model_dump"):
        return model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return jsonable(dict(model))
