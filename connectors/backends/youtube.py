"""YouTube (the Data API v3) through Google's own ``google-api-python-client``.

The client is built from the discovery document it ships (``static_discovery``: Google's
own description of every method and parameter, so a call the real API would refuse is
refused here first), with ``client_options.api_endpoint`` set to the channel's base URL (a
sandbox, or the real ``youtube.googleapis.com``). Its requests go through
``google-auth``'s ``AuthorizedHttp`` (the OAuth refresh token of the channel's owner, for
an access token) over an ``httplib2.Http`` of ``connectors.outbound``.

A consultation is announced as the channel's own top-level comment on the department's
video: the one the consultation names (its video link, or else the first YouTube video in
its body), or else the channel's ``video``; citizens' comment threads on that video, and
every reply in them, are its responses. The API meters a daily quota in units (a list costs 1, an
insert or a delete 50): ``quota_units`` is ours of it, counted per channel.
"""

from __future__ import annotations

import http.client
import json
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httplib2
from google.auth.exceptions import GoogleAuthError, RefreshError
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from pydantic import Field, field_validator

from connectors import outbound
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
    IncomingReply,
    OutgoingPost,
    PostState,
    QuarantinedItem,
)

SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 - an address, not a secret
# Google resets the daily quota at midnight Pacific Time.
QUOTA_TIMEZONE = ZoneInfo("America/Los_Angeles")
# Errors the Data API gives for its limits (developers.google.com/youtube/v3/docs/errors).
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
# A short limit says no time to wait: a minute lets it pass.
RATE_PAUSE_SECONDS = 60
# comments.list takes at most 50 ids per call.
LOOKUP_BATCH = 50
# Units of the daily quota each call costs, by method (developers.google.com/youtube/v3/
# determine_quota_cost): every list 1; an insert, an update or a delete 50.
QUOTA_COSTS = {"list": 1, "insert": 50, "update": 50, "delete": 50}
VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
VIDEO_IN_URL = re.compile(r"(?:[?&]v=|youtu\.be/|/shorts/|/embed/|/live/)([A-Za-z0-9_-]{11})")


def video_id_from(value: str) -> str:
    """A video's id from its id or any of YouTube's links to it; "" when there is none."""
    value = value.strip()
    if VIDEO_ID.match(value):
        return value
    found = VIDEO_IN_URL.search(value)
    return found.group(1) if found else ""


# The links an editor may give for a consultation's video: a watch page or a short link.
WATCH_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com"})
SHORT_HOSTS = frozenset({"youtu.be"})


def video_id_from_link(url: str) -> str:
    """The id of the video a ``youtube.com/watch?v=`` or ``youtu.be/`` link points at; ""
    for anything else (a channel, a playlist, a bare id, another site)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https"):
        return ""
    if host in WATCH_HOSTS and parts.path.rstrip("/") == "/watch":
        found = (parse_qs(parts.query).get("v") or [""])[0]
    elif host in SHORT_HOSTS:
        found = parts.path.strip("/")
    else:
        return ""
    return found if VIDEO_ID.match(found) else ""


def next_quota_reset(now: datetime | None = None) -> datetime:
    """The next midnight Pacific Time, when Google gives the day's units back."""
    local = (now or datetime.now(tz=UTC)).astimezone(QUOTA_TIMEZONE)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time())
    return midnight.replace(tzinfo=QUOTA_TIMEZONE).astimezone(UTC)


class YouTubeSecrets(SecretsSchema):
    client_id: str = Field(
        min_length=1, title="OAuth client id", json_schema_extra={"secret": False}
    )
    client_secret: str = Field(min_length=1, title="OAuth client secret")
    refresh_token: str = Field(min_length=1, title="Refresh token of the channel's owner")
    video: str = Field(
        min_length=1,
        title="The video consultations are announced on (its id or link)",
        json_schema_extra={"secret": False},
    )

    @field_validator("video")
    @classmethod
    def _video(cls, value: str) -> str:
        video_id = video_id_from(value)
        if not video_id:
            raise ValueError("give the video's id or its YouTube link")
        return video_id


def error_reasons(error: HttpError) -> list[str]:
    """The ``reason`` of each entry of Google's ``{"error": {"errors": [...]}}``."""
    try:
        body = json.loads(error.content.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, AttributeError):
        return []
    entries = (body.get("error") or {}).get("errors") if isinstance(body, dict) else None
    return [str(entry.get("reason")) for entry in entries or [] if isinstance(entry, dict)]


