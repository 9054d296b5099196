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


class _TextFromHtml(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data):
        self.parts.append(data)


def html_to_text(content: str) -> str:
    parser = _TextFromHtml()
    parser.feed(content or "")
    return "".join(parser.parts)


class MastodonSecrets(SecretsSchema):
    access_token: str = Field(min_length=1, title="Mastodon access token")


class MastodonConnector(Connector):
    network = "mastodon"
    label = "Mastodon"
    default_base_url = "https://mastodon.social"
    secrets_schema = MastodonSecrets
    # Mastodon's defaults; ``rules()`` reads the instance's own configuration.
    text_rules = NetworkRules(network="Mastodon", limit=500, url_length=23)
    idempotent_writes = True
    poll_interval = 20
    # Mastodon allows 300 requests per 5 minutes per account.
    request_budget = 600
    client_errors = (
        mastodon.MastodonRatelimitError,
        mastodon.MastodonNetworkError,
        mastodon.MastodonAPIError,
    )

    def __init__(self, credentials, *, timeout=10.0):
        super().__init__(credentials, timeout=timeout)
        self.client = Mastodon(
            access_token=self.secrets.access_token,
            api_base_url=self.base_url,
            # Workers never sleep on a rate limit; the task retries at the reset.
            ratelimit_method="throw",
            request_timeout=timeout,
            mastodon_version=_ASSUMED_VERSION,
            version_check_mode="none",
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
        """A thread comes whole (the context's descendants, edits included); mentions and
        the hashtag page forward in time from ``min_id``, the newest id already taken."""
        kind, _, value = route.partition(":")
        me = self.credentials.account_id or self.verify().id
        if kind == "context":
            try:
                context = self._call("status_context", self.client.status_context, value)
            except NotFound:
                # Our post was deleted on the instance: its replies still come as mentions.
                return RoutePage(replies=(), state={}, done=True)
            statuses = list(context.get("descendants") or [])
            done, new_state = True, {}
        else:
            limit = max(1, min(scope.page_size, 40 if kind == "hashtag" else 80))
            # The first sweep starts at ``since``: Mastodon ids are timestamps (snowflakes).
            min_id = state.get("min_id") or (_snowflake(scope.since) if scope.since else "0")
            if kind == "mentions":
                notifications = self._call(
                    "notifications",
                    self.client.notifications,
                    types=["mention"],
                    min_id=min_id,
                    limit=limit,
                )
                items = [(n["id"], n.get("status")) for n in notifications]
            else:
                timeline = self._call(
                    "timeline_hashtag",
                    self.client.timeline_hashtag,
                    value,
                    min_id=min_id,
                    limit=limit,
                )
                items = [(status["id"], status) for status in timeline]
            statuses = [status for _, status in items if status]
            newest = max([int(item_id) for item_id, _ in items] or [int(min_id)])
            new_state = {"min_id": str(newest)}
            done = len(items) < limit
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
        )

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
                "text": html_to_text(raw["content"]) if raw.get("content") is not None else None,
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

    def _external(self, status, *, sent_text: str = "", root=None) -> ExternalPost:
        status_id = str(status["id"])
        reply_to = status.get("in_reply_to_id")
        created = status.get("created_at")
        return ExternalPost(
            id=status_id,
            url=status.get("url") or status.get("uri") or "",
            text=sent_text or html_to_text(status.get("content", "")),
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
