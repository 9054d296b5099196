"""Plain frozen values that go in and out of connectors.

Backends never see the ORM and services never see a client library's objects:
these dataclasses are the whole vocabulary between them. They are general enough
for the comment trees of issue 5 (Facebook Pages, YouTube videos, LinkedIn posts
have the same shape: a root, replies with parents, a cursor to resume from).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ChannelCredentials:
    """Where and as whom to post. ``secrets`` never appears in a repr or a log line."""

    network: str
    base_url: str
    account_id: str = ""
    handle: str = ""
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False, hash=False)
    # Bluesky keeps a session between runs rather than logging in for every post.
    session: str = field(default="", repr=False)


@dataclass(frozen=True)
class Facet:
    """A rich-text annotation at UTF-8 byte offsets (Bluesky's ``app.bsky.richtext.facet``)."""

    kind: str  # "link" or "tag"
    byte_start: int
    byte_end: int
    value: str  # the URI for a link, the tag without "#" for a tag


@dataclass(frozen=True)
class OutgoingPost:
    """One part of what we publish. ``reply_to``/``root`` make it part of a thread."""

    text: str
    facets: tuple[Facet, ...] = ()
    reply_to: ExternalPost | None = None
    root: ExternalPost | None = None
    # The same key on a retry lets the network (Mastodon) return the first post instead.
    idempotency_key: str = ""


@dataclass(frozen=True)
class ExternalPost:
    """A post as the network knows it."""

    id: str
    url: str = ""
    text: str = ""
    created_at: datetime | None = None
    author_id: str = ""
    author_handle: str = ""
    # Network-specific handles needed to reply to the post later (Bluesky's cid).
    cid: str = ""
    reply_to_id: str = ""
    root_id: str = ""


@dataclass(frozen=True)
class ExternalAccount:
    """Who the credentials belong to, as ``verify()`` reports it."""

    id: str
    handle: str
    display_name: str = ""
    #: When the credentials stop working (a token's expiry), when the network says so.
    credentials_expire_at: datetime | None = None


@dataclass(frozen=True)
class RateLimit:
    """The network's budget as last reported in its rate-limit headers."""

    limit: int | None
    remaining: int | None
    reset_at: datetime | None


@dataclass(frozen=True)
class PostResult:
    """The outcome of publishing a whole thread: the posts in order."""

    posts: tuple[ExternalPost, ...]

    @property
    def first(self) -> ExternalPost:
        return self.posts[0]


@dataclass(frozen=True)
class IncomingReply:
    """Something a citizen wrote in answer to one of our posts (issue 5).

    ``parent_id`` is the post or comment it answers; ``root_id`` the post that
    started the tree (a tweet, a toot, a Bluesky post, a Facebook post, a
    YouTube video, a LinkedIn share), so nested comment trees keep their shape.
    """

    id: str
    parent_id: str
    root_id: str
    author_id: str
    author_handle: str
    text: str
    created_at: datetime | None
    url: str = ""
    author_display_name: str = ""
    edited_at: datetime | None = None
    language: str = ""
    # Which route found it ("conversation", "mentions", "hashtag", "thread", "notifications").
    route: str = ""
    #: Why the network itself keeps the post from some readers on a legal demand (X's
    #: withheld content), for the moderator; such a reply is recorded but held from
    #: publication (hidden for legal reasons) until a person decides.
    legal_hold: str = ""
    raw: Mapping[str, object] = field(default_factory=dict, repr=False, hash=False)


@dataclass(frozen=True)
class CollectionScope:
    """What to collect for one consultation on one channel.

    ``root_ids`` are the ids of every part we posted for it; ``since`` (a backfill)
    leaves out anything older. ``detached_ids`` (only for a connector that
    ``walks_detached_replies``) are collected replies in our threads whose parent is
    gone from the record (deleted, say): a walk from our posts no longer reaches
    what is under them, so it is walked from them, each again after ``revisit_interval``.
    """

    root_ids: tuple[str, ...]
    hashtag: str = ""
    page_size: int = 100
    since: datetime | None = None
    detached_ids: tuple[str, ...] = ()
    revisit_interval: timedelta = timedelta(minutes=10)


@dataclass(frozen=True)
class QuarantinedItem:
    """A payload that failed validation at the boundary, kept with the reason."""

    route: str
    raw: Mapping[str, object]
    error: str
    # The post's id on the network when it could be read, so it is quarantined once.
    external_id: str = ""


@dataclass(frozen=True)
class FetchResult:
    """One page of replies and the opaque cursor to resume from.

    The cursor is always returned (it holds the high-water marks for the next
    poll); ``has_more`` says whether another page is waiting now. ``posts_read``
    is what the network counts (X bills per post read).
    """

    replies: tuple[IncomingReply, ...]
    cursor: str | None = None
    rate_limit: RateLimit | None = None
    quarantined: tuple[QuarantinedItem, ...] = ()
    has_more: bool = False
    posts_read: int = 0
    #: At the end of a cycle: why replies may be missing although every route was walked.
    gaps: tuple[str, ...] = ()


class PostState:
    """What a network says about a post we collected, for the deletion sweep."""

    LIVE = "live"
    DELETED = "deleted"
    PRIVATE = "private"


@dataclass(frozen=True)
class WebhookEvent:
    """One change a network pushed to the hub's webhook, read before anything is trusted.

    ``key`` identifies the delivery (a replay carries the same key); ``post_ids`` are the
    hub's own posts whose replies changed, so a collection of those can start at once.
    """

    account_id: str
    key: str
    occurred_at: datetime
    post_ids: tuple[str, ...] = ()
    #: (comment id, post id) of comments that mention the account on posts not ours: no
    #: list of them can be read later, so each is kept for the ``MENTIONED_ROUTE`` to fetch.
    mentioned_comments: tuple[tuple[str, str], ...] = ()
    #: (comment id, ``PostState``) of comments the delivery says were deleted or hidden at
    #: the source: withdrawn from the record at once, as the deletion sweep would later.
    withdrawn_comments: tuple[tuple[str, str], ...] = ()
    #: Changes in the delivery that could not be read, kept with the reason.
    quarantined: tuple[QuarantinedItem, ...] = ()


#: The collection route (and its cursor state's ``pending`` list) of the comments a webhook
#: said mention the account, waiting to be fetched one by one.
MENTIONED_ROUTE = "mentioned"
