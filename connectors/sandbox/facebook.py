"""Facebook sandbox: the Graph API subset the hub uses, for Pages, at any ``/vNN.N/`` version.

Shapes follow Meta's Graph API reference: ``{"id": "<page id>_<post id>"}`` for a new Page
post, ``{"data": [...], "paging": {"cursors": {"before", "after"}, "next"}}`` for edges,
``{"success": true}`` for a delete, and errors as ``{"error": {"message", "type", "code",
"error_subcode", "fbtrace_id"}}``. Every answer carries the usage headers
(``X-App-Usage``, ``X-Business-Use-Case-Usage``) as percentages of the limit. Requests must
carry the Page token (``access_token``) and its ``appsecret_proof`` (the app requires it).

Webhooks: ``POST /_sandbox/webhook {"url", "verify_token"}`` subscribes a callback after
Meta's check (a GET with ``hub.mode=subscribe``, ``hub.verify_token`` and ``hub.challenge``
that must be echoed); then every citizen comment, edit, hiding and deletion is POSTed there
as a Page ``feed`` change, signed with ``X-Hub-Signature-256`` (HMAC-SHA256 of the body
with the app secret).

Mentions: a citizen's post or comment that names a Page as ``@username`` tags it. The Page's
``/{page-id}/tagged`` edge lists the public posts that tag it, newest first, without ``from``
for a person's post (Graph gives ``from`` only to the post's author); and each mention is
POSTed to the webhook as a Page ``mention`` change (``item`` post or comment, ``verb`` add).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from .server import (
    DemoReply,
    NetworkApi,
    NetworkState,
    Request,
    Response,
    SandboxAccount,
    SandboxError,
)

# A Page post's message limit (Meta's documented 63,206 characters).
MAX_MESSAGE_LENGTH = 63_206
MAX_LIMIT = 100
DEFAULT_LIMIT = 25
VERSION = r"/v(?P<version>\d+\.\d+)"
OBJECT_ID = r"(?P<id>\d+(?:_\d+)?)"


def _trace_id() -> str:
    return base64.b64encode(secrets.token_bytes(8)).decode("ascii").rstrip("=")


def graph_error(
    status: int,
    message: str,
    *,
    code: int,
    type_: str = "OAuthException",
    subcode: int | None = None,
) -> SandboxError:
    error: dict[str, Any] = {"message": message, "type": type_, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    error["fbtrace_id"] = _trace_id()
    return SandboxError(status, {"error": error})


def _no_object(object_id: str) -> SandboxError:
    return graph_error(
        400,
        f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation. Please read "
        "the Graph API documentation at https://developers.facebook.com/docs/graph-api",
        code=100,
        type_="GraphMethodException",
        subcode=33,
    )


def _time(moment: datetime) -> str:
    """Graph's ISO 8601 with a "+0000" offset."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _cursor(index: int) -> str:
    return base64.b64encode(f"sandbox-cursor:{index}".encode()).decode("ascii")


def _cursor_index(cursor: str) -> int:
    try:
        kind, _, number = base64.b64decode(cursor.encode("ascii")).decode().partition(":")
        if kind != "sandbox-cursor":
            raise ValueError(kind)
        return int(number)
    except (ValueError, UnicodeDecodeError):
        raise graph_error(
            400, "(#100) The after cursor is not valid", code=100, type_="OAuthException"
        ) from None


