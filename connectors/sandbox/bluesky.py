"""Bluesky sandbox: a PDS and AppView in one, speaking the XRPC methods the hub uses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import secrets
import threading
import time
from datetime import UTC, datetime
from typing import Any, Literal, overload

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
from .text import find_entities, grapheme_length, utf8_offset

HANDLE_DOMAIN = "sandbox.test"
POST_COLLECTION = "app.bsky.feed.post"
MAX_GRAPHEMES = 300
MAX_BYTES = 3000
# The App View notifies the authors of a reply's ancestors fewer than this many levels up
# (four at most: REPLY_NOTIF_DEPTH in @atproto/bsky's post indexer), so a deep reply does not
# reach the root.
REPLY_NOTIF_DEPTH = 5
RECORD_WITH_MEDIA = "app.bsky.embed.recordWithMedia"
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_AT_URI = re.compile(r"^at://(?P<repo>[^/]+)/(?P<collection>[^/]+)/(?P<rkey>[^/]+)$")
_FACET_FEATURES = {
    "app.bsky.richtext.facet#mention",
    "app.bsky.richtext.facet#link",
    "app.bsky.richtext.facet#tag",
}


def _xrpc_error(status: int, error: str, message: str) -> SandboxError:
    return SandboxError(status, {"error": error, "message": message})


def _invalid(message: str) -> SandboxError:
    return _xrpc_error(400, "InvalidRequest", message)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def compute_cid(value: Any) -> str:
    """A CIDv1 (dag-cbor codec, sha2-256) string over the canonical JSON of `value`.

    The bytes hashed are JSON, not DAG-CBOR, but the CID is well formed, unique per content,
    and accepted wherever the clients check the `cid` format.
    """
    digest = hashlib.sha256(
        json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    ).digest()
    raw = bytes([0x01, 0x71, 0x12, 0x20]) + digest
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


class BlueskyState(NetworkState):
    network = "bluesky"

    def __init__(self) -> None:
        super().__init__()
        self.accounts: dict[str, dict[str, Any]] = {}  # by did
        self.posts: dict[str, dict[str, Any]] = {}  # by at:// uri
        self.notifications: list[dict[str, Any]] = []
        self.secret = secrets.token_bytes(32)
        self.access_token_ttl = 7200
        self.refresh_token_ttl = 60 * 60 * 24 * 60
        self.revoked_refresh_tokens: set[str] = set()
        self._last_tid = 0
        self._sequence = 0
        self._id_lock = threading.Lock()

    # --- ids ---------------------------------------------------------------------------------

    def _next_tid(self) -> str:
        """A TID record key: microseconds since the epoch and a clock id, base32-sortable."""
        with self._id_lock:
            self._last_tid = max(int(time.time() * 1_000_000), self._last_tid + 1)
            value = (self._last_tid << 10) | 7
        chars = []
        for _ in range(13):
            chars.append(_TID_ALPHABET[value & 31])
            value >>= 5
        return "".join(reversed(chars))

    def _next_sequence(self) -> int:
        with self._id_lock:
            self._sequence += 1
            return self._sequence

    @staticmethod
    def full_handle(handle: str) -> str:
        handle = handle.lstrip("@").lower()
        return handle if "." in handle else f"{handle}.{HANDLE_DOMAIN}"

    # --- accounts ---------------------------------------------------------------------------

    def create_account(
        self, *, handle: str, display_name: str | None = None, password: str | None = None
    ) -> SandboxAccount:
        with self.lock:
            full = self.full_handle(handle)
            if self.account_by_actor(full):
                raise _xrpc_error(400, "HandleNotAvailable", f"Handle already taken: {full}")
            account = self._new_account(full, display_name or handle)
            account["password"] = password or secrets.token_urlsafe(16)
            return SandboxAccount(
                id=account["did"],
                handle=account["handle"],
                display_name=account["display_name"],
                credentials={"identifier": account["handle"], "password": account["password"]},
            )

    def _new_account(self, handle: str, display_name: str) -> dict[str, Any]:
        did = "did:plc:" + "".join(secrets.choice(_BASE32) for _ in range(24))
        account = {
            "did": did,
            "handle": handle,
            "display_name": display_name,
            "created_at": datetime.now(UTC),
            "password": None,
        }
        self.accounts[did] = account
        return account

    def account_by_actor(self, actor: str) -> dict[str, Any] | None:
        if actor.startswith("did:"):
            return self.accounts.get(actor)
        actor = actor.lstrip("@").lower()
        for account in self.accounts.values():
            if account["handle"] == actor:
                return account
        return None

    def _citizen(self, handle: str, display_name: str | None) -> dict[str, Any]:
        full = self.full_handle(handle)
        return self.account_by_actor(full) or self._new_account(full, display_name or handle)

    # --- tokens -----------------------------------------------------------------------------

    def issue_token(self, did: str, *, refresh: bool) -> str:
        now = time.time()
        header = {"typ": "refresh+jwt" if refresh else "at+jwt", "alg": "HS256"}
        ttl = self.refresh_token_ttl if refresh else self.access_token_ttl
        payload: dict[str, Any] = {
            "scope": "com.atproto.refresh" if refresh else "com.atproto.access",
            "sub": did,
            "aud": "did:web:sandbox.test",
            "iat": int(now),
            # Rounded up, so a token lives at least `ttl` seconds even with whole-second claims.
            "exp": math.ceil(now) + ttl,
        }
        if refresh:
            payload["jti"] = secrets.token_urlsafe(24)
        signing_input = (
            f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(payload).encode())}"
        )
        signature = hmac.new(self.secret, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64url(signature)}"

    def verify_token(self, token: str, *, refresh: bool) -> dict[str, Any]:
        try:
            header_b64, payload_b64, signature_b64 = token.split(".")
            expected = hmac.new(
                self.secret, f"{header_b64}.{payload_b64}".encode(), hashlib.sha256
            ).digest()
            if not hmac.compare_digest(expected, _b64url_decode(signature_b64)):
                raise ValueError("bad signature")
            payload = json.loads(_b64url_decode(payload_b64))
        except (ValueError, TypeError):
            raise _xrpc_error(400, "InvalidToken", "Token could not be verified") from None
        wanted = "com.atproto.refresh" if refresh else "com.atproto.access"
        if payload.get("scope") != wanted:
            raise _xrpc_error(400, "InvalidToken", "Bad token scope")
        if payload.get("exp", 0) <= time.time():
            raise _xrpc_error(400, "ExpiredToken", "Token has expired")
        if refresh and payload.get("jti") in self.revoked_refresh_tokens:
            raise _xrpc_error(400, "ExpiredToken", "Token has been revoked")
        if payload.get("sub") not in self.accounts:
            raise _xrpc_error(400, "InvalidToken", "Unknown account")
        return payload

    @overload
    def account_for_request(
        self, req: Request, *, required: Literal[True] = True
    ) -> dict[str, Any]: ...
    @overload
    def account_for_request(self, req: Request, *, required: bool) -> dict[str, Any] | None: ...
    def account_for_request(self, req: Request, *, required: bool = True) -> dict[str, Any] | None:
        token = req.bearer_token()
        if not token:
            if required:
                raise _xrpc_error(401, "AuthMissing", "Authentication Required")
            return None
        payload = self.verify_token(token, refresh=False)
        return self.accounts[payload["sub"]]

    # --- posts ------------------------------------------------------------------------------

    def _facets_for(self, text: str) -> list[dict[str, Any]]:
        facets = []
        for entity in find_entities(text):
            feature: dict[str, Any]
            if entity.kind == "url":
                feature = {"$type": "app.bsky.richtext.facet#link", "uri": entity.value}
            elif entity.kind == "hashtag":
                feature = {"$type": "app.bsky.richtext.facet#tag", "tag": entity.value}
            else:
                target = self.account_by_actor(self.full_handle(entity.value))
                if target is None:
                    continue
                feature = {"$type": "app.bsky.richtext.facet#mention", "did": target["did"]}
            facets.append(
                {
                    "index": {
                        "byteStart": utf8_offset(text, entity.start),
                        "byteEnd": utf8_offset(text, entity.end),
                    },
                    "features": [feature],
                }
            )
        return facets

    def validate_post_record(self, record: Any) -> None:
        """The lexicon essentials of app.bsky.feed.post, as the PDS enforces them."""
        if not isinstance(record, dict):
            raise _invalid("Invalid app.bsky.feed.post record: Record must be an object")
        if record.get("$type") not in (None, POST_COLLECTION):
            raise _invalid(f"Invalid $type: expected {POST_COLLECTION}")
        text = record.get("text")
        if not isinstance(text, str):
            raise _invalid(
                'Invalid app.bsky.feed.post record: Record must have the property "text"'
            )
        # The reference PDS's order and wording (@atproto/lex-schema): bytes first, then graphemes.
        if (size := len(text.encode("utf-8"))) > MAX_BYTES:
            raise _invalid(
                f"Invalid app.bsky.feed.post record: string too big (maximum {MAX_BYTES}, got {size}) at $.record.text"
            )
        if (graphemes := grapheme_length(text)) > MAX_GRAPHEMES:
            raise _invalid(
                f"Invalid app.bsky.feed.post record: grapheme too big (maximum {MAX_GRAPHEMES}, got {graphemes}) at $.record.text"
            )
        created_at = record.get("createdAt")
        try:
            datetime.fromisoformat(str(created_at).replace("Z", "+00:00"))
        except ValueError:
            raise _invalid(
                "Invalid app.bsky.feed.post record: Record/createdAt must be a valid datetime"
            ) from None
        length = len(text.encode("utf-8"))
        for number, facet in enumerate(record.get("facets") or []):
            index = facet.get("index") if isinstance(facet, dict) else None
            start = index.get("byteStart") if isinstance(index, dict) else None
            end = index.get("byteEnd") if isinstance(index, dict) else None
            if not (
                isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= length
            ):
                raise _invalid(
                    f"Invalid app.bsky.feed.post record: Record/facets/{number}/index must be a byte range within the text"
                )
            features = facet.get("features")
            if not features or any(
                not isinstance(f, dict) or f.get("$type") not in _FACET_FEATURES for f in features
            ):
                raise _invalid(
                    f"Invalid app.bsky.feed.post record: Record/facets/{number}/features is invalid"
                )
        reply = record.get("reply")
        if reply is not None:
            for part in ("root", "parent"):
                ref = reply.get(part) if isinstance(reply, dict) else None
                if not (
                    isinstance(ref, dict)
                    and isinstance(ref.get("uri"), str)
                    and _AT_URI.match(ref["uri"])
                    and isinstance(ref.get("cid"), str)
                    and ref["cid"].startswith("b")
                ):
                    raise _invalid(
                        f"Invalid app.bsky.feed.post record: Record/reply/{part} must be a strong ref with uri and cid"
                    )

    def _store_post(
        self, account: dict[str, Any], record: dict[str, Any], rkey: str | None = None
    ) -> dict[str, Any]:
        rkey = rkey or self._next_tid()
        uri = f"at://{account['did']}/{POST_COLLECTION}/{rkey}"
        if uri in self.posts:
            raise _invalid(f"Record already exists: {uri}")
        record = {"$type": POST_COLLECTION, **record}
        post = {
            "uri": uri,
            "cid": compute_cid(record),
            "did": account["did"],
            "rkey": rkey,
            "record": record,
            "indexed_at": datetime.now(UTC),
            "deleted": False,
            "blocked": False,
            "sequence": self._next_sequence(),
        }
        self.posts[uri] = post
        self._notify_for(post)
        return post

    def _notify_for(self, post: dict[str, Any]) -> None:
        record = post["record"]
        notified: set[str] = {post["did"]}

        def notify(recipient: str, reason: str, subject: str | None) -> None:
            if recipient in notified or recipient not in self.accounts:
                return
            notified.add(recipient)
            self.notifications.append(
                {
                    "recipient": recipient,
                    "reason": reason,
                    "reason_subject": subject,
                    "uri": post["uri"],
                    "sequence": self._next_sequence(),
                    "indexed_at": datetime.now(UTC),
                }
            )

        # In the App View's order: mentions, then quotes, then replies; one reason per account.
        for facet in record.get("facets") or []:
            for feature in facet.get("features", []):
                if feature.get("$type") == "app.bsky.richtext.facet#mention":
                    notify(feature.get("did"), "mention", None)
        quoted = quoted_uri(record.get("embed"))
        match = _AT_URI.match(quoted or "")
        if match:
            notify(match["repo"], "quote", quoted)
        # Each live ancestor up to REPLY_NOTIF_DEPTH levels up; the chain ends at a deleted one.
        ancestor_uri = ((record.get("reply") or {}).get("parent") or {}).get("uri")
        height = 1
        while ancestor_uri and height < REPLY_NOTIF_DEPTH:
            ancestor = self.posts.get(ancestor_uri)
            if ancestor is None or ancestor["deleted"]:
                break
            notify(ancestor["did"], "reply", ancestor_uri)
            ancestor_uri = ((ancestor["record"].get("reply") or {}).get("parent") or {}).get("uri")
            height += 1

    def posts_by(self, account_id: str) -> list[dict[str, Any]]:
        with self.lock:
            posts = [p for p in self.posts.values() if p["did"] == account_id and not p["deleted"]]
            return [self.render_post(p) for p in sorted(posts, key=_newest_first)]

    def get_post(self, post_id: str) -> dict[str, Any] | None:
        with self.lock:
            post = self._find(post_id)
            return None if post is None or post["deleted"] else self.render_post(post)

    def _find(self, post_id: str) -> dict[str, Any] | None:
        """By at:// URI, or by record key alone (the demo's short links)."""
        post = self.posts.get(post_id)
        if post is None and not post_id.startswith("at://"):
            post = next((p for p in self.posts.values() if p["rkey"] == post_id), None)
        return post

    def strong_ref(self, post: dict[str, Any]) -> dict[str, str]:
        return {"uri": post["uri"], "cid": post["cid"]}

    def citizen_reply(
        self,
        parent_id: str,
        *,
        handle: str,
        text: str,
        display_name: str | None = None,
        facets: list[dict[str, Any]] | None = None,
        embed: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``facets`` replace the ones found in the text (a shortened link, say)."""
        with self.lock:
            citizen = self._citizen(handle, display_name)
            parent = self._find(parent_id)
            if parent is None or parent["deleted"]:
                raise SandboxError(404, {"error": f"no live post {parent_id}"})
            root = parent["record"].get("reply", {}).get("root") or self.strong_ref(parent)
            record: dict[str, Any] = {
                "text": text,
                "createdAt": iso(datetime.now(UTC)),
                "langs": ["en"],
                "reply": {"root": root, "parent": self.strong_ref(parent)},
            }
            facets = self._facets_for(text) if facets is None else facets
            if facets:
                record["facets"] = facets
            if embed:
                record["embed"] = embed
            return self.render_post(self._store_post(citizen, record))

    def citizen_post(
        self,
        *,
        handle: str,
        text: str,
        display_name: str | None = None,
        quote_of: str | None = None,
        facets: list[dict[str, Any]] | None = None,
        embed: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``embed`` is stored as given (a quote with media, say); ``quote_of`` makes a bare quote."""
        with self.lock:
            citizen = self._citizen(handle, display_name)
            record: dict[str, Any] = {
                "text": text,
                "createdAt": iso(datetime.now(UTC)),
                "langs": ["en"],
            }
            facets = self._facets_for(text) if facets is None else facets
            if facets:
                record["facets"] = facets
            if embed:
                record["embed"] = embed
            elif quote_of:
                quoted = self._find(quote_of)
                if quoted is None or quoted["deleted"]:
                    raise SandboxError(404, {"error": f"no live post {quote_of}"})
                record["embed"] = {
                    "$type": "app.bsky.embed.record",
                    "record": self.strong_ref(quoted),
                }
            return self.render_post(self._store_post(citizen, record))

    def delete_post(self, post_id: str) -> None:
        with self.lock:
            post = self._find(post_id)
            if post is None:
                raise SandboxError(404, {"error": f"no post {post_id}"})
            post["deleted"] = True

    def set_blocked(self, post_id: str, blocked: bool = True) -> None:
        """Make a post show as a blockedPost node in threads (as if its author blocked the viewer)."""
        with self.lock:
            post = self._find(post_id)
            if post is None:
                raise SandboxError(404, {"error": f"no post {post_id}"})
            post["blocked"] = blocked

    # --- rendering --------------------------------------------------------------------------

    def render_profile(self, account: dict[str, Any], *, detailed: bool = False) -> dict[str, Any]:
        profile: dict[str, Any] = {
            "did": account["did"],
            "handle": account["handle"],
            "displayName": account["display_name"],
            "associated": {"chat": {"allowIncoming": "following"}},
            "viewer": {"muted": False, "blockedBy": False},
            "labels": [],
            "createdAt": iso(account["created_at"]),
        }
        if detailed:
            posts = sum(
                1 for p in self.posts.values() if p["did"] == account["did"] and not p["deleted"]
            )
            profile |= {
                "description": "",
                "indexedAt": iso(account["created_at"]),
                "followersCount": 0,
                "followsCount": 0,
                "postsCount": posts,
            }
        return profile

    def render_post(self, post: dict[str, Any]) -> dict[str, Any]:
        counts = {"replyCount": 0, "quoteCount": 0}
        for other in self.posts.values():
            if other["deleted"]:
                continue
            if (other["record"].get("reply") or {}).get("parent", {}).get("uri") == post["uri"]:
                counts["replyCount"] += 1
            if quoted_uri(other["record"].get("embed")) == post["uri"]:
                counts["quoteCount"] += 1
        return {
            "uri": post["uri"],
            "cid": post["cid"],
            "author": self.render_profile(self.accounts[post["did"]]),
            "record": post["record"],
            "bookmarkCount": 0,
            "replyCount": counts["replyCount"],
            "repostCount": 0,
            "likeCount": 0,
            "quoteCount": counts["quoteCount"],
            "indexedAt": iso(post["indexed_at"]),
            "viewer": {"threadMuted": False, "embeddingDisabled": False},
            "labels": [],
        }

    def render_thread_node(self, post: dict[str, Any] | None, uri: str) -> dict[str, Any] | None:
        if post is None or post["deleted"]:
            return {"$type": "app.bsky.feed.defs#notFoundPost", "uri": uri, "notFound": True}
        if post["blocked"]:
            return {
                "$type": "app.bsky.feed.defs#blockedPost",
                "uri": uri,
                "blocked": True,
                "author": {"did": post["did"], "viewer": {"blockedBy": True, "muted": False}},
            }
        return None

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "network": self.network,
                "accounts": [
                    self.render_profile(a, detailed=True) | {"department": bool(a["password"])}
                    for a in self.accounts.values()
                ],
                "posts": [
                    self.render_post(p) | {"deleted": p["deleted"], "blocked": p["blocked"]}
                    for p in sorted(self.posts.values(), key=_newest_first)
                ],
            }

    def post_summaries(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {
                    "id": p["uri"],
                    "short_id": p["rkey"],
                    "author": self.accounts[p["did"]]["handle"],
                    "text": p["record"].get("text", ""),
                    "created_at": iso(p["indexed_at"]),
                    "parent_id": (p["record"].get("reply") or {}).get("parent", {}).get("uri"),
                    "deleted": p["deleted"],
                }
                for p in sorted(self.posts.values(), key=_newest_first)
            ]