class YouTubeConnector(Connector):
    network = "youtube"
    label = "YouTube"
    video_url_examples = (
        "https://www.youtube.com/watch?v=aBcDeFgHiJk or https://youtu.be/aBcDeFgHiJk"
    )
    default_base_url = "https://youtube.googleapis.com"
    #: Replies are one level deep: ours would be one more templated comment per
    #: respondent in our own thread, what YouTube's spam policy calls repetitive comments.
    automated_replies_allowed = False
    secrets_schema = YouTubeSecrets
    # A comment's text: 10,000 characters; links count as written.
    text_rules = NetworkRules(network="YouTube", limit=10_000)
    idempotent_writes = False
    poll_interval = 60
    # The default daily quota of a Google Cloud project; a list costs one unit.
    quota_units = 10_000
    quota_reset_timezone = "America/Los_Angeles"
    client_errors = (
        HttpError,
        GoogleAuthError,
        httplib2.HttpLib2Error,
        http.client.HTTPException,
        OSError,
        ValueError,
    )

    def __init__(self, credentials, *, timeout=10.0, options=None):
        super().__init__(credentials, timeout=timeout, options=options)
        token_uri = (
            GOOGLE_TOKEN_URI if self.base_url == self.default_base_url else f"{self.base_url}/token"
        )
        outbound.url_check(token_uri)
        google_credentials = Credentials(
            token=None,
            refresh_token=self.secrets.refresh_token,
            client_id=self.secrets.client_id,
            client_secret=self.secrets.client_secret,
            token_uri=token_uri,
            scopes=[SCOPE],
        )
        authorized = AuthorizedHttp(google_credentials, http=outbound.GuardedHttp(timeout=timeout))
        self.api = build(
            "youtube",
            "v3",
            http=authorized,
            static_discovery=True,
            client_options={"api_endpoint": f"{self.base_url}/"},
            cache_discovery=False,
        )
        self._own_channel_id = credentials.account_id

    # --- Requests and errors -----------------------------------------------------------------

    def _execute(self, what: str, request, *, write: bool = False) -> dict:
        # Google charges every request, a refused one too ("at least one point").
        self.units_spent += QUOTA_COSTS.get(what.rpartition(".")[2], 1)
        answer = self._call(what, request.execute, num_retries=0, write=write)
        return answer if isinstance(answer, dict) else {}

    def translate_error(self, error: BaseException, what: str) -> ConnectorError:
        if isinstance(error, RefreshError):
            return PermanentError(f"Google refused the channel's refresh token: {error}")
        if isinstance(error, GoogleAuthError):
            return OutcomeUnknown(f"no answer from Google's token endpoint to {what}: {error}")
        if not isinstance(error, HttpError):
            if isinstance(error, ValueError) and not isinstance(error, UnicodeError):
                return OutcomeUnknown(f"YouTube answered {what} with an unreadable body")
            return OutcomeUnknown(f"no answer from YouTube to {what}: {error!r}")
        status = error.status_code
        reasons = error_reasons(error)
        if QUOTA_REASONS & set(reasons):
            return RateLimited(
                next_quota_reset(), f"YouTube quota exceeded on {what} (quotaExceeded)"
            )
        if RATE_REASONS & set(reasons) or status == 429:
            return RateLimited(
                datetime.now(tz=UTC) + timedelta(seconds=RATE_PAUSE_SECONDS),
                f"YouTube rate limit on {what} ({', '.join(reasons) or status})",
            )
        if status == 401:
            return PermanentError(f"YouTube refused the channel's credentials on {what}")
        if status == 404:
            return NotFound(f"YouTube could not find what {what} needs")
        if status is not None and status >= 500:
            return TransientError(f"YouTube server error on {what}: HTTP {status}")
        return PermanentError(
            f"YouTube refused {what}: HTTP {status} ({', '.join(reasons) or 'no reason'})"
        )

    # --- Account ----------------------------------------------------------------------------

    def verify(self) -> ExternalAccount:
        answer = self._execute("channels.list", self.api.channels().list(part="snippet", mine=True))
        items = answer.get("items") or []
        if not items or not isinstance(items[0], dict):
            raise PermanentError("the credentials belong to no YouTube channel")
        channel = items[0]
        snippet = channel.get("snippet") or {}
        self._own_channel_id = str(channel["id"])
        return ExternalAccount(
            id=str(channel["id"]),
            handle=str(snippet.get("customUrl") or channel["id"]).lstrip("@"),
            display_name=str(snippet.get("title") or ""),
        )

    @classmethod
    def video_id_from_url(cls, url: str) -> str:
        return video_id_from_link(url)

    @property
    def video_id(self) -> str:
        """The consultation's own video when it names one, else the channel's."""
        return self.video_id_from_url(self.video_url) or self.secrets.video

    def _channel_id(self) -> str:
        return self._own_channel_id or self.verify().id

    # --- Publishing ----------------------------------------------------------------------------

    def publish(self, post: OutgoingPost) -> ExternalPost:
        """The channel's own top-level comment on its video (``commentThreads.insert``);
        YouTube has no threads of posts, so a ``reply_to`` is a reply in that comment's thread."""
        if post.reply_to is not None:
            created = self._execute(
                "comments.insert",
                self.api.comments().insert(
                    part="snippet",
                    body={"snippet": {"parentId": post.reply_to.id, "textOriginal": post.text}},
                ),
                write=True,
            )
        else:
            created = self._execute(
                "commentThreads.insert",
                self.api.commentThreads().insert(
                    part="snippet",
                    body={
                        "snippet": {
                            "videoId": self.video_id,
                            "topLevelComment": {"snippet": {"textOriginal": post.text}},
                        }
                    },
                ),
                write=True,
            )
        comment_id = str(created.get("id") or "")
        if not comment_id:
            raise OutcomeUnknown("YouTube answered the comment without its id")
        return self.published(post, comment_id)

    def delete(self, post: ExternalPost) -> None:
        try:
            self._execute("comments.delete", self.api.comments().delete(id=post.id), write=True)
        except NotFound:
            return

    def recent_posts(self, *, limit: int = 50) -> list[ExternalPost]:
        """The channel's latest top-level comments on its video, newest first."""
        answer = self._execute(
            "commentThreads.list",
            self.api.commentThreads().list(
                part="snippet",
                videoId=self.video_id,
                order="time",
                textFormat="plainText",
                maxResults=max(1, min(limit, 100)),
            ),
        )
        own = self._channel_id()
        posts = []
        for thread in answer.get("items") or []:
            comment = ((thread or {}).get("snippet") or {}).get("topLevelComment") or {}
            snippet = comment.get("snippet") or {}
            if str((snippet.get("authorChannelId") or {}).get("value") or "") != own:
                continue
            posts.append(
                ExternalPost(
                    id=str(comment.get("id") or thread.get("id")),
                    url=self.public_url(str(comment.get("id") or thread.get("id"))),
                    text=str(snippet.get("textOriginal") or snippet.get("textDisplay") or ""),
                    created_at=parse_time(snippet.get("publishedAt")),
                    author_id=own,
                    root_id=str(thread.get("id") or ""),
                )
            )
        return posts

    def own_replies(self, post: ExternalPost, *, limit: int = 50) -> list[ExternalPost]:
        """The channel's own replies in the thread of its comment ``post``, newest first
        (``comments.list`` by ``parentId``: YouTube lists a thread's replies oldest first)."""
        answer = self._execute(
            "comments.list",
            self.api.comments().list(
                part="snippet",
                parentId=post.id,
                textFormat="plainText",
                maxResults=max(1, min(limit, 100)),
            ),
        )
        own = self._channel_id()
        replies = []
        for comment in answer.get("items") or []:
            snippet = (comment or {}).get("snippet") or {}
            if str((snippet.get("authorChannelId") or {}).get("value") or "") != own:
                continue
            replies.append(
                ExternalPost(
                    id=str(comment.get("id") or ""),
                    url=self.public_url(str(comment.get("id") or "")),
                    text=str(snippet.get("textOriginal") or snippet.get("textDisplay") or ""),
                    created_at=parse_time(snippet.get("publishedAt")),
                    author_id=own,
                    reply_to_id=post.id,
                    root_id=post.id,
                )
            )
        return list(reversed(replies))

    def public_url(self, post_id: str) -> str:
        """The video with the comment highlighted (``lc``), on YouTube or on the sandbox."""
        host = (
            "https://www.youtube.com" if self.base_url == self.default_base_url else self.base_url
        )
        return f"{host}/watch?v={self.video_id}&lc={post_id}"

    # --- Collecting ------------------------------------------------------------------------------

    def collection_routes(self, scope: CollectionScope) -> list[str]:
        # Every comment thread on the video answers the consultation announced on it, but
        # for the threads of the hub's comments for other consultations.
        return [f"video:{self.video_id}"] if scope.root_ids else []

    def fetch_route_page(self, route: str, state: dict, scope: CollectionScope) -> RoutePage:
        """One list request: a page of the video's comment threads (``order=time``, with the
        replies each carries), or a page of the replies of a thread that has more than it
        carried (``comments.list`` by ``parentId``). Each cycle walks the video again: the
        API has no "changed since" query, and a re-read is what shows edits."""
        root_id = scope.root_ids[0]
        expand = [str(thread) for thread in state.get("expand") or []]
        size = max(1, min(scope.page_size, 100))
        if expand:
            thread_id = expand[0]
            params: dict[str, Any] = {
                "part": "snippet",
                "parentId": thread_id,
                "maxResults": size,
                "textFormat": "plainText",
            }
            if state.get("replies_page"):
                params["pageToken"] = str(state["replies_page"])
            try:
                answer = self._execute("comments.list", self.api.comments().list(**params))
            except NotFound:
                answer = {}  # the thread was deleted meanwhile: its replies went with it
            comments = [(raw, thread_id) for raw in answer.get("items") or []]
            next_replies = answer.get("nextPageToken")
            if next_replies:
                state = {**state, "replies_page": str(next_replies)}
            else:
                state = {**state, "expand": expand[1:], "replies_page": None}
        else:
            params = {
                "part": "snippet,replies",
                "videoId": self.video_id,
                "order": "time",
                "maxResults": size,
                "textFormat": "plainText",
            }
            if state.get("threads_page"):
                params["pageToken"] = str(state["threads_page"])
            try:
                answer = self._execute(
                    "commentThreads.list", self.api.commentThreads().list(**params)
                )
            except NotFound:
                # The video is gone (or its comments are turned off): nothing to read.
                return RoutePage(replies=(), state={}, done=True)
            comments, more = [], []
            for thread in answer.get("items") or []:
                if not isinstance(thread, dict):
                    comments.append((thread, ""))
                    continue
                snippet = thread.get("snippet") or {}
                top = snippet.get("topLevelComment")
                author = ((top or {}).get("snippet") or {}).get("authorChannelId") or {}
                if (
                    self._own_channel_id
                    and str(author.get("value") or "") == self._own_channel_id
                    and str(thread.get("id")) not in scope.root_ids
                ):
                    continue  # the hub's comment for another consultation: its replies are that one's
                comments.append((top, ""))
                carried = ((thread.get("replies") or {}).get("comments")) or []
                comments.extend((reply, str(thread.get("id") or "")) for reply in carried)
                total = snippet.get("totalReplyCount")
                if isinstance(total, int) and total > len(carried):
                    more.append(str(thread.get("id")))
            state = {
                "threads_page": answer.get("nextPageToken") or None,
                "expand": [*expand, *more],
                "replies_page": None,
            }
        done = not state.get("threads_page") and not state.get("expand")
        replies: list[IncomingReply] = []
        quarantined: list[QuarantinedItem] = []
        own = self._own_channel_id
        for raw, thread_id in comments:
            item = self._reply_from(
                raw, thread_id=thread_id, root_id=root_id, own=own, link=self.public_url
            )
            if isinstance(item, IncomingReply):
                replies.append(item)
            elif item is not None:
                quarantined.append(item)
        return RoutePage(
            replies=tuple(replies),
            quarantined=tuple(quarantined),
            state={} if done else state,
            done=done,
            posts_read=len(comments),
        )

    @staticmethod
    def _reply_from(
        raw: Any, *, thread_id: str, root_id: str, own: str, link: Callable[[str], str]
    ) -> IncomingReply | QuarantinedItem | None:
        if not isinstance(raw, dict):
            return QuarantinedItem(
                route="comments", raw={"item": jsonable(raw)}, error="not an object"
            )
        raw = jsonable(raw)
        try:
            snippet = raw.get("snippet") or {}
            author_channel = str((snippet.get("authorChannelId") or {}).get("value") or "")
            if own and author_channel == own:
                return None  # the channel's own comments: our announcements and answers
            comment_id = str(raw["id"])
            # A top-level comment answers the announcement on the video; a reply its thread
            # (YouTube keeps two levels: a reply's parentId is always the top-level comment).
            parent = str(snippet.get("parentId") or thread_id or "")
            if not parent or comment_id == root_id:
                parent = root_id
            published = parse_time(snippet.get("publishedAt"))
            updated = parse_time(snippet.get("updatedAt"))
            text = snippet.get("textOriginal")
            if text is None:
                text = snippet.get("textDisplay")
            fields: dict[str, Any] = {
                "id": comment_id,
                "parent_id": parent,
                "root_id": root_id,
                "author_id": author_channel or None,
                "author_handle": str(snippet.get("authorDisplayName") or "").lstrip("@"),
                "author_display_name": str(snippet.get("authorDisplayName") or ""),
                "text": text,
                "created_at": published,
                # updatedAt later than publishedAt: the author edited it then.
                "edited_at": updated
                if updated is not None and published is not None and updated > published
                else None,
                # The video with this comment highlighted: the API gives comments no link.
                "url": link(comment_id),
            }
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            return QuarantinedItem(
                route="comments", raw=raw, error=f"unreadable comment: {error!r}"
            )
        if snippet.get("publishedAt") and published is None:
            return QuarantinedItem(
                route="comments",
                raw=raw,
                error=f"publishedAt: unreadable time {snippet.get('publishedAt')!r}",
                external_id=comment_id,
            )
        return Connector.reply_validate("comments", fields, raw)

    def lookup_posts(self, ids) -> dict[str, str]:
        """``comments.list`` by up to 50 ids (one unit each call): an id not returned is deleted."""
        states: dict[str, str] = {}
        for batch in split_items([str(comment_id) for comment_id in ids], LOOKUP_BATCH):
            answer = self._execute(
                "comments.list",
                self.api.comments().list(part="id", id=",".join(batch)),
            )
            found = {str((item or {}).get("id")) for item in answer.get("items") or []}
            for comment_id in batch:
                states[comment_id] = PostState.LIVE if comment_id in found else PostState.DELETED
        return states

    def post_metrics_cost(self, count: int) -> int:
        # A commentThreads.list for each batch of ids, and a comments.list for the replies.
        return 2 * math.ceil(count / LOOKUP_BATCH)

    def post_metrics(self, ids) -> dict[str, dict[str, int]]:
        """The public counts of the hub's own comments: a video's ``statistics`` are the
        channel's video, not our words, so each top-level comment's ``likeCount`` and its
        thread's ``totalReplyCount`` (``commentThreads.list`` by up to 50 ids, one unit),
        and a reply's ``likeCount`` (``comments.list`` by ids)."""
        metrics: dict[str, dict[str, int]] = {}
        wanted = [str(comment_id) for comment_id in ids]
        for batch in split_items(wanted, LOOKUP_BATCH):
            answer = self._execute(
                "commentThreads.list",
                # By ids, every one found comes back at once (maxResults is refused with id).
                self.api.commentThreads().list(part="snippet", id=",".join(batch)),
            )
            for thread in answer.get("items") or []:
                snippet = (thread or {}).get("snippet") or {}
                top = ((snippet.get("topLevelComment") or {}).get("snippet")) or {}
                counts = {
                    name: given
                    for name, given in (
                        ("likeCount", top.get("likeCount")),
                        ("totalReplyCount", snippet.get("totalReplyCount")),
                    )
                    if isinstance(given, int) and not isinstance(given, bool)
                }
                metrics[str(thread.get("id"))] = counts
        replies = [comment_id for comment_id in wanted if comment_id not in metrics]
        for batch in split_items(replies, LOOKUP_BATCH):
            answer = self._execute(
                "comments.list", self.api.comments().list(part="snippet", id=",".join(batch))
            )
            for comment in answer.get("items") or []:
                likes = ((comment or {}).get("snippet") or {}).get("likeCount")
                if isinstance(likes, int) and not isinstance(likes, bool):
                    metrics[str(comment.get("id"))] = {"likeCount": likes}
        return metrics