class FacebookState(NetworkState):
    network = "facebook"
    # A comment can be edited by its author (the Page sees the new text, with no edit time).
    can_edit_posts = True

    def __init__(self) -> None:
        super().__init__()
        self.app_id = str(10**14 + secrets.randbelow(10**14))
        self.app_secret = secrets.token_hex(16)
        self.verify_token = secrets.token_urlsafe(12)
        self.pages: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.posts: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, dict[str, Any]] = {}
        self.webhook_url = ""
        #: (HTTP status or error text, body) of every webhook delivery, for tests.
        self.webhook_log: list[tuple[int | str, bytes]] = []
        #: Days a Page token keeps access to data (debug_token's data_access_expires_at).
        self.token_data_access_days = 90
        self._sequence = 0

    def _next(self) -> str:
        self._sequence += 1
        return str(10**9 + self._sequence)

    # --- accounts -------------------------------------------------------------------------

    def create_account(self, *, handle: str, display_name=None, password=None) -> SandboxAccount:
        with self.lock:
            if any(page["username"] == handle for page in self.pages.values()):
                raise SandboxError(409, {"error": f"Page {handle} already exists"})
            page_id = str(10**14 + len(self.pages) + 1 + secrets.randbelow(10**13))
            page: dict[str, Any] = {
                "id": page_id,
                "username": handle,
                "name": display_name or handle,
                "token": "EAA" + secrets.token_urlsafe(40),
                "data_access_expires_at": int(time.time()) + self.token_data_access_days * 86_400,
            }
            self.pages[page_id] = page
            return SandboxAccount(
                id=page_id,
                handle=handle,
                display_name=str(page["name"]),
                credentials={
                    "page_access_token": str(page["token"]),
                    "app_secret": self.app_secret,
                    "app_id": self.app_id,
                    "webhook_verify_token": self.verify_token,
                },
            )

    def user(self, handle: str, display_name: str | None = None) -> dict[str, Any]:
        for user in self.users.values():
            if user["handle"] == handle:
                return user
        user = {"id": str(10**15 + len(self.users) + 1), "handle": handle}
        user["name"] = display_name or handle
        self.users[user["id"]] = user
        return user

    def page_for_token(self, req: Request) -> dict[str, Any]:
        token = req.arg("access_token") or req.bearer_token() or ""
        with self.lock:
            page = next((p for p in self.pages.values() if p["token"] == token), None)
        if page is None:
            raise graph_error(
                400, "Invalid OAuth access token - Cannot parse access token", code=190
            )
        expected = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
        proof = req.arg("appsecret_proof") or ""
        if not hmac.compare_digest(proof.encode(), expected.encode()):
            raise graph_error(
                400,
                "Invalid appsecret_proof provided in the API argument"
                if proof
                else "API calls from the server require an appsecret_proof argument",
                code=100,
                type_="GraphMethodException",
            )
        return page

    # --- posts and comments -------------------------------------------------------------

    def create_post(self, page: dict[str, Any], message: str, link: str = "") -> dict[str, Any]:
        if not message.strip() and not link:
            raise graph_error(400, "(#100) Missing message or attachment", code=100)
        if len(message) > MAX_MESSAGE_LENGTH:
            raise graph_error(
                400,
                f"(#100) The message is too long: at most {MAX_MESSAGE_LENGTH:,} characters",
                code=100,
            )
        with self.lock:
            if any(
                p["page_id"] == page["id"] and not p["deleted"] and p["message"] == message
                for p in self.posts.values()
            ):
                raise graph_error(400, "(#506) Duplicate status message", code=506)
            post = {
                "id": f"{page['id']}_{self._next()}",
                "page_id": page["id"],
                "author_id": page["id"],
                "message": message,
                "link": link,
                "created_time": datetime.now(UTC),
                "deleted": False,
            }
            self.posts[post["id"]] = post
            return post

    def _object(self, object_id: str) -> dict[str, Any] | None:
        found = self.posts.get(object_id) or self.comments.get(object_id)
        return None if found is None or found["deleted"] else found

    def add_comment(
        self, parent_id: str, author: dict[str, Any], message: str, *, from_page: bool = False
    ) -> dict[str, Any]:
        with self.lock:
            parent = self._object(parent_id)
            if parent is None:
                raise _no_object(parent_id)
            if parent_id in self.comments:
                post_id = parent["post_id"]
                # Facebook keeps two levels: a reply to a reply joins its top-level comment.
                top = parent["parent_id"] or parent["id"]
            else:
                post_id, top = parent["id"], ""
            comment = {
                "id": f"{post_id.split('_')[-1]}_{self._next()}",
                "post_id": post_id,
                "parent_id": top,
                "author_id": author["id"],
                "author_name": author["name"],
                "from_page": from_page,
                "message": message,
                "created_time": datetime.now(UTC),
                "deleted": False,
                "hidden": False,
            }
            self.comments[comment["id"]] = comment
        if not from_page:
            self.notify(comment, "add")
            with self.lock:
                mentioned = self.pages_mentioned(message)
            for page_id in mentioned:
                self.notify_mention(
                    page_id,
                    post_id=post_id,
                    author=author,
                    item="comment",
                    comment_id=comment["id"],
                )
        return self.render_comment(comment)

    def citizen_reply(self, parent_id: str, *, handle: str, text: str, display_name=None):
        with self.lock:
            author = self.user(handle, display_name)
        return self.add_comment(str(parent_id), author, text)

    def citizen_post(self, *, handle: str, text: str, display_name=None):
        """A post on the citizen's own timeline: not on the Page, so the Page reads it only
        when it tags the Page (its ``tagged`` edge)."""
        with self.lock:
            author = self.user(handle, display_name)
            post = {
                "id": f"{author['id']}_{self._next()}",
                "page_id": "",
                "author_id": author["id"],
                "message": text,
                "link": "",
                "created_time": datetime.now(UTC),
                "deleted": False,
                "tags": self.pages_mentioned(text),
            }
            self.posts[post["id"]] = post
            rendered = self.render_post(post)
        for page_id in post["tags"]:
            self.notify_mention(page_id, post_id=post["id"], author=author, item="post")
        return rendered

    def pages_mentioned(self, text: str) -> list[str]:
        """The Pages a text tags: ``@username`` of a Page, as the composer turns it into a tag."""
        names = {word[1:].rstrip(".,!?:;") for word in text.split() if word.startswith("@")}
        return [page["id"] for page in self.pages.values() if page["username"] in names]

    def tagged_posts(self, page_id: str) -> list[dict[str, Any]]:
        """The live posts that tag the Page, newest first, as its ``tagged`` edge gives them."""
        with self.lock:
            posts = [
                p
                for p in self.posts.values()
                if page_id in (p.get("tags") or ()) and not p["deleted"]
            ]
            rendered = []
            for post in sorted(posts, key=_newest_first):
                item = self.render_post(post)
                if post["author_id"] in self.users:
                    item.pop("from", None)  # only the post's author may read ``from``
                rendered.append(item)
            return rendered

    def edit_post(self, post_id: str, text: str):
        with self.lock:
            found = self._object(str(post_id))
            if found is None:
                raise _no_object(str(post_id))
            found["message"] = text
        if str(post_id) in self.comments:
            self.notify(found, "edited")
            return self.render_comment(found)
        return self.render_post(found)

    def delete_post(self, post_id: str) -> None:
        with self.lock:
            found = self._object(str(post_id))
            if found is None:
                raise _no_object(str(post_id))
            found["deleted"] = True
        if str(post_id) in self.comments:
            self.notify(found, "remove")

    def set_private(self, post_id: str, private: bool = True) -> None:
        """The Page hides a comment: only its author (and their friends) still see it."""
        with self.lock:
            comment = self.comments.get(str(post_id))
            if comment is None or comment["deleted"]:
                raise _no_object(str(post_id))
            comment["hidden"] = private
        self.notify(comment, "hide" if private else "unhide")

    def get_post(self, post_id: str) -> dict | None:
        with self.lock:
            found = self._object(str(post_id))
            if found is None:
                return None
            return (
                self.render_comment(found)
                if str(post_id) in self.comments
                else self.render_post(found)
            )

    def posts_by(self, account_id: str) -> list[dict[str, Any]]:
        with self.lock:
            posts = [
                p for p in self.posts.values() if p["page_id"] == account_id and not p["deleted"]
            ]
            return [self.render_post(p) for p in sorted(posts, key=_newest_first)]

    def comments_of(self, post_id: str) -> list[dict[str, Any]]:
        """Every live comment of a post, top level and replies, in chronological order."""
        return sorted(
            (c for c in self.comments.values() if c["post_id"] == post_id and not c["deleted"]),
            key=lambda c: (c["created_time"], int(c["id"].split("_")[-1])),
        )

    # --- rendering --------------------------------------------------------------------

    def permalink(self, object_id: str) -> str:
        return f"{self.base_url}/{object_id}"

    def render_post(self, post: dict[str, Any]) -> dict[str, Any]:
        author = self.pages.get(post["author_id"]) or self.users.get(post["author_id"]) or {}
        rendered = {
            "id": post["id"],
            "message": post["message"],
            "created_time": _time(post["created_time"]),
            "permalink_url": self.permalink(post["id"]),
            "from": {"id": post["author_id"], "name": author.get("name", "")},
        }
        if post["link"]:
            rendered["link"] = post["link"]
        return rendered

    def render_comment(self, comment: dict[str, Any]) -> dict[str, Any]:
        rendered = {
            "id": comment["id"],
            "message": comment["message"],
            "created_time": _time(comment["created_time"]),
            "from": {"id": comment["author_id"], "name": comment["author_name"]},
            "is_hidden": comment["hidden"],
            "permalink_url": self.permalink(comment["id"]),
        }
        if comment["parent_id"]:
            rendered["parent"] = {"id": comment["parent_id"]}
        return rendered

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "network": self.network,
                "accounts": [
                    {"id": p["id"], "handle": p["username"], "display_name": p["name"]}
                    for p in self.pages.values()
                ],
                "posts": [
                    self.render_post(p) | {"deleted": p["deleted"]} for p in self.posts.values()
                ]
                + [
                    self.render_comment(c) | {"deleted": c["deleted"]}
                    for c in self.comments.values()
                ],
                "webhook_url": self.webhook_url,
            }

    def post_summaries(self) -> list[dict[str, Any]]:
        with self.lock:
            rows = [
                {
                    "id": p["id"],
                    "author": (
                        self.pages.get(p["author_id"]) or self.users.get(p["author_id"]) or {}
                    ).get("name", ""),
                    "text": p["message"],
                    "created_at": _time(p["created_time"]),
                    "parent_id": "",
                    "deleted": p["deleted"],
                    "sort": p["created_time"],
                }
                for p in self.posts.values()
            ] + [
                {
                    "id": c["id"],
                    "author": c["author_name"],
                    "text": c["message"],
                    "created_at": _time(c["created_time"]),
                    "parent_id": c["parent_id"] or c["post_id"],
                    "deleted": c["deleted"] or c["hidden"],
                    "sort": c["created_time"],
                }
                for c in self.comments.values()
            ]
        rows.sort(key=lambda row: row.pop("sort"), reverse=True)
        return rows

    # --- webhooks ---------------------------------------------------------------------

    def notify(self, comment: dict[str, Any], verb: str) -> None:
        """POST the change to the subscribed callback, as Meta does, from another thread."""
        with self.lock:
            url = self.webhook_url
            post = self.posts.get(comment["post_id"])
        if not url or post is None or not post["page_id"]:
            return
        value: dict[str, Any] = {
            "from": {"id": comment["author_id"], "name": comment["author_name"]},
            "post": {
                "status_type": "mobile_status_update",
                "is_published": True,
                "updated_time": _time(datetime.now(UTC)),
                "permalink_url": self.permalink(post["id"]),
                "promotion_status": "inactive",
                "id": post["id"],
            },
            "post_id": post["id"],
            "comment_id": comment["id"],
            "created_time": int(comment["created_time"].timestamp()),
            "item": "comment",
            "parent_id": comment["parent_id"] or post["id"],
            "verb": verb,
        }
        if verb in ("add", "edited"):
            value["message"] = comment["message"]
        body = json.dumps(
            {
                "object": "page",
                "entry": [
                    {
                        "id": post["page_id"],
                        "time": int(time.time()),
                        "changes": [{"field": "feed", "value": value}],
                    }
                ],
            }
        ).encode("utf-8")
        threading.Thread(target=self.deliver, args=(url, body), daemon=True).start()

    def notify_mention(
        self,
        page_id: str,
        *,
        post_id: str,
        author: dict[str, Any],
        item: str,
        comment_id: str = "",
    ) -> None:
        """A Page ``mention`` change: the Page was tagged in a post or a comment."""
        with self.lock:
            url = self.webhook_url
        if not url:
            return
        value: dict[str, Any] = {
            "post_id": post_id,
            "sender_name": author["name"],
            "sender_id": author["id"],
            "item": item,
            "verb": "add",
        }
        if comment_id:
            value["comment_id"] = comment_id
        body = json.dumps(
            {
                "object": "page",
                "entry": [
                    {
                        "id": page_id,
                        "time": int(time.time()),
                        "changes": [{"field": "mention", "value": value}],
                    }
                ],
            }
        ).encode("utf-8")
        threading.Thread(target=self.deliver, args=(url, body), daemon=True).start()

    def signed_headers(self, body: bytes) -> dict[str, str]:
        key = self.app_secret.encode()
        return {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest(),
            "X-Hub-Signature": "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest(),
        }

    def deliver(self, url: str, body: bytes) -> int | str:
        request = urllib.request.Request(  # noqa: S310 - the sandbox calls the hub it was given
            url, data=body, headers=self.signed_headers(body), method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                outcome: int | str = answer.status
        except urllib.error.HTTPError as error:
            outcome = error.code
        except OSError as error:
            outcome = repr(error)
        with self.lock:
            self.webhook_log.append((outcome, body))
        return outcome

    def subscribe(self, url: str, verify_token: str) -> None:
        """Meta's callback check: the URL must echo ``hub.challenge`` for our verify token."""
        challenge = secrets.token_hex(8)
        query = urlencode(
            {"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": challenge}
        )
        separator = "&" if "?" in url else "?"
        try:
            with urllib.request.urlopen(f"{url}{separator}{query}", timeout=10) as answer:  # noqa: S310
                echoed = answer.read().decode("utf-8", "replace")
        except (OSError, urllib.error.HTTPError) as error:
            raise SandboxError(400, {"error": f"callback verification failed: {error}"}) from None
        if echoed != challenge:
            raise SandboxError(
                400, {"error": "callback verification failed: the challenge was not echoed"}
            )
        with self.lock:
            self.webhook_url = url


def _newest_first(item: dict[str, Any]) -> tuple:
    return (-item["created_time"].timestamp(), -int(item["id"].split("_")[-1]))


class FacebookApi(NetworkApi):
    network = "facebook"
    state_class = FacebookState
    state: FacebookState
    default_port = 8104
    rate_limit = 300

    @classmethod
    def demo_replies(cls, *, account: str, hashtag: str) -> list[DemoReply]:
        # Comments under the Page's post only (the hub collects no Page mentions or
        # hashtags on Facebook): full names, longer, personal, the odd shout and emoji.
        return [
            DemoReply(
                "reply",
                "margaret.hughes",
                "Margaret Hughes",
                "My grandson has asthma and walks to school along the main road every "
                "morning. Anything that cleans up the air on the school run has my support. "
                "Please put the school streets in first.",
            ),
            DemoReply(
                "reply",
                "dave.kershaw",
                "Dave Kershaw",
                "And who pays for this?? I drive for a living and cant afford a new van. "
                "A scrappage scheme for small traders or its just another tax on workers",
            ),
            DemoReply(
                "reply",
                "priya.sharma",
                "Priya Sharma",
                "Dave there is a grant for vans in the proposal, section 4. Worth a read 👍",
                answers=1,
            ),
            DemoReply(
                "reply",
                "tom.o.brien",
                "Tom O'Brien",
                "The buses through the estate are still the old diesels. Sort the buses out "
                "and people will use them. Ring me on 07700 900456 if you want a resident "
                "to talk to.",
            ),
            DemoReply(
                "reply",
                "sue.patel",
                "Sue Patel",
                "Cleaner air yes, but keep the charge off blue badge holders please 🙏",
            ),
            DemoReply(
                "reply",
                "jamie.lloyd",
                "Jamie Lloyd",
                "Cycle lanes that actually join up would get me out of the car. At the "
                "moment they stop right where the traffic is worst.",
            ),
        ]

    def routes(self):
        return [
            ("GET", f"{VERSION}/me", self.me),
            ("GET", f"{VERSION}/debug_token", self.debug_token),
            ("GET", f"{VERSION}/{OBJECT_ID}/(?:posts|feed|published_posts)", self.page_posts),
            ("POST", f"{VERSION}/{OBJECT_ID}/feed", self.create_post),
            ("GET", f"{VERSION}/{OBJECT_ID}/tagged", self.tagged),
            ("GET", f"{VERSION}/{OBJECT_ID}/comments", self.comments),
            ("POST", f"{VERSION}/{OBJECT_ID}/comments", self.create_comment),
            ("GET", f"{VERSION}/{OBJECT_ID}", self.get_object),
            ("DELETE", f"{VERSION}/{OBJECT_ID}", self.delete_object),
            ("GET", f"/{OBJECT_ID}", self.permalink_page),
            ("POST", r"/_sandbox/webhook", self.subscribe),
            ("DELETE", r"/_sandbox/webhook", self.unsubscribe),
        ]

    def rate_limit_headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        percent = math.ceil((limit - remaining) * 100 / max(limit, 1))
        # Meta gives the time to wait in whole minutes, and only once throttled.
        minutes = math.ceil(max(0.0, reset - time.time()) / 60) if remaining == 0 else 0
        usage = {"call_count": percent, "total_cputime": percent // 2, "total_time": percent // 2}
        return {
            "X-App-Usage": json.dumps(usage),
            "X-Business-Use-Case-Usage": json.dumps(
                {
                    self.state.app_id: [
                        {
                            "type": "pages",
                            **usage,
                            "estimated_time_to_regain_access": minutes,
                        }
                    ]
                }
            ),
        }

    def rate_limited(self, reset: float) -> Response:
        return Response(
            400,
            graph_error(
                400,
                "(#80001) There have been too many calls to this Page account. Wait a bit and "
                "try again. For more info, please refer to "
                "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
                code=80001,
            ).body,
        )

    def server_error(self) -> Response:
        error = graph_error(
            503,
            "An unexpected error has occurred. Please retry your request later.",
            code=2,
        )
        error.body["error"]["is_transient"] = True
        return Response(503, error.body)

    def not_found(self, req: Request) -> Response:
        error = graph_error(
            400, f"Unknown path components: {req.path}", code=2500, type_="OAuthException"
        )
        return Response(400, error.body)

    # --- helpers ------------------------------------------------------------------------

    def _page(self, req: Request) -> dict[str, Any]:
        return self.state.page_for_token(req)

    def _limit(self, req: Request) -> int:
        limit = req.int_arg("limit", DEFAULT_LIMIT)
        return max(1, min(limit, MAX_LIMIT))

    def _edge(self, req: Request, items: list[dict[str, Any]]) -> Response:
        """``{"data", "paging"}``: cursors around the page, ``next`` while more wait."""
        limit = self._limit(req)
        after = req.arg("after")
        start = _cursor_index(after) + 1 if after else 0
        page = items[start : start + limit]
        body: dict[str, Any] = {"data": page}
        if page:
            body["paging"] = {
                "cursors": {"before": _cursor(start), "after": _cursor(start + len(page) - 1)}
            }
            if start + len(page) < len(items):
                query = {k: v[0] for k, v in req.query.items() if k != "after"}
                query["after"] = _cursor(start + len(page) - 1)
                body["paging"]["next"] = f"{self.state.base_url}{req.path}?{urlencode(query)}"
        return Response(200, body)

    # --- Graph endpoints --------------------------------------------------------------

    def me(self, req: Request, match) -> Response:
        page = self._page(req)
        return Response(200, {"id": page["id"], "name": page["name"], "username": page["username"]})

    def debug_token(self, req: Request, match) -> Response:
        self._page(req)
        token = req.arg("input_token") or ""
        page = next((p for p in self.state.pages.values() if p["token"] == token), None)
        if page is None:
            return Response(
                200,
                {"data": {"is_valid": False, "error": {"code": 190, "message": "Invalid token"}}},
            )
        return Response(
            200,
            {
                "data": {
                    "app_id": self.state.app_id,
                    "type": "PAGE",
                    "application": "Consultation hub (sandbox)",
                    "data_access_expires_at": page["data_access_expires_at"],
                    # A Page token from a long-lived user token never expires itself.
                    "expires_at": 0,
                    "is_valid": True,
                    "profile_id": page["id"],
                    "scopes": [
                        "pages_manage_posts",
                        "pages_read_engagement",
                        "pages_manage_metadata",
                        "pages_read_user_content",
                    ],
                }
            },
        )

    def page_posts(self, req: Request, match) -> Response:
        page = self._page(req)
        if match["id"] != page["id"]:
            raise _no_object(match["id"])
        return self._edge(req, self.state.posts_by(page["id"]))

    def tagged(self, req: Request, match) -> Response:
        page = self._page(req)
        if match["id"] != page["id"]:
            raise _no_object(match["id"])
        return self._edge(req, self.state.tagged_posts(page["id"]))

    def create_post(self, req: Request, match) -> Response:
        page = self._page(req)
        if match["id"] != page["id"]:
            raise graph_error(
                403,
                "(#200) The user hasn't authorized the application to perform this action",
                code=200,
            )
        form = req.form()
        post = self.state.create_post(
            page, str(form.get("message") or ""), str(form.get("link") or "")
        )
        return Response(200, {"id": post["id"]})

    def comments(self, req: Request, match) -> Response:
        self._page(req)
        object_id = match["id"]
        with self.state.lock:
            target = self.state._object(object_id)
            if target is None:
                raise _no_object(object_id)
            if object_id in self.state.comments:
                items = [
                    c
                    for c in self.state.comments_of(target["post_id"])
                    if c["parent_id"] == object_id
                ]
            else:
                items = self.state.comments_of(object_id)
                # toplevel (the default): only comments on the post itself.
                if (req.arg("filter") or "toplevel") != "stream":
                    items = [c for c in items if not c["parent_id"]]
            if req.arg("order") == "reverse_chronological":
                items = list(reversed(items))
            rendered = [self.state.render_comment(c) for c in items]
        return self._edge(req, rendered)

    def create_comment(self, req: Request, match) -> Response:
        page = self._page(req)
        message = str(req.form().get("message") or "")
        comment = self.state.add_comment(match["id"], page, message, from_page=True)
        return Response(200, {"id": comment["id"]})

    def get_object(self, req: Request, match) -> Response:
        self._page(req)
        object_id = match["id"]
        with self.state.lock:
            if object_id in self.state.pages:
                page = self.state.pages[object_id]
                return Response(200, {"id": page["id"], "name": page["name"]})
            found = self.state.get_post(object_id)
        if found is None:
            raise _no_object(object_id)
        return Response(200, found)

    def delete_object(self, req: Request, match) -> Response:
        page = self._page(req)
        object_id = match["id"]
        with self.state.lock:
            found = self.state._object(object_id)
            if found is None:
                raise _no_object(object_id)
            owner = found.get("page_id") or self.state.posts.get(found.get("post_id", ""), {}).get(
                "page_id"
            )
            if owner != page["id"]:
                raise graph_error(
                    403,
                    "(#200) The user hasn't authorized the application to perform this action",
                    code=200,
                )
        self.state.delete_post(object_id)
        return Response(200, {"success": True})

    def permalink_page(self, req: Request, match) -> Response:
        return Response(302, b"", {"Location": f"/_sandbox/posts/{match['id']}"})

    # --- webhook subscription (App Dashboard → Webhooks → Page → feed) ---------------------

    def subscribe(self, req: Request, match) -> Response:
        data = req.json()
        url = str(data.get("url") or "")
        if not url.startswith(("http://", "https://")):
            raise SandboxError(400, {"error": "url must be an http(s) URL"})
        self.state.subscribe(url, str(data.get("verify_token") or self.state.verify_token))
        return Response(201, {"success": True, "url": url})

    def unsubscribe(self, req: Request, match) -> Response:
        with self.state.lock:
            self.state.webhook_url = ""
        return Response(204)
