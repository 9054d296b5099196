"""Mastodon (any instance, including the sandbox) through Mastodon.py."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

import mastodon
from mastodon import Mastodon
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

# Skips Mastodon.py's version probe: we only use endpoints every 4.x instance has.
_ASSUMED_VERSION = "4.3.0"
_NOT_PUBLIC = {"private", "direct"}


# Mastodon's status limit for GET /statuses/:id/context (Statuses::ContextsController).
CONTEXT_LIMIT = 4_096


class _TextFromHtml(HTMLParser):
    """Plain text from a status's ``content``: Mastodon's own HTML (``<p>``, ``<br>``, h-card
    mentions) and what its sanitiser lets through from other servers (lists, quotes)."""

    def __init__(self, mention_accts: dict[str, str]):
        super().__init__()
        self.parts: list[str] = []
        self.mention_accts = mention_accts
        self.lists: list[list] = []  # per open list: [ordered, items so far]
        self.mention_depth = 0  # inside a mention link: its text is replaced by @acct

    def _break(self, separator: str) -> None:
        if self.parts and not "".join(self.parts[-2:]).endswith(separator):
            self.parts.append(separator)

    def handle_starttag(self, tag, attrs):
        if self.mention_depth:
            self.mention_depth += tag != "br"
            return
        if tag == "br":
            self.parts.append("\n")
        elif tag in ("p", "blockquote", "pre"):
            self._break("\n\n")
        elif tag in ("ul", "ol"):
            self._break("\n\n" if not self.lists else "\n")
            self.lists.append([tag == "ol", 0])
        elif tag == "li":
            self._break("\n")
            ordered, count = self.lists[-1] if self.lists else (False, 0)
            if self.lists:
                self.lists[-1][1] = count + 1
            indent = "  " * max(len(self.lists) - 1, 0)
            self.parts.append(f"{indent}{count + 1}. " if ordered else f"{indent}- ")
        elif tag == "a":
            attributes = dict(attrs)
            classes = (attributes.get("class") or "").split()
            acct = self.mention_accts.get(attributes.get("href") or "")
            if "mention" in classes and "hashtag" not in classes and acct:
                # Mastodon shows "@bob" for bob@other.example; the domain tells them apart.
                self.parts.append(f"@{acct}")
                self.mention_depth = 1

    def handle_endtag(self, tag):
        if self.mention_depth:
            self.mention_depth -= 1
            return
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            if not self.lists:
                self.parts.append("\n\n")

    def handle_data(self, data):
        if not self.mention_depth:
            self.parts.append(data)


def html_to_text(content: str, *, mentions=()) -> str:
    """``mentions`` is the status's ``mentions`` list, whose ``acct`` keeps remote domains."""
    accts = {
        str(m.get("url") or ""): str(m.get("acct") or "")
        for m in mentions or ()
        if isinstance(m, dict)
    }
    parser = _TextFromHtml(accts)
    parser.feed(content or "")
    parser.close()
    return "".join(parser.parts).strip()


def _media_placeholder(attachments) -> str:
    """ "[media only: 2 images]" for a status with attachments and no text."""
    names = {"image": "image", "gifv": "animated image", "video": "video", "audio": "audio clip"}
    counts: dict[str, int] = {}
    for attachment in attachments:
        kind = names.get(str((attachment or {}).get("type")), "attachment")
        counts[kind] = counts.get(kind, 0) + 1
    described = ", ".join(
        f"{count} {kind}{'' if count == 1 else 's'}" for kind, count in counts.items()
    )
    return f"[media only: {described}]"


def status_text(raw: dict) -> str | None:
    """A status as the record keeps it: the content warning first, then the text, or a
    placeholder naming the media when there is no text."""
    if raw.get("content") is None:
        return None
    text = html_to_text(raw["content"], mentions=raw.get("mentions"))
    if not text and raw.get("media_attachments"):
        text = _media_placeholder(raw["media_attachments"])
    spoiler = (raw.get("spoiler_text") or "").strip()
    return f"CW: {spoiler}\n\n{text}" if spoiler else text


class MastodonSecrets(SecretsSchema):
    access_token: str = Field(min_length=1, title="Mastodon access token")


