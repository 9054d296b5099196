"""Mastodon sandbox: a 4.3-shaped instance with the REST endpoints the hub uses."""

from __future__ import annotations

import dataclasses
import html
import re
import secrets
import threading
import time
from datetime import UTC, datetime
from typing import Any, Literal, overload
from urllib.parse import urlencode

from .server import (
    DemoReply,
    NetworkApi,
    NetworkState,
    Request,
    Response,
    SandboxAccount,
    SandboxError,
    iso,
)
from .text import find_entities, find_urls, grapheme_length

# TextFormatter::URL_PREFIX_REGEX (app/lib/text_formatter.rb).
_URL_PREFIX = re.compile(r"\A(https?://(www\.)?|xmpp:)")

MAX_CHARACTERS = 500
VERSION = "4.3.0"
# Api::V1::Statuses::ContextsController::CONTEXT_LIMIT: descendants beyond it are not returned.
CONTEXT_LIMIT = 4_096
# PostStatusService keeps "idempotency:status:<account>:<key>" in Redis with setex 3_600.
IDEMPOTENCY_TTL_SECONDS = 3_600
_MEDIA_TYPES = ("image", "gifv", "video", "audio")


# The "@domain" tail of Account::MENTION_RE: "@bob@other.example" names bob on other.example.
_MENTION_DOMAIN = re.compile(r"@([\w.-]+\w)")


def _entities(text: str):
    """The shared entity finder, with remote mentions kept whole ("bob@other.example")."""
    for entity in find_entities(text):
        tail = _MENTION_DOMAIN.match(text, entity.end) if entity.kind == "mention" else None
        if tail:
            entity = dataclasses.replace(
                entity, end=tail.end(), value=f"{entity.value}@{tail.group(1)}"
            )
        yield entity


def _error(status: int, message: str) -> SandboxError:
    return SandboxError(status, {"error": message})