def _newest_first(post: dict[str, Any]) -> int:
    return -post["sequence"]


class BlueskyApi(NetworkApi):
    network = "bluesky"
    state_class = BlueskyState
    state: BlueskyState
    default_port = 8103
    rate_limit = 3000

    @classmethod
    def demo_replies(cls, *, account: str, hashtag: str) -> list[DemoReply]:
        # Casual and lower-case; a mention names the full handle, which becomes a facet.
        return [
            DemoReply(
                "reply",
                "walkingbus.sandbox.test",
                "mel 🌿",
                "honestly just want to walk my kids to school without breathing exhaust "
                "fumes. yes to the zone 💚",
            ),
            DemoReply(
                "reply",
                "carer-kay.sandbox.test",
                "kay",
                "how is a carer meant to afford this? i drive between 6 clients a day in a "
                "2012 diesel. exemptions for care workers pls",
            ),
            DemoReply(
                "reply",
                "fairfares.sandbox.test",
                "Rob",
                "the charge should go straight into buses. every penny. otherwise it's just a "
                "tax on people who cant afford newer cars",
            ),
            DemoReply(
                "reply",
                "districtnurse.sandbox.test",
                "Sue",
                "agree, carers and district nurses need exempting. my mum relies on hers. ring "
                "me if you're collecting stories 07700 900218",
                answers=1,
            ),
            DemoReply(
                "reply",
                "proofreader.sandbox.test",
                "Lou",
                "typo in the consultation doc btw, page 4 says the zone starts in 2062 😅 "
                "assume you mean 2026",
            ),
            DemoReply(
                "mention",
                "stationcabs.sandbox.test",
                "Station Cabs",
                f"@{account} will taxis be charged? half the fleet here is old diesels and "
                f"they idle at the station all day #{hashtag}",
            ),
            DemoReply(
                "hashtag",
                "dropin-visitor.sandbox.test",
                "jamie",
                f"went to the drop-in about #{hashtag}, lovely staff but the maps were tiny. "
                "pls put them online big enough to read",
            ),
            DemoReply(
                "hashtag",
                "vanlife-bakery.sandbox.test",
                "Rise Bakery",
                "small biz here: we'd back it if there's a grant to swap our delivery van for "
                f"an electric one. otherwise it's a closure notice #{hashtag}",
            ),
            DemoReply(
                "hashtag",
                "canalcommuter.sandbox.test",
                "dev",
                "cycled the canal path into town in 12 mins. would do it every day if the bit "
                f"by the bridge was lit 🚲✨ #{hashtag}",
            ),
        ]

    def routes(self):
        methods = {
            ("POST", "com.atproto.server.createSession"): self.create_session,
            ("POST", "com.atproto.server.refreshSession"): self.refresh_session,
            ("GET", "com.atproto.server.getSession"): self.get_session,
            ("POST", "com.atproto.server.deleteSession"): self.delete_session,
            ("GET", "com.atproto.identity.resolveHandle"): self.resolve_handle,
            ("GET", "app.bsky.actor.getProfile"): self.get_profile,
            ("POST", "com.atproto.repo.createRecord"): self.create_record,
            ("POST", "com.atproto.repo.deleteRecord"): self.delete_record,
            ("GET", "com.atproto.repo.getRecord"): self.get_record,
            ("GET", "com.atproto.repo.listRecords"): self.list_records,
            ("GET", "app.bsky.feed.getPostThread"): self.get_post_thread,
            ("GET", "app.bsky.feed.getPosts"): self.get_posts,
            ("GET", "app.bsky.notification.listNotifications"): self.list_notifications,
            ("GET", "app.bsky.feed.searchPosts"): self.search_posts,
        }
        return [
            (verb, re.escape(f"/xrpc/{name}"), handler) for (verb, name), handler in methods.items()
        ]

    def rate_limit_headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        return {
            "ratelimit-limit": str(limit),
            "ratelimit-remaining": str(remaining),
            "ratelimit-reset": str(int(reset + 0.999)),
            "ratelimit-policy": f"{limit};w=300",
        }

    def rate_limited(self, reset: float) -> Response:
        return Response(429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"})

    def server_error(self) -> Response:
        return Response(503, {"error": "InternalServerError", "message": "Service Unavailable"})

    def not_found(self, req: Request) -> Response:
        if req.path.startswith("/xrpc/"):
            return Response(
                501, {"error": "MethodNotImplemented", "message": "Method Not Implemented"}
            )
        return Response(404, {"error": "NotFound", "message": "Not Found"})

    # --- sessions ---------------------------------------------------------------------------

    def _session_body(self, account: dict[str, Any], req: Request) -> dict[str, Any]:
        return {
            "accessJwt": self.state.issue_token(account["did"], refresh=False),
            "refreshJwt": self.state.issue_token(account["did"], refresh=True),
            "handle": account["handle"],
            "did": account["did"],
            "didDoc": self._did_document(account, req),
            "email": f"{account['handle']}@example.invalid",
            "emailConfirmed": True,
            "emailAuthFactor": False,
            "active": True,
        }

    @staticmethod
    def _did_document(account: dict[str, Any], req: Request) -> dict[str, Any]:
        """As a PDS with enableDidDocWithSession (bsky.social) answers: the account's own PDS
        under the name it gives itself (http://localhost:PORT, like the reference dev PDS),
        not the address the client came in by."""
        port = req.headers.get("host", "").rpartition(":")[2] or "80"
        return {
            "@context": [
                "https://www.w3.org/ns/did/v1",
                "https://w3id.org/security/suites/secp256k1-2019/v1",
            ],
            "id": account["did"],
            "alsoKnownAs": [f"at://{account['handle']}"],
            "verificationMethod": [
                {
                    "id": "#atproto",
                    "type": "EcdsaSecp256k1VerificationKey2019",
                    "controller": account["did"],
                    "publicKeyMultibase": "z" + account["did"].rsplit(":", 1)[-1],
                }
            ],
            "service": [
                {
                    "id": "#atproto_pds",
                    "type": "AtprotoPersonalDataServer",
                    "serviceEndpoint": f"http://localhost:{port}",
                }
            ],
        }

    def create_session(self, req: Request, match) -> Response:
        body = req.json()
        identifier = str(body.get("identifier") or "")
        password = body.get("password")
        with self.state.lock:
            account = self.state.account_by_actor(identifier)
            if account is None and "@" in identifier:
                account = next(
                    (
                        a
                        for a in self.state.accounts.values()
                        if f"{a['handle']}@example.invalid" == identifier
                    ),
                    None,
                )
            if (
                account is None
                or not account["password"]
                or not hmac.compare_digest(str(account["password"]), str(password or ""))
            ):
                raise _xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
            return Response(200, self._session_body(account, req))

    def refresh_session(self, req: Request, match) -> Response:
        token = req.bearer_token()
        if not token:
            raise _xrpc_error(401, "AuthMissing", "Authentication Required")
        with self.state.lock:
            payload = self.state.verify_token(token, refresh=True)
            self.state.revoked_refresh_tokens.add(payload["jti"])
            return Response(200, self._session_body(self.state.accounts[payload["sub"]], req))

    def delete_session(self, req: Request, match) -> Response:
        token = req.bearer_token()
        if token:
            with self.state.lock:
                payload = self.state.verify_token(token, refresh=True)
                self.state.revoked_refresh_tokens.add(payload["jti"])
        return Response(200, {})

    def get_session(self, req: Request, match) -> Response:
        with self.state.lock:
            account = self.state.account_for_request(req)
            body = self._session_body(account, req)
            del body["accessJwt"], body["refreshJwt"]
            return Response(200, body)

    def resolve_handle(self, req: Request, match) -> Response:
        with self.state.lock:
            account = self.state.account_by_actor(req.arg("handle") or "")
            if account is None:
                raise _invalid("Unable to resolve handle")
            return Response(200, {"did": account["did"]})

    def get_profile(self, req: Request, match) -> Response:
        with self.state.lock:
            self.state.account_for_request(req, required=False)
            account = self.state.account_by_actor(req.arg("actor") or "")
            if account is None:
                raise _invalid("Profile not found")
            return Response(200, self.state.render_profile(account, detailed=True))

    # --- repository -------------------------------------------------------------------------

    def _own_repo(self, account: dict[str, Any], repo: Any) -> None:
        if repo not in (account["did"], account["handle"]):
            raise _invalid(f"Invalid repo: {repo} is not the authenticated account")

    def create_record(self, req: Request, match) -> Response:
        with self.state.lock:
            account = self.state.account_for_request(req)
            body = req.json()
            self._own_repo(account, body.get("repo"))
            if body.get("collection") != POST_COLLECTION:
                raise _invalid(f"The sandbox only stores {POST_COLLECTION} records")
            record: Any = body.get("record")  # validate_post_record checks its shape
            self.state.validate_post_record(record)
            post = self.state._store_post(account, record, rkey=body.get("rkey"))
            return Response(
                200,
                {
                    "uri": post["uri"],
                    "cid": post["cid"],
                    "commit": {
                        "cid": compute_cid({"commit": post["sequence"]}),
                        "rev": self.state._next_tid(),
                    },
                    "validationStatus": "valid",
                },
            )

    def delete_record(self, req: Request, match) -> Response:
        with self.state.lock:
            account = self.state.account_for_request(req)
            body = req.json()
            self._own_repo(account, body.get("repo"))
            uri = f"at://{account['did']}/{body.get('collection')}/{body.get('rkey')}"
            post = self.state.posts.get(uri)
            if post is not None:
                post["deleted"] = True
            return Response(
                200,
                {
                    "commit": {
                        "cid": compute_cid({"delete": uri, "at": time.time()}),
                        "rev": self.state._next_tid(),
                    }
                },
            )

    def get_record(self, req: Request, match) -> Response:
        with self.state.lock:
            account = self.state.account_by_actor(req.arg("repo") or "")
            uri = f"at://{account['did'] if account else req.arg('repo')}/{req.arg('collection')}/{req.arg('rkey')}"
            post = self.state.posts.get(uri)
            if post is None or post["deleted"]:
                raise _xrpc_error(400, "RecordNotFound", f"Could not locate record: {uri}")
            return Response(200, {"uri": post["uri"], "cid": post["cid"], "value": post["record"]})

    def list_records(self, req: Request, match) -> Response:
        limit = req.int_arg("limit", 50)
        if not 1 <= limit <= 100:
            raise _invalid("limit must be between 1 and 100")
        reverse = (req.arg("reverse") or "").lower() == "true"
        cursor = req.arg("cursor")
        with self.state.lock:
            account = self.state.account_by_actor(req.arg("repo") or "")
            if account is None:
                raise _invalid(f"Could not find repo: {req.arg('repo')}")
            if req.arg("collection") != POST_COLLECTION:
                return Response(200, {"records": []})
            posts = sorted(
                (
                    p
                    for p in self.state.posts.values()
                    if p["did"] == account["did"] and not p["deleted"]
                ),
                key=lambda p: p["rkey"],
                reverse=not reverse,
            )
            if cursor:
                posts = [
                    p for p in posts if (p["rkey"] > cursor if reverse else p["rkey"] < cursor)
                ]
            page = posts[:limit]
            body: dict[str, Any] = {
                "records": [{"uri": p["uri"], "cid": p["cid"], "value": p["record"]} for p in page]
            }
            if len(posts) > limit:
                body["cursor"] = page[-1]["rkey"]
            return Response(200, body)

    # --- app view ---------------------------------------------------------------------------

    def get_post_thread(self, req: Request, match) -> Response:
        uri = req.arg("uri") or ""
        depth = req.int_arg("depth", 6)
        parent_height = req.int_arg("parentHeight", 80)
        if not (0 <= depth <= 1000 and 0 <= parent_height <= 1000):
            raise _invalid("depth and parentHeight must be between 0 and 1000")
        with self.state.lock:
            self.state.account_for_request(req, required=False)
            post = self.state.posts.get(uri)
            if post is None or post["deleted"]:
                raise _xrpc_error(400, "NotFound", f"Post not found: {uri}")
            children: dict[str, list[dict[str, Any]]] = {}
            for other in sorted(self.state.posts.values(), key=lambda p: p["sequence"]):
                parent_uri = (other["record"].get("reply") or {}).get("parent", {}).get("uri")
                if parent_uri:
                    children.setdefault(parent_uri, []).append(other)
            thread = self.state.render_thread_node(post, uri) or self._thread_view(
                post, children, depth
            )
            if "post" in thread:
                self._attach_parents(thread, post, parent_height)
            return Response(200, {"thread": thread})

    def _thread_view(self, post, children, depth: int) -> dict[str, Any]:
        node: dict[str, Any] = {
            "$type": "app.bsky.feed.defs#threadViewPost",
            "post": self.state.render_post(post),
        }
        if depth > 0:
            replies = []
            for child in children.get(post["uri"], []):
                # As the reference App View answers: a deleted reply is gone from its index with
                # every reply under it, and a reply whose author blocks the viewer is left out.
                if child["deleted"] or child["blocked"]:
                    continue
                replies.append(self._thread_view(child, children, depth - 1))
            node["replies"] = replies
        return node

    def _attach_parents(self, node: dict[str, Any], post: dict[str, Any], height: int) -> None:
        current_node, current = node, post
        while height > 0:
            parent_uri = (current["record"].get("reply") or {}).get("parent", {}).get("uri")
            if not parent_uri:
                return
            parent = self.state.posts.get(parent_uri)
            special = self.state.render_thread_node(parent, parent_uri)
            # A missing parent always renders as a notFoundPost node.
            if special is not None or parent is None:
                current_node["parent"] = special
                return
            parent_node = {
                "$type": "app.bsky.feed.defs#threadViewPost",
                "post": self.state.render_post(parent),
            }
            current_node["parent"] = parent_node
            current_node, current = parent_node, parent
            height -= 1

    def get_posts(self, req: Request, match) -> Response:
        uris = req.args("uris")
        if len(uris) > 25:
            raise _invalid("uris must hold at most 25 items")
        with self.state.lock:
            self.state.account_for_request(req, required=False)
            posts = [self.state.posts.get(uri) for uri in uris]
            return Response(
                200,
                {
                    "posts": [
                        self.state.render_post(p)
                        for p in posts
                        if p and not p["deleted"] and not p["blocked"]
                    ]
                },
            )

    def list_notifications(self, req: Request, match) -> Response:
        limit = req.int_arg("limit", 50)
        if not 1 <= limit <= 100:
            raise _invalid("limit must be between 1 and 100")
        reasons = set(req.args("reasons"))
        cursor = req.arg("cursor")
        try:
            before = int(cursor) if cursor else None
        except ValueError:
            raise _invalid("Malformed cursor") from None
        with self.state.lock:
            account = self.state.account_for_request(req)
            items = [
                n
                for n in sorted(self.state.notifications, key=lambda n: -n["sequence"])
                if n["recipient"] == account["did"]
                and not self.state.posts[n["uri"]]["deleted"]
                # As the App View lists them: only while the post they are about still exists.
                and not (
                    n["reason_subject"] in self.state.posts
                    and self.state.posts[n["reason_subject"]]["deleted"]
                )
                and (not reasons or n["reason"] in reasons)
                and (before is None or n["sequence"] < before)
            ]
            page = items[:limit]
            notifications = []
            for item in page:
                post = self.state.posts[item["uri"]]
                notification = {
                    "uri": post["uri"],
                    "cid": post["cid"],
                    "author": self.state.render_profile(
                        self.state.accounts[post["did"]], detailed=False
                    )
                    | {"indexedAt": iso(post["indexed_at"])},
                    "reason": item["reason"],
                    "record": post["record"],
                    "isRead": False,
                    "indexedAt": iso(item["indexed_at"]),
                    "labels": [],
                }
                if item["reason_subject"]:
                    notification["reasonSubject"] = item["reason_subject"]
                notifications.append(notification)
            body: dict[str, Any] = {"notifications": notifications, "priority": False}
            if len(items) > limit:
                body["cursor"] = str(page[-1]["sequence"])
            return Response(200, body)

    def search_posts(self, req: Request, match) -> Response:
        """Newest first; ``tag`` (and ``#word`` in ``q``) match tag facets, other words the text."""
        query = (req.arg("q") or "").strip()
        if not query:
            raise _invalid('Error: Params must have the property "q"')
        limit = req.int_arg("limit", 25)
        if not 1 <= limit <= 100:
            raise _invalid("limit must be between 1 and 100")
        cursor = req.arg("cursor")
        try:
            before = int(cursor) if cursor else None
        except ValueError:
            raise _invalid("Malformed cursor") from None
        words = query.split()
        tags = {t.lower() for t in req.args("tag")} | {
            w[1:].lower() for w in words if w.startswith("#")
        }
        terms = [w.lower() for w in words if not w.startswith("#")]
        with self.state.lock:
            self.state.account_for_request(req, required=False)
            found = []
            for post in sorted(self.state.posts.values(), key=_newest_first):
                if post["deleted"] or post["blocked"]:
                    continue
                if before is not None and post["sequence"] >= before:
                    continue
                record = post["record"]
                post_tags = {
                    str(f.get("tag", "")).lower()
                    for facet in record.get("facets") or []
                    for f in facet.get("features", [])
                    if f.get("$type") == "app.bsky.richtext.facet#tag"
                } | {str(t).lower() for t in record.get("tags") or []}
                text = record.get("text", "").lower()
                if tags <= post_tags and all(term in text for term in terms):
                    found.append(post)
            page = found[:limit]
            body: dict[str, Any] = {"posts": [self.state.render_post(p) for p in page]}
            if len(found) > limit:
                body["cursor"] = str(page[-1]["sequence"])
            return Response(200, body)


def quoted_uri(embed: Any) -> str | None:
    """The post an embed quotes, bare (``embed.record``) or beside media (``recordWithMedia``)."""
    if not isinstance(embed, dict):
        return None
    record = embed.get("record") or {}
    if embed.get("$type") == RECORD_WITH_MEDIA and isinstance(record, dict):
        record = record.get("record") or {}
    return record.get("uri") if isinstance(record, dict) else None