class MastodonConnector(Connector):
    network = "mastodon"
    label = "Mastodon"
    default_base_url = "https://mastodon.social"
    #: No network-wide rule forbids it; a server's own rules apply (the README).
    automated_replies_allowed = True
    secrets_schema = MastodonSecrets
    # Mastodon's defaults; ``rules()`` reads the instance's own configuration.
    text_rules = NetworkRules(network="Mastodon", limit=500, url_length=23)
    # Mastodon keeps an Idempotency-Key for one hour only (PostStatusService: setex 3_600);
    # later retries must read the account's recent statuses before posting again.
    idempotent_writes = False
    poll_interval = 20
    # Mastodon allows 300 requests per 5 minutes per account.
    request_budget = 600
    client_errors = (
        mastodon.MastodonRatelimitError,
        mastodon.MastodonNetworkError,
        mastodon.MastodonAPIError,
    )

    def __init__(self, credentials, *, timeout=10.0, options=None):
        super().__init__(credentials, timeout=timeout, options=options)
        self.client = Mastodon(
            access_token=self.secrets.access_token,
            api_base_url=self.base_url,
            # Workers never sleep on a rate limit; the task retries at the reset.
            ratelimit_method="throw",
            request_timeout=timeout,
            mastodon_version=_ASSUMED_VERSION,
            version_check_mode="none",
            session=self.http_session(),
        )

    def translate_error(self, error: BaseException, what: str) -> ConnectorError:
        if isinstance(error, mastodon.MastodonRatelimitError):
            reset_at = parse_time(self.client.ratelimit_reset) or datetime.now(tz=UTC)
            return RateLimited(reset_at, f"Mastodon rate limit on {what}")
        if isinstance(error, mastodon.MastodonServerError):
            return TransientError(f"Mastodon server error on {what}: {_describe(error)}")
        if isinstance(error, mastodon.MastodonUnauthorizedError):
            return PermanentError(f"Mastodon refused the access token: {_describe(error)}")
        if isinstance(error, mastodon.MastodonNotFoundError):
            return NotFound(f"Mastodon could not find what {what} needs")
        if isinstance(error, mastodon.MastodonNetworkError):
            return OutcomeUnknown(f"no answer from Mastodon to {what}: {error}")
        status = error.args[1] if len(error.args) > 1 else None
        if isinstance(status, int) and status in (403, 422):
            return PermanentError(f"Mastodon refused {what}: {_describe(error)}")
        # A 2xx whose body could not be parsed lands here too: a status may exist.
        return OutcomeUnknown(f"Mastodon answered {what} with {_describe(error)}")

    @classmethod
    def mention_handle(cls, *, handle: str, base_url: str) -> str:
        """The federated form, "name@instance": the same name elsewhere is another person."""
        handle = handle.strip().lstrip("@")
        if "@" in handle:
            return handle
        host = urlsplit(base_url or cls.default_base_url).hostname or ""
        return f"{handle}@{host}" if host else handle

    def verify(self) -> ExternalAccount:
        account = self._call("verify_credentials", self.client.account_verify_credentials)
        return ExternalAccount(
            id=str(account["id"]),
            handle=account.get("acct") or account.get("username", ""),
            display_name=account.get("display_name", ""),
        )

    def rules(self) -> NetworkRules:
        instance = self._call("instance", self.client.instance_v2)
        statuses = (instance.get("configuration") or {}).get("statuses") or {}
        return dataclasses.replace(
            self.text_rules,
            limit=int(statuses.get("max_characters") or self.text_rules.limit),
            url_length=int(
                statuses.get("characters_reserved_per_url") or self.text_rules.url_length or 0
            ),
        )

    def publish(self, post: OutgoingPost) -> ExternalPost:
        status = self._call(
            "status_post",
            self.client.status_post,
            post.text,
            in_reply_to_id=post.reply_to.id if post.reply_to else None,
            visibility="public",
            idempotency_key=post.idempotency_key or None,
            write=True,
        )
        return self._external(status, sent_text=post.text, root=post.root)

    def delete(self, post: ExternalPost) -> None:
        try:
            self._call("status_delete", self.client.status_delete, post.id)
        except NotFound:
            return

    def recent_posts(self, *, limit: int = 50) -> list[ExternalPost]:
        account_id = self.credentials.account_id or self.verify().id
        statuses = self._call(
            "account_statuses", self.client.account_statuses, account_id, limit=min(limit, 40)
        )
        return [self._external(status) for status in statuses]

    # --- Collecting -------------------------------------------------------------------

    def collection_routes(self, scope: CollectionScope) -> list[str]:
        routes = [f"context:{root}" for root in scope.root_ids]
        routes.append("mentions")
        if scope.hashtag:
            routes.append(f"hashtag:{scope.hashtag.lstrip('#')}")
        return routes

    def fetch_route_page(self, route: str, state: dict, scope: CollectionScope) -> RoutePage:
        """A thread comes whole (the context's descendants, edits included, and past the
        context cap the contexts of the deepest ones); mentions and the hashtag page forward
        in time from ``min_id``, the newest id already taken."""
        kind, _, value = route.partition(":")
        me = self.credentials.account_id or self.verify().id
        gap = ""
        if kind == "context":
            statuses, new_state, done = self._context_page(value, state)
            if statuses is None:
                # Our post was deleted on the instance: its replies still come as mentions.
                return RoutePage(replies=(), state={}, done=True)
            if len(statuses) >= CONTEXT_LIMIT:
                # Later replies beside the deepest ones are beyond any context Mastodon serves;
                # those that mention us still come through the mentions route.
                gap = (
                    f"Mastodon returns at most {CONTEXT_LIMIT:,} replies of a thread; "
                    f"thread {value} has more, some may be missing"
                )
        elif kind == "mentions":
            statuses, new_state, done = self._mentions_page(state, scope)
        else:
            limit = max(1, min(scope.page_size, 40))
            # Status ids are snowflakes (milliseconds << 16): the first sweep starts at ``since``.
            min_id = state.get("min_id") or (_snowflake(scope.since) if scope.since else "0")
            timeline = self._call(
                "timeline_hashtag", self.client.timeline_hashtag, value, min_id=min_id, limit=limit
            )
            statuses = list(timeline)
            newest = max([int(status["id"]) for status in statuses] or [int(min_id)])
            new_state = {"min_id": str(newest)}
            done = len(statuses) < limit
        replies: list[IncomingReply] = []
        quarantined: list[QuarantinedItem] = []
        for status in statuses:
            raw = jsonable(dict(status))
            if str((raw.get("account") or {}).get("id")) == me or str(raw.get("id")) in (
                scope.root_ids
            ):
                continue
            if raw.get("visibility") in _NOT_PUBLIC:
                continue  # followers-only posts and direct messages never enter a public record
            item = self._reply_from(kind, raw, root=value if kind == "context" else "", scope=scope)
            (replies if isinstance(item, IncomingReply) else quarantined).append(item)
        return RoutePage(
            replies=tuple(replies),
            quarantined=tuple(quarantined),
            state=new_state,
            done=done,
            posts_read=len(statuses),
            gap=gap,
        )

    def _context_page(self, root: str, state: dict):
        """One context request. Mastodon returns at most CONTEXT_LIMIT descendants, the first
        in tree order; when a thread fills it, what is missing hangs below the last one
        returned and its ancestors, so their own contexts are asked for next."""
        pending = list(state.get("pending") or [root])
        status_id = pending.pop(0)
        try:
            context = self._call("status_context", self.client.status_context, status_id)
        except NotFound:
            if status_id == root:
                return None, {}, True
            context = {"descendants": []}  # deleted since: its replies come as mentions
        statuses = list(context.get("descendants") or [])
        if len(statuses) >= CONTEXT_LIMIT:
            parents = {str(s["id"]): str(s.get("in_reply_to_id") or "") for s in statuses}
            chain, node = [], str(statuses[-1]["id"])
            while node and node != status_id and node in parents:
                chain.append(node)
                node = parents[node]
            pending.extend(chain)  # the deepest first: each one's context reaches further down
        return statuses, ({"pending": pending} if pending else {}), not pending

    def _mentions_page(self, state: dict, scope: CollectionScope):
        """Notification ids are a plain sequence, unrelated to time: the first sweep pages back
        from the newest by ``max_id`` until it passes ``since``; later ones go forward from
        ``min_id``, the newest notification id seen."""
        limit = max(1, min(scope.page_size, 80))
        if state.get("min_id"):
            notifications = self._call(
                "notifications",
                self.client.notifications,
                types=["mention"],
                min_id=state["min_id"],
                limit=limit,
            )
            ids = [int(n["id"]) for n in notifications]
            new_state = {"min_id": str(max(ids or [int(state["min_id"])]))}
            statuses = [n.get("status") for n in notifications if n.get("status")]
            return statuses, new_state, len(ids) < limit
        notifications = self._call(
            "notifications",
            self.client.notifications,
            types=["mention"],
            max_id=state.get("max_id") or None,
            limit=limit,
        )
        ids = [int(n["id"]) for n in notifications]
        head = max([int(state.get("head") or 0), *ids])
        since = scope.since
        statuses, passed_since = [], False
        for notification in notifications:
            created = parse_time(notification.get("created_at"))
            if since and created and created < since:
                passed_since = True
                continue
            if notification.get("status"):
                statuses.append(notification["status"])
        if passed_since or len(ids) < limit:
            return statuses, {"min_id": str(head)} if head else {}, True
        return statuses, {"max_id": str(min(ids)), "head": str(head)}, False

    @staticmethod
    def _reply_from(kind: str, raw: dict, *, root: str, scope: CollectionScope):
        try:
            account = raw["account"]
            parent = str(raw.get("in_reply_to_id") or "")
            fields = {
                "id": str(raw["id"]),
                "parent_id": parent,
                # Mastodon does not say a status's thread root; the collector places the rest.
                "root_id": root or (parent if parent in scope.root_ids else ""),
                "author_id": str(account["id"]),
                "author_handle": account.get("acct") or account.get("username") or "",
                "author_display_name": account.get("display_name") or "",
                "text": status_text(raw),
                "created_at": raw.get("created_at"),
                "edited_at": raw.get("edited_at") or None,
                "url": raw.get("url") or raw.get("uri") or "",
                "language": raw.get("language") or "",
            }
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            return QuarantinedItem(route=kind, raw=raw, error=f"unreadable status: {error!r}")
        return Connector.reply_validate(kind, fields, raw)

    def lookup_posts(self, ids) -> dict[str, str]:
        states: dict[str, str] = {}
        for post_id in ids:
            try:
                status = self._call("status", self.client.status, post_id)
            except NotFound:
                states[str(post_id)] = PostState.DELETED
                continue
            private = status.get("visibility") in _NOT_PUBLIC
            states[str(post_id)] = PostState.PRIVATE if private else PostState.LIVE
        return states

    def post_metrics(self, ids) -> dict[str, dict[str, int]]:
        """Each status's ``replies_count``, ``reblogs_count`` and ``favourites_count``."""
        metrics: dict[str, dict[str, int]] = {}
        for post_id in ids:
            try:
                status = self._call("status", self.client.status, post_id)
            except NotFound:
                continue
            metrics[str(post_id)] = {
                name: status[name]
                for name in ("replies_count", "reblogs_count", "favourites_count")
                if isinstance(status.get(name), int)
            }
        return metrics

    def _external(self, status, *, sent_text: str = "", root=None) -> ExternalPost:
        status_id = str(status["id"])
        reply_to = status.get("in_reply_to_id")
        created = status.get("created_at")
        return ExternalPost(
            id=status_id,
            url=status.get("url") or status.get("uri") or "",
            text=sent_text
            or html_to_text(status.get("content", ""), mentions=status.get("mentions")),
            created_at=parse_time(created),
            author_id=str((status.get("account") or {}).get("id", "")),
            author_handle=(status.get("account") or {}).get("acct", ""),
            reply_to_id=str(reply_to) if reply_to else "",
            root_id=root.id if root else status_id,
        )


def _snowflake(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000) << 16)


def _describe(error: BaseException) -> str:
    args = [str(arg) for arg in error.args[1:] if arg]
    return " ".join(args) or str(error)