class MastodonState(NetworkState):
    network = "mastodon"
    can_edit_posts = True

    def __init__(self) -> None:
        super().__init__()
        self.accounts: dict[str, dict[str, Any]] = {}
        self.statuses: dict[str, dict[str, Any]] = {}
        self.notifications: dict[str, dict[str, Any]] = {}
        # (account id, key) -> (status id, time.time() when stored)
        self.idempotency: dict[tuple[str, str], tuple[str, float]] = {}
        self._last_id = 0
        # Notifications have a plain bigserial id in Mastodon, not a time-based snowflake.
        self._last_notification_id = 0
        self._id_lock = threading.Lock()

    @property
    def domain(self) -> str:
        return self.base_url.split("://", 1)[-1]

    def _next_id(self) -> str:
        """Mastodon's snowflake shape: milliseconds << 16, strictly increasing."""
        with self._id_lock:
            self._last_id = max(int(time.time() * 1000) << 16, self._last_id + 1)
            return str(self._last_id)

    # --- accounts -----------------------------------------------------------------------

    def create_account(
        self, *, handle: str, display_name: str | None = None, password: str | None = None
    ) -> SandboxAccount:
        with self.lock:
            if self.account_by_username(handle):
                raise SandboxError(409, {"error": f"@{handle} already exists"})
            account = self._new_account(handle, display_name or handle)
            account["token"] = secrets.token_urlsafe(32)
            return SandboxAccount(
                id=account["id"],
                handle=account["username"],
                display_name=account["display_name"],
                credentials={"access_token": account["token"]},
            )

    def _new_account(
        self, username: str, display_name: str, *, domain: str | None = None
    ) -> dict[str, Any]:
        account: dict[str, Any] = {
            "id": self._next_id(),
            "username": username.lstrip("@"),
            # None for a local account; a remote one's instance otherwise ("other.example").
            "domain": domain,
            "display_name": display_name,
            "created_at": datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0),
            "token": None,
        }
        self.accounts[account["id"]] = account
        return account

    def account_by_username(self, username: str) -> dict[str, Any] | None:
        local, _, domain = username.lstrip("@").partition("@")
        return self.account_by_acct(local, "" if domain == self.domain else domain)

    def account_by_acct(self, username: str, domain: str = "") -> dict[str, Any] | None:
        wanted_domain = domain.lower() or None  # a local account has no domain
        for account in self.accounts.values():
            if (
                account["username"].lower() == username.lower()
                and account.get("domain") == wanted_domain
            ):
                return account
        return None

    def acct(self, account: dict[str, Any]) -> str:
        domain = account.get("domain")
        return f"{account['username']}@{domain}" if domain else account["username"]

    def profile_url(self, account: dict[str, Any]) -> str:
        domain = account.get("domain")
        base = f"https://{domain}" if domain else self.base_url
        return f"{base}/@{account['username']}"

    @overload
    def account_for_token(
        self, req: Request, *, required: Literal[True] = True
    ) -> dict[str, Any]: ...
    @overload
    def account_for_token(self, req: Request, *, required: bool) -> dict[str, Any] | None: ...
    def account_for_token(self, req: Request, *, required: bool = True) -> dict[str, Any] | None:
        token = req.bearer_token()
        with self.lock:
            for account in self.accounts.values():
                if token and account["token"] == token:
                    return account
        if required or token:
            raise _error(401, "The access token is invalid")
        return None

    # --- statuses -----------------------------------------------------------------------

    def check_length(self, text: str) -> None:
        if not text.strip():
            raise _error(422, "Validation failed: Text can't be blank")
        if mastodon_length(text) > MAX_CHARACTERS:
            raise _error(
                422, f"Validation failed: Text character limit of {MAX_CHARACTERS} exceeded"
            )

    def _create_status(
        self,
        account: dict[str, Any],
        text: str,
        *,
        in_reply_to_id: str | None = None,
        visibility: str = "public",
        language: str | None = None,
        spoiler_text: str = "",
        media: tuple[str, ...] = (),
        content_html: str | None = None,
    ) -> dict[str, Any]:
        parent = None
        if in_reply_to_id:
            parent = self.statuses.get(str(in_reply_to_id))
            if parent is None or parent["deleted"]:
                raise _error(404, "Record not found")
        status = {
            "id": self._next_id(),
            "account_id": account["id"],
            "text": text,
            "spoiler_text": spoiler_text,
            "created_at": datetime.now(UTC),
            "in_reply_to_id": parent["id"] if parent else None,
            "in_reply_to_account_id": parent["account_id"] if parent else None,
            "visibility": visibility,
            "language": language or "en",
            "deleted": False,
            "edited_at": None,
            "history": [],
            "mentioned_ids": self._mentioned_ids(text),
            "media": [{"id": self._next_id(), "type": kind} for kind in media],
            # A remote server's HTML, kept as Mastodon keeps it (sanitised, not re-rendered).
            "content_html": content_html,
        }
        self.statuses[status["id"]] = status
        for mentioned_id in status["mentioned_ids"]:
            if mentioned_id != account["id"]:
                self._notify(mentioned_id, "mention", account["id"], status["id"])
        return status

    def _mentioned_ids(self, text: str) -> list[str]:
        found = []
        for entity in _entities(text):
            if entity.kind == "mention":
                target = self.account_by_username(entity.value)
                if target and target["id"] not in found:
                    found.append(target["id"])
        return found

    def _notify(self, account_id: str, type_: str, from_id: str, status_id: str) -> None:
        self._last_notification_id += 1
        notification_id = str(self._last_notification_id)
        self.notifications[notification_id] = {
            "id": notification_id,
            "type": type_,
            "account_id": account_id,
            "from_id": from_id,
            "status_id": status_id,
            "created_at": datetime.now(UTC),
        }

    def posts_by(self, account_id: str) -> list[dict[str, Any]]:
        with self.lock:
            statuses = [
                s
                for s in self.statuses.values()
                if s["account_id"] == account_id and not s["deleted"]
            ]
            return [self.render_status(s) for s in sorted(statuses, key=_newest_first)]

    def get_post(self, post_id: str) -> dict[str, Any] | None:
        with self.lock:
            status = self.statuses.get(str(post_id))
            return None if status is None or status["deleted"] else self.render_status(status)

    def citizen_reply(
        self, parent_id: str, *, handle: str, text: str, display_name: str | None = None
    ) -> dict[str, Any]:
        with self.lock:
            citizen = self.account_by_username(handle) or self._new_account(
                handle, display_name or handle
            )
            parent = self.statuses.get(str(parent_id))
            if parent is None or parent["deleted"]:
                raise SandboxError(404, {"error": f"no live status {parent_id}"})
            parent_author = self.accounts[parent["account_id"]]["username"]
            # Mastodon clients put the replied-to account's handle in front; that is what notifies.
            if parent_author != citizen["username"] and f"@{parent_author}" not in text:
                text = f"@{parent_author} {text}"
            return self.render_status(
                self._create_status(citizen, text, in_reply_to_id=parent["id"])
            )

    def citizen_post(
        self, *, handle: str, text: str, display_name: str | None = None
    ) -> dict[str, Any]:
        with self.lock:
            citizen = self.account_by_username(handle) or self._new_account(
                handle, display_name or handle
            )
            return self.render_status(self._create_status(citizen, text))

    def citizen_status(
        self,
        *,
        handle: str,
        text: str = "",
        parent_id: str | None = None,
        spoiler_text: str = "",
        media: tuple[str, ...] = (),
        content_html: str | None = None,
    ) -> dict[str, Any]:
        """A status as other instances send them: ``handle`` may be remote ("bob@other.example"),
        with a content warning, media attachments, or the remote server's own HTML (lists)."""
        with self.lock:
            local, _, domain = handle.lstrip("@").partition("@")
            domain = "" if domain == self.domain else domain
            citizen = self.account_by_acct(local, domain) or self._new_account(
                local, local, domain=domain or None
            )
            return self.render_status(
                self._create_status(
                    citizen,
                    text,
                    in_reply_to_id=parent_id,
                    spoiler_text=spoiler_text,
                    media=tuple(media),
                    content_html=content_html,
                )
            )

    def edit_post(self, post_id: str, text: str) -> dict[str, Any]:
        with self.lock:
            status = self.statuses.get(str(post_id))
            if status is None or status["deleted"]:
                raise _error(404, "Record not found")
            self.check_length(text)
            status["history"].append(
                {"text": status["text"], "created_at": status["edited_at"] or status["created_at"]}
            )
            status["text"] = text
            status["mentioned_ids"] = self._mentioned_ids(text)
            status["edited_at"] = datetime.now(UTC)
            return self.render_status(status)

    def set_private(self, post_id: str, private: bool = True) -> None:
        """Turn a status followers-only (or back to public): strangers can no longer see it."""
        with self.lock:
            status = self.statuses.get(str(post_id))
            if status is None:
                raise _error(404, "Record not found")
            status["visibility"] = "private" if private else "public"

    def visible(self, status: dict[str, Any], viewer: dict[str, Any] | None) -> bool:
        """Public and unlisted statuses to anyone; others to their author and the accounts they
        mention (the sandbox has no followers)."""
        if status["deleted"]:
            return False
        if status["visibility"] in ("public", "unlisted"):
            return True
        return viewer is not None and (
            viewer["id"] == status["account_id"] or viewer["id"] in status["mentioned_ids"]
        )

    def delete_post(self, post_id: str) -> None:
        with self.lock:
            status = self.statuses.get(str(post_id))
            if status is None:
                raise _error(404, "Record not found")
            status["deleted"] = True

    # --- rendering ----------------------------------------------------------------------

    def render_account(
        self, account: dict[str, Any], *, credentials: bool = False
    ) -> dict[str, Any]:
        statuses = [
            s
            for s in self.statuses.values()
            if s["account_id"] == account["id"] and not s["deleted"]
        ]
        last = max((s["created_at"] for s in statuses), default=None)
        url = self.profile_url(account)
        rendered = {
            "id": account["id"],
            "username": account["username"],
            "acct": self.acct(account),
            "display_name": account["display_name"],
            "locked": False,
            "bot": False,
            "discoverable": True,
            "indexable": True,
            "group": False,
            "created_at": iso(account["created_at"]),
            "note": "",
            "url": url,
            "uri": url.replace("/@", "/users/"),
            "avatar": f"{self.base_url}/avatars/original/missing.png",
            "avatar_static": f"{self.base_url}/avatars/original/missing.png",
            "header": f"{self.base_url}/headers/original/missing.png",
            "header_static": f"{self.base_url}/headers/original/missing.png",
            "followers_count": 0,
            "following_count": 0,
            "statuses_count": len(statuses),
            "last_status_at": last.date().isoformat() if last else None,
            "hide_collections": False,
            "noindex": False,
            "emojis": [],
            "roles": [],
            "fields": [],
        }
        if credentials:
            rendered["source"] = {
                "privacy": "public",
                "sensitive": False,
                "language": "en",
                "note": "",
                "fields": [],
                "follow_requests_count": 0,
                "hide_collections": False,
                "discoverable": True,
                "indexable": True,
            }
            rendered["role"] = {
                "id": "-99",
                "name": "",
                "permissions": "0",
                "color": "",
                "highlighted": False,
            }
        return rendered

    def _content_html(self, text: str) -> tuple[str, list[dict], list[dict]]:
        mentions: list[dict] = []
        tags: list[dict] = []
        parts: list[str] = []
        position = 0
        for entity in _entities(text):
            parts.append(html.escape(text[position : entity.start]))
            raw = text[entity.start : entity.end]
            if entity.kind == "url":
                # TextFormatter#link_to_url: the scheme (and "www.") hidden, 30 characters
                # shown, the rest hidden; a client sees "example.gov.uk/consultations/cl…".
                url = entity.value
                prefix = _URL_PREFIX.match(url)
                hidden = prefix.group(0) if prefix else ""
                rest = url[len(hidden) :]
                parts.append(
                    f'<a href="{html.escape(url)}" target="_blank" '
                    'rel="nofollow noopener noreferrer">'
                    f'<span class="invisible">{html.escape(hidden)}</span>'
                    f'<span class="{"ellipsis" if len(rest) > 30 else ""}">'
                    f"{html.escape(rest[:30])}</span>"
                    f'<span class="invisible">{html.escape(rest[30:])}</span></a>'
                )
            elif entity.kind == "hashtag":
                tag_url = f"{self.base_url}/tags/{entity.value.lower()}"
                tags.append({"name": entity.value.lower(), "url": tag_url})
                parts.append(
                    f'<a href="{tag_url}" class="mention hashtag" rel="tag">#<span>{html.escape(entity.value)}</span></a>'
                )
            else:
                target = self.account_by_username(entity.value)
                if target is None:
                    parts.append(html.escape(raw))
                else:
                    # Mastodon shows only the username; the domain is in the href and in acct.
                    url = self.profile_url(target)
                    if all(m["id"] != target["id"] for m in mentions):
                        mentions.append(
                            {
                                "id": target["id"],
                                "username": target["username"],
                                "url": url,
                                "acct": self.acct(target),
                            }
                        )
                    parts.append(
                        f'<span class="h-card" translate="no"><a href="{url}" class="u-url mention">'
                        f"@<span>{html.escape(target['username'])}</span></a></span>"
                    )
            position = entity.end
        parts.append(html.escape(text[position:]))
        body = "".join(parts)
        if not body.strip():
            return "", mentions, tags  # a media-only status has empty content, not "<p></p>"
        # TextFormatter: paragraphs on blank lines, <br /> for single line breaks.
        paragraphs = [p.replace("\n", "<br />") for p in body.split("\n\n") if p.strip()]
        return "".join(f"<p>{p}</p>" for p in paragraphs), mentions, tags

    def render_status(
        self,
        status: dict[str, Any],
        *,
        with_source: bool = False,
        replies: int | None = None,
        rendered_account: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        account = self.accounts[status["account_id"]]
        content, mentions, tags = self._content_html(status["text"])
        if status.get("content_html") is not None:
            content = status["content_html"]
        if replies is None:
            replies = sum(
                1
                for s in self.statuses.values()
                if s["in_reply_to_id"] == status["id"] and not s["deleted"]
            )
        rendered = {
            "id": status["id"],
            "created_at": iso(status["created_at"]),
            "in_reply_to_id": status["in_reply_to_id"],
            "in_reply_to_account_id": status["in_reply_to_account_id"],
            "sensitive": bool(status["spoiler_text"]),
            "spoiler_text": status["spoiler_text"],
            "visibility": status["visibility"],
            "language": status["language"],
            "uri": f"{self.base_url}/users/{account['username']}/statuses/{status['id']}",
            "url": f"{self.base_url}/@{account['username']}/{status['id']}",
            "replies_count": replies,
            "reblogs_count": 0,
            "favourites_count": 0,
            "edited_at": iso(status["edited_at"]) if status["edited_at"] else None,
            "favourited": False,
            "reblogged": False,
            "muted": False,
            "bookmarked": False,
            "pinned": False,
            "content": content,
            "filtered": [],
            "reblog": None,
            "application": {"name": "Web", "website": None} if account["token"] else None,
            "account": rendered_account or self.render_account(account),
            "media_attachments": [
                {
                    "id": item["id"],
                    "type": item["type"],
                    "url": f"{self.base_url}/system/media_attachments/files/{item['id']}",
                    "preview_url": f"{self.base_url}/system/media_attachments/small/{item['id']}",
                    "remote_url": None,
                    "meta": {},
                    "description": None,
                    "blurhash": None,
                }
                for item in status.get("media", ())
            ],
            "mentions": mentions,
            "tags": tags,
            "emojis": [],
            "card": None,
            "poll": None,
        }
        if with_source:
            rendered["text"] = status["text"]
        return rendered

    def render_notification(self, notification: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": notification["id"],
            "type": notification["type"],
            "created_at": iso(notification["created_at"]),
            "group_key": f"ungrouped-{notification['id']}",
            "account": self.render_account(self.accounts[notification["from_id"]]),
            "status": self.render_status(self.statuses[notification["status_id"]]),
        }

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "network": self.network,
                "accounts": [
                    self.render_account(a) | {"department": bool(a["token"])}
                    for a in self.accounts.values()
                ],
                "posts": [
                    self.render_status(s, with_source=True) | {"deleted": s["deleted"]}
                    for s in sorted(self.statuses.values(), key=_newest_first)
                ],
            }

    def post_summaries(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {
                    "id": s["id"],
                    "author": self.accounts[s["account_id"]]["username"],
                    "text": s["text"],
                    "created_at": iso(s["created_at"]),
                    "parent_id": s["in_reply_to_id"],
                    "deleted": s["deleted"],
                }
                for s in sorted(self.statuses.values(), key=_newest_first)
            ]


def _newest_first(item: dict[str, Any]) -> int:
    return -int(item["id"])


class MastodonApi(NetworkApi):
    network = "mastodon"
    state_class = MastodonState
    state: MastodonState
    default_port = 8102
    rate_limit = 300

    @classmethod
    def demo_replies(cls, *, account: str, hashtag: str) -> list[DemoReply]:
        # Longer and more considered, hashtags gathered at the end; a reply gets the
        # department's "@account" in front, as Mastodon's apps write it.
        return [
            DemoReply(
                "reply",
                "ringroad_resident",
                "Helen (she/her)",
                "I live on the ring road and the NO2 diffusion tube outside our house reads "
                "over the annual limit every year. A zone that only covers the centre will "
                "push traffic past us. Please publish the modelling for the ring road too.",
            ),
            DemoReply(
                "reply",
                "market_trader",
                "Ade",
                "Genuinely in favour, but park & ride has to run on Sundays or the market "
                "traders will lose customers to the out of town retail park.",
            ),
            DemoReply(
                "reply",
                "busnerd",
                "Bus Nerd 🚌",
                "Better buses would do more than a charge. Ours are the oldest in the county "
                "and they're the dirtiest vehicles on the high street 🚌",
            ),
            DemoReply(
                "reply",
                "stationrd",
                "Kit",
                "Same on Station Road. And could we have the air quality data as open data "
                "please, not a PDF?",
                answers=0,
            ),
            DemoReply(
                "mention",
                "cornercafe",
                "The Corner Café ☕",
                f"@{account} I run a small café on the high street and our suppliers deliver "
                "in older vans. Will there be a grace period? Email me at "
                f"hello@thecornercafe.example if you want to talk. #{hashtag}",
            ),
            DemoReply(
                "hashtag",
                "airquality_ali",
                "Ali",
                "On the school streets question: exposure drops most at the school gates, "
                f"so start there, then the zone. #{hashtag} #AirQuality",
            ),
            DemoReply(
                "hashtag",
                "cargobike_cat",
                "Cat 🚲📦",
                "Cargo bike user here. Please don't put the zone boundary signs in the middle "
                f"of the cycle lane like last time. #{hashtag} #cycling",
            ),
            DemoReply(
                "hashtag",
                "nurse_jo",
                "Jo",
                "Asthma nurse. We see admissions spike on still winter days. Anything that cuts "
                f"traffic pollution near schools and the hospital has my support. #{hashtag}",
            ),
        ]

    def routes(self):
        return [
            ("GET", r"/api/v1/instance", self.instance_v1),
            ("GET", r"/api/v2/instance", self.instance_v2),
            ("GET", r"/api/v1/accounts/verify_credentials", self.verify_credentials),
            ("GET", r"/api/v1/accounts/lookup", self.account_lookup),
            ("GET", r"/api/v1/accounts/(?P<id>\d+)", self.account),
            ("GET", r"/api/v1/accounts/(?P<id>\d+)/statuses", self.account_statuses),
            ("POST", r"/api/v1/statuses", self.create_status),
            ("GET", r"/api/v1/statuses/(?P<id>\d+)", self.get_status),
            ("PUT", r"/api/v1/statuses/(?P<id>\d+)", self.edit_status),
            ("DELETE", r"/api/v1/statuses/(?P<id>\d+)", self.delete_status),
            ("GET", r"/api/v1/statuses/(?P<id>\d+)/context", self.context),
            ("GET", r"/api/v1/statuses/(?P<id>\d+)/history", self.history),
            ("GET", r"/api/v1/notifications", self.notifications),
            ("GET", r"/api/v1/timelines/tag/(?P<tag>[^/]+)", self.tag_timeline),
            ("GET", r"/@(?P<user>[^/]+)/(?P<id>\d+)", self.status_page),
        ]

    def rate_limit_headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        reset_at = datetime.fromtimestamp(reset, UTC)
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": reset_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }

    def rate_limited(self, reset: float) -> Response:
        return Response(429, {"error": "Too many requests"})

    def server_error(self) -> Response:
        return Response(503, {"error": "Service Unavailable"})

    def not_found(self, req: Request) -> Response:
        return Response(404, {"error": "Record not found"})

    # --- instance ---------------------------------------------------------------------------

    def _rules(self) -> list[dict[str, str]]:
        return [{"id": "1", "text": "This is a sandbox: everything here is test data.", "hint": ""}]

    def instance_v1(self, req: Request, match) -> Response:
        with self.state.lock:
            statuses = sum(1 for s in self.state.statuses.values() if not s["deleted"])
            users = len(self.state.accounts)
        return Response(
            200,
            {
                "uri": self.state.domain,
                "title": "Sandbox Mastodon",
                "short_description": "A local Mastodon sandbox for the consultation hub.",
                "description": "A local Mastodon sandbox for the consultation hub.",
                "email": "sandbox@example.invalid",
                "version": VERSION,
                "urls": {"streaming_api": self.state.base_url.replace("http", "ws", 1)},
                "stats": {"user_count": users, "status_count": statuses, "domain_count": 1},
                "thumbnail": None,
                "languages": ["en"],
                "registrations": False,
                "approval_required": False,
                "invites_enabled": False,
                "configuration": self._configuration(),
                "contact_account": None,
                "rules": self._rules(),
            },
        )

    def _configuration(self) -> dict[str, Any]:
        return {
            "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
            "statuses": {
                "max_characters": MAX_CHARACTERS,
                "max_media_attachments": 4,
                "characters_reserved_per_url": MASTODON_URL_LENGTH,
            },
            "media_attachments": {
                "supported_mime_types": ["image/jpeg", "image/png"],
                "image_size_limit": 16777216,
                "image_matrix_limit": 33177600,
                "video_size_limit": 103809024,
                "video_frame_rate_limit": 120,
                "video_matrix_limit": 8294400,
            },
            "polls": {
                "max_options": 4,
                "max_characters_per_option": 50,
                "min_expiration": 300,
                "max_expiration": 2629746,
            },
        }

    def instance_v2(self, req: Request, match) -> Response:
        configuration = self._configuration()
        configuration["urls"] = {
            "streaming": self.state.base_url.replace("http", "ws", 1),
            "status": None,
        }
        configuration["translation"] = {"enabled": False}
        return Response(
            200,
            {
                "domain": self.state.domain,
                "title": "Sandbox Mastodon",
                "version": VERSION,
                "source_url": "https://github.com/mastodon/mastodon",
                "description": "A local Mastodon sandbox for the consultation hub.",
                "usage": {"users": {"active_month": len(self.state.accounts)}},
                "thumbnail": {"url": f"{self.state.base_url}/packs/media/images/preview.png"},
                "icon": [],
                "languages": ["en"],
                "configuration": configuration,
                "registrations": {
                    "enabled": False,
                    "approval_required": False,
                    "message": None,
                    "url": None,
                },
                "api_versions": {"mastodon": 2},
                "contact": {"email": "sandbox@example.invalid", "account": None},
                "rules": self._rules(),
            },
        )

    # --- accounts ---------------------------------------------------------------------------

    def verify_credentials(self, req: Request, match) -> Response:
        account = self.state.account_for_token(req)
        with self.state.lock:
            return Response(200, self.state.render_account(account, credentials=True))

    def account(self, req: Request, match) -> Response:
        with self.state.lock:
            account = self.state.accounts.get(match["id"])
            if account is None:
                raise _error(404, "Record not found")
            return Response(200, self.state.render_account(account))

    def account_lookup(self, req: Request, match) -> Response:
        with self.state.lock:
            account = self.state.account_by_username(req.arg("acct") or "")
            if account is None:
                raise _error(404, "Record not found")
            return Response(200, self.state.render_account(account))

    def account_statuses(self, req: Request, match) -> Response:
        viewer = self.state.account_for_token(req, required=False)
        exclude_replies = (req.arg("exclude_replies") or "").lower() in ("1", "true")
        with self.state.lock:
            if match["id"] not in self.state.accounts:
                raise _error(404, "Record not found")
            statuses = [
                s
                for s in self.state.statuses.values()
                if s["account_id"] == match["id"]
                and self.state.visible(s, viewer)
                and not (exclude_replies and s["in_reply_to_id"])
            ]
            return self._paginated(req, statuses, self.state.render_status, default=20, maximum=40)

    # --- statuses ---------------------------------------------------------------------------

    def create_status(self, req: Request, match) -> Response:
        account = self.state.account_for_token(req)
        form = req.form()
        text = form.get("status") or ""
        key = req.headers.get("idempotency-key")
        with self.state.lock:
            remembered = self.state.idempotency.get((account["id"], key)) if key else None
            if remembered and time.time() - remembered[1] < IDEMPOTENCY_TTL_SECONDS:
                existing = self.state.statuses.get(remembered[0])
                if existing and not existing["deleted"]:
                    return Response(200, self.state.render_status(existing))
            self.state.check_length(text)
            status = self.state._create_status(
                account,
                text,
                in_reply_to_id=form.get("in_reply_to_id") or None,
                visibility=form.get("visibility") or "public",
                language=form.get("language") or None,
                spoiler_text=form.get("spoiler_text") or "",
            )
            if key:
                self.state.idempotency[(account["id"], key)] = (status["id"], time.time())
            return Response(200, self.state.render_status(status))

    def _live_status(self, status_id: str, viewer: dict[str, Any] | None) -> dict[str, Any]:
        status = self.state.statuses.get(status_id)
        if status is None or not self.state.visible(status, viewer):
            raise _error(404, "Record not found")
        return status

    def get_status(self, req: Request, match) -> Response:
        viewer = self.state.account_for_token(req, required=False)
        with self.state.lock:
            return Response(200, self.state.render_status(self._live_status(match["id"], viewer)))

    def edit_status(self, req: Request, match) -> Response:
        account = self.state.account_for_token(req)
        text = req.form().get("status") or ""
        with self.state.lock:
            status = self._live_status(match["id"], account)
            if status["account_id"] != account["id"]:
                raise _error(403, "This action is not allowed")
            return Response(200, self.state.edit_post(status["id"], text))

    def delete_status(self, req: Request, match) -> Response:
        account = self.state.account_for_token(req)
        with self.state.lock:
            status = self._live_status(match["id"], account)
            if status["account_id"] != account["id"]:
                raise _error(403, "This action is not allowed")
            status["deleted"] = True
            return Response(200, self.state.render_status(status, with_source=True))

    def history(self, req: Request, match) -> Response:
        viewer = self.state.account_for_token(req, required=False)
        with self.state.lock:
            status = self._live_status(match["id"], viewer)
            account = self.state.render_account(self.state.accounts[status["account_id"]])
            versions = [
                *status["history"],
                {"text": status["text"], "created_at": status["edited_at"] or status["created_at"]},
            ]
            return Response(
                200,
                [
                    {
                        "content": self.state._content_html(v["text"])[0],
                        "spoiler_text": "",
                        "sensitive": False,
                        "created_at": iso(v["created_at"]),
                        "account": account,
                        "poll": None,
                        "media_attachments": [],
                        "emojis": [],
                    }
                    for v in versions
                ],
            )

    def context(self, req: Request, match) -> Response:
        viewer = self.state.account_for_token(req, required=False)
        with self.state.lock:
            status = self._live_status(match["id"], viewer)
            ancestors: list[dict[str, Any]] = []
            parent_id = status["in_reply_to_id"]
            while parent_id:
                parent = self.state.statuses.get(parent_id)
                if parent is None or not self.state.visible(parent, viewer):
                    break
                ancestors.insert(0, parent)
                parent_id = parent["in_reply_to_id"]
            children: dict[str, list[dict[str, Any]]] = {}
            for candidate in sorted(self.state.statuses.values(), key=lambda s: int(s["id"])):
                if candidate["in_reply_to_id"] and not candidate["deleted"]:
                    children.setdefault(candidate["in_reply_to_id"], []).append(candidate)
            # StatusThreadingConcern#descendant_ids: the tree "ORDER BY path LIMIT" the cap,
            # and only then are statuses the viewer may not see dropped.
            in_tree: list[dict[str, Any]] = []
            stack = list(reversed(children.get(status["id"], [])))
            while stack and len(in_tree) < CONTEXT_LIMIT:
                node = stack.pop()
                in_tree.append(node)
                stack.extend(reversed(children.get(node["id"], [])))
            descendants = [s for s in in_tree if self.state.visible(s, viewer)]
            accounts: dict[str, dict[str, Any]] = {}

            def render(s: dict[str, Any]) -> dict[str, Any]:
                if s["account_id"] not in accounts:
                    accounts[s["account_id"]] = self.state.render_account(
                        self.state.accounts[s["account_id"]]
                    )
                return self.state.render_status(
                    s,
                    replies=len(children.get(s["id"], [])),
                    rendered_account=accounts[s["account_id"]],
                )

            return Response(
                200,
                {
                    "ancestors": [render(s) for s in ancestors],
                    "descendants": [render(s) for s in descendants],
                },
            )

    # --- timelines ------------------------------------------------------------------------------

    def notifications(self, req: Request, match) -> Response:
        account = self.state.account_for_token(req)
        types = set(req.args("types"))
        excluded = set(req.args("exclude_types"))
        with self.state.lock:
            items = [
                n
                for n in self.state.notifications.values()
                if n["account_id"] == account["id"]
                and self.state.visible(self.state.statuses[n["status_id"]], account)
                and (not types or n["type"] in types)
                and n["type"] not in excluded
            ]
            return self._paginated(
                req, items, self.state.render_notification, default=40, maximum=80
            )

    def tag_timeline(self, req: Request, match) -> Response:
        self.state.account_for_token(req, required=False)
        tag = match["tag"].lower().lstrip("#")
        with self.state.lock:
            statuses = [
                s
                for s in self.state.statuses.values()
                if not s["deleted"]
                and s["visibility"] == "public"
                and any(
                    e.kind == "hashtag" and e.value.lower() == tag for e in find_entities(s["text"])
                )
            ]
            return self._paginated(req, statuses, self.state.render_status, default=20, maximum=40)

    def status_page(self, req: Request, match) -> Response:
        return Response(302, b"", {"Location": f"/_sandbox/posts/{match['id']}"})

    def _paginated(self, req: Request, items, render, *, default: int, maximum: int) -> Response:
        limit = max(1, min(req.int_arg("limit", default), maximum))
        max_id = req.int_arg("max_id")
        since_id = req.int_arg("since_id")
        min_id = req.int_arg("min_id")
        selected = [
            item
            for item in items
            if (max_id is None or int(item["id"]) < max_id)
            and (since_id is None or int(item["id"]) > since_id)
            and (min_id is None or int(item["id"]) > min_id)
        ]
        if min_id is not None:
            # min_id pages forward in time: the `limit` items just after min_id, still newest first.
            page = sorted(selected, key=lambda item: int(item["id"]))[:limit]
            page.sort(key=_newest_first)
        else:
            page = sorted(selected, key=_newest_first)[:limit]
        headers = {}
        if page:
            base = f"{self.state.base_url}{req.path}"
            keep = {k: v for k, v in req.query.items() if k not in ("max_id", "since_id", "min_id")}

            def link(**cursor: str) -> str:
                params = [(k, v) for k, values in keep.items() for v in values] + list(
                    cursor.items()
                )
                return f"{base}?{urlencode(params)}"

            headers["Link"] = (
                f'<{link(max_id=page[-1]["id"])}>; rel="next", '
                f'<{link(min_id=page[0]["id"])}>; rel="prev"'
            )
        return Response(200, [render(item) for item in page], headers)


MASTODON_URL_LENGTH = 23


def mastodon_length(text: str, *, local_domain: str = "") -> int:
    """Mastodon counts grapheme clusters; a URL counts 23 and `@user@domain` counts as `@user`."""
    pieces = []
    position = 0
    for url in find_urls(text):
        pieces.append(text[position : url.start])
        pieces.append("u" * MASTODON_URL_LENGTH)  # one character per counted character
        position = url.end
    pieces.append(text[position:])
    countable = re.sub(r"(@[A-Za-z0-9_]+)@[A-Za-z0-9.\-]+[A-Za-z0-9]", r"\1", "".join(pieces))
    return grapheme_length(countable)
