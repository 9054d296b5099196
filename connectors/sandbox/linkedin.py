"""LinkedIn sandbox: the Community Management API subset the hub uses, under ``/rest/``.

Shapes follow LinkedIn's reference (learn.microsoft.com/linkedin/marketing/community-management):
``POST /rest/posts`` answers 201 with the new post's URN in ``x-restli-id``; a post's
``commentary`` is in the "little" text format (reserved characters ``\\ | { } @ [ ] ( ) < >
# * _ ~`` escaped with a backslash; an unescaped one that starts no hashtag or mention cuts
the text there, as LinkedIn does, silently); ``/rest/socialActions/{urn}/comments`` lists the
comments on a post, or the replies to a comment, with ``paging {start, count, total}``;
errors are ``{"status", "code", "message"}``. Every request must carry ``LinkedIn-Version:
YYYYMM`` (an active version) and ``X-Restli-Protocol-Version: 2.0.0``, and a Bearer token
of a member who administers the organisation. Calls are counted per application and per
member a day (UTC); past either count every call answers 429 until midnight UTC.

OAuth (learn.microsoft.com/linkedin/shared/authentication): an access token lives 60 days and
a programmatic refresh token a year from the member's consent; ``POST /oauth/v2/accessToken``
with ``grant_type=refresh_token``, the refresh token and the app's ``client_id`` and
``client_secret`` mints a new access token (the refresh token keeps its first expiry);
``POST /oauth/v2/introspectToken`` tells a token's ``expires_at``. OAuth errors are
``{"error", "error_description"}``. An expired access token answers 401 ``EXPIRED_ACCESS_TOKEN``.
Looking up another organisation gives its public fields only (the Organization Lookup API);
no member's name is given to an application.
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote, unquote

from .server import (
    DemoReply,
    NetworkApi,
    NetworkState,
    Request,
    Response,
    SandboxAccount,
    SandboxError,
)

MAX_COMMENTARY_LENGTH = 3_000
MAX_COUNT = 100
DEFAULT_COUNT = 10
# A monthly version is served from its month until the middle of the same month a year
# later (learn.microsoft.com/linkedin/marketing/integrations/migrations: 202510 sunset on
# 15 October 2026, 202603 on 16 March 2027); before or after, it answers 426.
SUNSET_DAY = 15
LITTLE_RESERVED = "\\|{}@[]()<>#*_~"
HASHTAG = re.compile(r"#(\w+)")
MENTION = re.compile(r"@\[([^\]\\]*)\]\((urn:li:[a-zA-Z]+:[^)]+)\)")
URN_PART = r"(?P<urn>[^/]+)"
ACCESS_TOKEN_SECONDS = 60 * 86_400
REFRESH_TOKEN_SECONDS = 365 * 86_400
SCOPES = "r_organization_social,rw_organization_admin,w_organization_social"
COMMENT_URN = re.compile(r"^urn:li:comment:\((?P<post>urn:li:[A-Za-z]+:[^,]+),(?P<id>\d+)\)$")


def version_active(version: str, today: date) -> bool:
    """Whether LinkedIn serves the ``LinkedIn-Version`` ``version`` (YYYYMM, or YYYYMM.NN) today."""
    if not re.fullmatch(r"\d{6}(?:\.\d{2})?", version):
        return False
    year, month = int(version[:4]), int(version[4:6])
    if not 1 <= month <= 12:
        return False
    return (year, month) <= (today.year, today.month) and today < date(year + 1, month, SUNSET_DAY)


def linkedin_error(status: int, code: str, message: str) -> SandboxError:
    return SandboxError(status, {"status": status, "code": code, "message": message})


def oauth_error(
    status: int, error: str, description: str, *, www_authenticate: bool = False
) -> SandboxError:
    headers = {"WWW-Authenticate": 'Bearer realm="LinkedIn"'} if www_authenticate else {}
    return SandboxError(status, {"error": error, "error_description": description}, headers)


def little_text_shown(commentary: str) -> str:
    """What LinkedIn shows of a little text: escapes undone, hashtags and mentions as
    written (a mention as its name), and the rest cut at the first stray reserved character."""
    shown: list[str] = []
    index = 0
    while index < len(commentary):
        char = commentary[index]
        if char == "\\" and index + 1 < len(commentary):
            shown.append(commentary[index + 1])
            index += 2
            continue
        if char == "#" and (tag := HASHTAG.match(commentary, index)):
            shown.append(tag.group(0))
            index = tag.end()
            continue
        if char == "@" and (mention := MENTION.match(commentary, index)):
            shown.append(mention.group(1))
            index = mention.end()
            continue
        if char in LITTLE_RESERVED:
            break  # LinkedIn accepts the post and cuts its text here
        shown.append(char)
        index += 1
    return "".join(shown)


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


class LinkedInState(NetworkState):
    network = "linkedin"
    # LinkedIn lets a member edit their comment (the API shows lastModified).
    can_edit_posts = True

    def __init__(self) -> None:
        super().__init__()
        self.organizations: dict[str, dict[str, Any]] = {}
        self.members: dict[str, dict[str, Any]] = {}
        self.posts: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, dict[str, Any]] = {}
        #: Calls a day (UTC) for the application, and for each member's token.
        self.application_day_limit = 1_000_000
        self.member_day_limit = 100_000
        self.calls: dict[tuple[str, str], int] = {}
        #: The LinkedIn-Version header of every API request, for tests.
        self.versions_seen: list[str] = []
        #: The one LinkedIn app the hub is; its tokens, each {"organization", "expires_at"}.
        self.client_id = "77" + secrets.token_hex(6)
        self.client_secret = secrets.token_urlsafe(16)
        self.access_tokens: dict[str, dict[str, Any]] = {}
        self.refresh_tokens: dict[str, dict[str, Any]] = {}
        #: Likes (reactions) on each post or comment URN: actor URN → reaction type.
        self.likes: dict[str, dict[str, str]] = {}
        self._sequence = 0

    def _next(self) -> str:
        self._sequence += 1
        return str(7_000_000_000_000_000_000 + self._sequence * 1_000 + secrets.randbelow(1_000))

    # --- accounts ---------------------------------------------------------------------------

    def create_account(self, *, handle: str, display_name=None, password=None) -> SandboxAccount:
        with self.lock:
            if any(org["vanity"] == handle for org in self.organizations.values()):
                raise SandboxError(409, {"error": f"organisation {handle} already exists"})
            org_id = str(10_000_000 + len(self.organizations) + 1 + secrets.randbelow(10**6))
            admin = self.member(f"{handle}-admin", f"Administrator of {handle}")
            organization = {
                "id": org_id,
                "vanity": handle,
                "name": display_name or handle,
                "admin": admin["urn"],
            }
            self.organizations[org_id] = organization
            access_token = self._mint_access_token(org_id)
            refresh_token = "AQX" + secrets.token_urlsafe(48)
            self.refresh_tokens[refresh_token] = {
                "organization": org_id,
                "expires_at": int(time.time()) + REFRESH_TOKEN_SECONDS,
            }
            return SandboxAccount(
                id=org_id,
                handle=handle,
                display_name=str(organization["name"]),
                credentials={
                    "access_token": access_token,
                    "refresh_token": refresh_token,
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "organization": org_id,
                },
            )

    def _mint_access_token(self, org_id: str) -> str:
        token = "AQV" + secrets.token_urlsafe(48)
        now = int(time.time())
        self.access_tokens[token] = {
            "organization": org_id,
            "created_at": now,
            "expires_at": now + ACCESS_TOKEN_SECONDS,
        }
        return token

    def expire_access_token(self, token: str, *, in_seconds: int = 0) -> None:
        """Time passes for one access token: it runs out ``in_seconds`` from now."""
        with self.lock:
            self.access_tokens[token]["expires_at"] = int(time.time()) + in_seconds

    def refresh_access_token(self, form: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self._check_client(form)
            if form.get("grant_type") != "refresh_token":
                raise oauth_error(400, "unsupported_grant_type", "grant_type is not supported")
            refresh_token = str(form.get("refresh_token") or "")
            grant = self.refresh_tokens.get(refresh_token)
            if grant is None or grant["expires_at"] <= time.time():
                raise oauth_error(400, "invalid_grant", "The token used in the request has expired")
            token = self._mint_access_token(grant["organization"])
            return {
                "access_token": token,
                "expires_in": ACCESS_TOKEN_SECONDS,
                "refresh_token": refresh_token,
                # The refresh token's life runs from the member's consent, not from now.
                "refresh_token_expires_in": int(grant["expires_at"] - time.time()),
                "scope": SCOPES,
            }

    def introspect(self, form: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self._check_client(form)
            found = self.access_tokens.get(str(form.get("token") or ""))
            if found is None or found["expires_at"] <= time.time():
                return {"active": False}
            return {
                "active": True,
                "client_id": self.client_id,
                "authorized_at": found["created_at"],
                "created_at": found["created_at"],
                "status": "active",
                "expires_at": found["expires_at"],
                "auth_type": "3L",
                "scope": SCOPES,
            }

    def _check_client(self, form: dict[str, Any]) -> None:
        if form.get("client_id") != self.client_id or form.get("client_secret") != (
            self.client_secret
        ):
            raise oauth_error(
                401, "invalid_client", "Client authentication failed", www_authenticate=True
            )

    def member(self, handle: str, display_name: str | None = None) -> dict[str, Any]:
        for member in self.members.values():
            if member["handle"] == handle:
                return member
        member_id = secrets.token_urlsafe(7).replace("-", "A").replace("_", "b")
        member = {
            "id": member_id,
            "urn": f"urn:li:person:{member_id}",
            "handle": handle,
            "name": display_name or handle,
        }
        self.members[member["urn"]] = member
        return member

    def organization_for(self, req: Request) -> dict[str, Any]:
        token = req.bearer_token() or ""
        with self.lock:
            grant = self.access_tokens.get(token)
            found = self.organizations.get(grant["organization"]) if grant else None
        if found is None or grant is None:
            raise linkedin_error(401, "INVALID_ACCESS_TOKEN", "Invalid access token")
        if grant["expires_at"] <= time.time():
            raise linkedin_error(
                401, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired"
            )
        return found

    def count_call(self, organization: dict[str, Any]) -> None:
        """LinkedIn's daily counts: the application's and the member's, reset at midnight UTC."""
        day = _today()
        with self.lock:
            application = self.calls.get((day, "application"), 0)
            member = self.calls.get((day, organization["admin"]), 0)
            if application >= self.application_day_limit:
                raise linkedin_error(
                    429,
                    "TOO_MANY_REQUESTS",
                    "Resource level throttle APPLICATION DAY limit for calls to this resource "
                    "is reached.",
                )
            if member >= self.member_day_limit:
                raise linkedin_error(
                    429,
                    "TOO_MANY_REQUESTS",
                    "Resource level throttle MEMBER DAY limit for calls to this resource "
                    "is reached.",
                )
            self.calls[(day, "application")] = application + 1
            self.calls[(day, organization["admin"])] = member + 1

    # --- posts and comments -------------------------------------------------------------------

    def create_post(self, author_urn: str, commentary: str) -> dict[str, Any]:
        shown = little_text_shown(commentary)
        if not shown.strip():
            raise linkedin_error(
                422, "UNPROCESSABLE_ENTITY", "ERROR :: /commentary :: the text is empty"
            )
        if len(shown) > MAX_COMMENTARY_LENGTH:
            raise linkedin_error(
                422,
                "UNPROCESSABLE_ENTITY",
                f"ERROR :: /commentary :: text too long: {len(shown):,} characters, "
                f"the limit is {MAX_COMMENTARY_LENGTH:,}",
            )
        with self.lock:
            duplicate = next(
                (
                    p
                    for p in self.posts.values()
                    if p["author"] == author_urn
                    and not p["deleted"]
                    and p["commentary"] == commentary
                ),
                None,
            )
            if duplicate is not None:
                raise linkedin_error(
                    422, "DUPLICATE_POST", f"Content is a duplicate of {duplicate['urn']}"
                )
            now = datetime.now(UTC)
            post: dict[str, Any] = {
                "urn": f"urn:li:share:{self._next()}",
                "author": author_urn,
                "commentary": commentary,
                "created": now,
                "modified": now,
                "deleted": False,
            }
            self.posts[post["urn"]] = post
            return post

    def _live_post(self, urn: str) -> dict[str, Any] | None:
        found = self.posts.get(urn)
        return None if found is None or found["deleted"] else found

    def _live_comment(self, urn: str) -> dict[str, Any] | None:
        found = self.comments.get(urn)
        return None if found is None or found["deleted"] else found

    def add_comment(self, target_urn: str, actor_urn: str, text: str) -> dict[str, Any]:
        if not text.strip():
            raise linkedin_error(422, "UNPROCESSABLE_ENTITY", "ERROR :: /message/text :: empty")
        with self.lock:
            parent = self._live_comment(target_urn)
            if parent is not None:
                post_urn = parent["post"]
                # LinkedIn keeps two levels: a reply to a reply joins its top-level comment.
                top = parent["parent"] or parent["urn"]
            elif self._live_post(target_urn) is not None:
                post_urn, top = target_urn, ""
            else:
                raise linkedin_error(404, "NOT_FOUND", f"Not found: {target_urn}")
            comment_id = self._next()
            now = datetime.now(UTC)
            comment = {
                "urn": f"urn:li:comment:({post_urn},{comment_id})",
                "id": comment_id,
                "post": post_urn,
                "parent": top,
                "actor": actor_urn,
                "text": text,
                "created": now,
                "modified": now,
                "deleted": False,
            }
            self.comments[comment["urn"]] = comment
            return comment

    def citizen_reply(self, parent_id: str, *, handle: str, text: str, display_name=None):
        with self.lock:
            member = self.member(handle, display_name)
        return self.render_for_control(self.add_comment(str(parent_id), member["urn"], text))

    def like(self, target_urn: str, *, handle: str, reaction: str = "LIKE") -> None:
        """A member likes (reacts to) a post or a comment: one each, a new one replaces it."""
        with self.lock:
            if self._live_post(target_urn) is None and self._live_comment(target_urn) is None:
                raise linkedin_error(404, "NOT_FOUND", f"Not found: {target_urn}")
            member = self.member(handle)
            self.likes.setdefault(target_urn, {})[member["urn"]] = reaction

    def social_actions(self, target_urn: str) -> dict[str, Any]:
        """``GET /rest/socialActions/{urn}``: the target's likes and comments summaries
        (``totalFirstLevelComments`` its own comments, ``aggregatedTotalComments`` with
        their replies)."""
        with self.lock:
            first_level = self.comments_on(target_urn)
            replies = [
                c
                for top in first_level
                for c in self.comments_on(top["urn"])
                if target_urn in self.posts
            ]
            likes = self.likes.get(target_urn) or {}
            return {
                "$URN": f"urn:li:socialActions:{target_urn}",
                "target": target_urn,
                "likesSummary": {
                    "selectedLikes": [f"urn:li:like:({actor},{target_urn})" for actor in likes][
                        :10
                    ],
                    "aggregatedTotalLikes": len(likes),
                    "likedByCurrentUser": False,
                    "totalLikes": len(likes),
                },
                "commentsSummary": {
                    "selectedComments": [c["urn"] for c in first_level][:10],
                    "aggregatedTotalComments": len(first_level) + len(replies),
                    "totalFirstLevelComments": len(first_level),
                    "commentsState": "OPEN",
                },
            }

    def citizen_post(self, *, handle: str, text: str, display_name=None):
        """A member's own post: not the organisation's, so never the hub's to read."""
        with self.lock:
            member = self.member(handle, display_name)
        post = self.create_post(
            member["urn"], "".join(f"\\{c}" if c in LITTLE_RESERVED else c for c in text)
        )
        return self.render_for_control(post)

    def edit_post(self, post_id: str, text: str):
        with self.lock:
            comment = self._live_comment(str(post_id))
            if comment is not None:
                comment["text"] = text
                comment["modified"] = datetime.now(UTC)
                return self.render_for_control(comment)
            post = self._live_post(str(post_id))
            if post is None:
                raise linkedin_error(404, "NOT_FOUND", f"Not found: {post_id}")
            post["commentary"] = text
            post["modified"] = datetime.now(UTC)
            return self.render_for_control(post)

    def delete_post(self, post_id: str) -> None:
        with self.lock:
            found = self._live_comment(str(post_id)) or self._live_post(str(post_id))
            if found is None:
                raise linkedin_error(404, "NOT_FOUND", f"Not found: {post_id}")
            found["deleted"] = True

    def get_post(self, post_id: str) -> dict | None:
        with self.lock:
            found = self._live_comment(str(post_id)) or self._live_post(str(post_id))
            return None if found is None else self.render_for_control(found)

    def posts_by(self, account_id: str) -> list[dict[str, Any]]:
        author = f"urn:li:organization:{account_id}"
        with self.lock:
            posts = [p for p in self.posts.values() if p["author"] == author and not p["deleted"]]
            posts.sort(key=lambda p: (p["created"], p["urn"]), reverse=True)
            return [self.render_post(p) for p in posts]

    def comments_on(self, target_urn: str) -> list[dict[str, Any]]:
        """Live comments on a post (top level) or replies to a comment, oldest first."""
        with self.lock:
            if target_urn in self.comments:
                items = [c for c in self.comments.values() if c["parent"] == target_urn]
            else:
                items = [
                    c for c in self.comments.values() if c["post"] == target_urn and not c["parent"]
                ]
            return sorted(
                (c for c in items if not c["deleted"]), key=lambda c: (c["created"], c["id"])
            )

    # --- rendering ----------------------------------------------------------------------------

    def render_post(self, post: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": post["urn"],
            "author": post["author"],
            "commentary": post["commentary"],
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "lifecycleStateInfo": {"isEditedByAuthor": post["modified"] > post["created"]},
            "isReshareDisabledByAuthor": False,
            "createdAt": _millis(post["created"]),
            "publishedAt": _millis(post["created"]),
            "lastModifiedAt": _millis(post["modified"]),
        }

    def render_comment(self, comment: dict[str, Any]) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "id": comment["id"],
            "commentUrn": comment["urn"],
            "$URN": comment["urn"],
            "object": comment["post"],
            "actor": comment["actor"],
            "message": {"text": comment["text"], "attributes": []},
            "created": {"actor": comment["actor"], "time": _millis(comment["created"])},
            "lastModified": {"actor": comment["actor"], "time": _millis(comment["modified"])},
        }
        if comment["parent"]:
            rendered["parentComment"] = comment["parent"]
        else:
            rendered["commentsSummary"] = {
                "aggregatedTotalComments": len(self.comments_on(comment["urn"])),
                "selectedComments": [],
            }
        return rendered

    def render_for_control(self, item: dict[str, Any]) -> dict[str, Any]:
        """The control API's view: ``id`` is the URN the hub knows the item by."""
        if item["urn"] in self.comments:
            return {**self.render_comment(item), "id": item["urn"], "text": item["text"]}
        return {**self.render_post(item), "text": little_text_shown(item["commentary"])}

    def _author_name(self, urn: str) -> str:
        if urn.startswith("urn:li:organization:"):
            return str(self.organizations.get(urn.rpartition(":")[2], {}).get("name", ""))
        return str(self.members.get(urn, {}).get("name", ""))

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "network": self.network,
                "accounts": [
                    {"id": o["id"], "handle": o["vanity"], "display_name": o["name"]}
                    for o in self.organizations.values()
                ],
                "posts": [
                    self.render_post(p) | {"deleted": p["deleted"]} for p in self.posts.values()
                ]
                + [
                    self.render_comment(c) | {"deleted": c["deleted"]}
                    for c in self.comments.values()
                ],
            }

    def post_summaries(self) -> list[dict[str, Any]]:
        with self.lock:
            rows = [
                {
                    "id": p["urn"],
                    "author": self._author_name(p["author"]),
                    "text": little_text_shown(p["commentary"]),
                    "created_at": p["created"].isoformat(),
                    "parent_id": "",
                    "deleted": p["deleted"],
                    "sort": p["created"],
                }
                for p in self.posts.values()
            ] + [
                {
                    "id": c["urn"],
                    "author": self._author_name(c["actor"]),
                    "text": c["text"],
                    "created_at": c["created"].isoformat(),
                    "parent_id": c["parent"] or c["post"],
                    "deleted": c["deleted"],
                    "sort": c["created"],
                }
                for c in self.comments.values()
            ]
        rows.sort(key=lambda row: row.pop("sort"), reverse=True)
        return rows


class LinkedInApi(NetworkApi):
    network = "linkedin"
    state_class = LinkedInState
    state: LinkedInState
    default_port = 8106
    rate_limit = 300

    @classmethod
    def demo_replies(cls, *, account: str, hashtag: str) -> list[DemoReply]:
        # Comments under the organisation's post (the hub reads no member posts on LinkedIn):
        # full names, professional, on behalf of a business or a body more often than not.
        return [
            DemoReply(
                "reply",
                "helen-ward-logistics",
                "Helen Ward",
                "As operations director of a 40-van delivery firm, we support the clean air "
                "zone in principle. A 12-month lead-in and a retrofit grant for small "
                "businesses would let us plan fleet renewal properly.",
            ),
            DemoReply(
                "reply",
                "arjun-mehta-transport",
                "Arjun Mehta",
                "Bus priority on the radial routes is what makes the zone work. Our "
                "modelling for the combined authority shows journey times falling 8% "
                "with signal priority. Happy to share the data.",
            ),
            DemoReply(
                "reply",
                "claire-osullivan",
                "Claire O'Sullivan",
                "Helen, the consultation document sets out a van scrappage scheme in "
                "section 4, worth factoring into your fleet plan.",
                answers=0,
            ),
            DemoReply(
                "reply",
                "sam-okafor-headteacher",
                "Sam Okafor",
                "Speaking as a headteacher: the school streets pilot outside our gates cut "
                "drop-off traffic noticeably. We would welcome it made permanent. Parents "
                "can reach me on 07700 900789 to share their experience.",
            ),
            DemoReply(
                "reply",
                "ruth-bennett-chamber",
                "Ruth Bennett",
                "On behalf of the chamber of commerce: our members on the high street want "
                "clean air, but loading bays and delivery windows need to be part of the "
                "design from day one.",
            ),
            DemoReply(
                "reply",
                "tom-hale-cycling",
                "Tom Hale",
                "Protected cycling infrastructure linking the business park to the station "
                "would take hundreds of commuter cars off the road. Employers here are ready "
                "to fund secure bike parking.",
            ),
        ]

    def routes(self):
        return [
            ("POST", r"/oauth/v2/accessToken", self.access_token),
            ("POST", r"/oauth/v2/introspectToken", self.introspect_token),
            ("GET", r"/rest/organizations/(?P<id>\d+)", self.organization),
            ("POST", r"/rest/posts", self.create_post),
            ("GET", r"/rest/posts", self.find_posts),
            ("GET", rf"/rest/posts/{URN_PART}", self.get_post),
            ("DELETE", rf"/rest/posts/{URN_PART}", self.delete_post),
            ("GET", rf"/rest/socialActions/{URN_PART}", self.social_actions),
            ("GET", rf"/rest/socialActions/{URN_PART}/comments", self.comments),
            ("POST", rf"/rest/socialActions/{URN_PART}/comments", self.create_comment),
            ("GET", rf"/rest/socialActions/{URN_PART}/comments/(?P<id>\d+)", self.comment),
            (
                "DELETE",
                rf"/rest/socialActions/{URN_PART}/comments/(?P<id>\d+)",
                self.delete_comment,
            ),
            ("GET", rf"/feed/update/{URN_PART}", self.permalink_page),
        ]

    def rate_limit_headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        return {}  # LinkedIn sends no rate-limit headers: a 429 is the only word

    def rate_limited(self, reset: float) -> Response:
        # An injected fault stands for LinkedIn's infrastructure protection, which passes by
        # itself; the daily counts (``LinkedInState.count_call``) give the DAY limits.
        return Response(
            429,
            {
                "status": 429,
                "code": "TOO_MANY_REQUESTS",
                "message": "Too many requests: throttled for infrastructure protection.",
            },
        )

    def server_error(self) -> Response:
        return Response(
            503,
            {"status": 503, "code": "SERVICE_UNAVAILABLE", "message": "Service unavailable"},
        )

    def not_found(self, req: Request) -> Response:
        return Response(
            404,
            {"status": 404, "code": "RESOURCE_NOT_FOUND", "message": "No virtual resource found"},
        )

    # --- helpers ------------------------------------------------------------------------------

    def _organization(self, req: Request) -> dict[str, Any]:
        """The headers every versioned call needs, the token, and the day's counts."""
        version = req.headers.get("linkedin-version", "")
        with self.state.lock:
            self.state.versions_seen.append(version)
        if not version:
            raise linkedin_error(
                400,
                "VERSION_MISSING",
                "A version must be present. Please specify a version by adding the "
                "LinkedIn-Version header.",
            )
        if not version_active(version, datetime.now(UTC).date()):
            raise linkedin_error(
                426, "NONEXISTENT_VERSION", f"Requested version {version} is not active"
            )
        if req.headers.get("x-restli-protocol-version") != "2.0.0":
            raise linkedin_error(
                400, "ILLEGAL_ARGUMENT", "Rest.li protocol version 2.0.0 is required"
            )
        organization = self.state.organization_for(req)
        self.state.count_call(organization)
        return organization

    @staticmethod
    def _urn(match) -> str:
        return unquote(match["urn"])

    def _paged(self, req: Request, items: list[dict[str, Any]]) -> Response:
        start = max(0, req.int_arg("start", 0))
        count = req.int_arg("count", DEFAULT_COUNT)
        if not 0 < count <= MAX_COUNT:
            raise linkedin_error(
                400, "ILLEGAL_ARGUMENT", f"count must be between 1 and {MAX_COUNT}"
            )
        page = items[start : start + count]
        links = []
        if start + len(page) < len(items):
            links.append(
                {
                    "rel": "next",
                    "type": "application/json",
                    "href": f"{req.path}?start={start + count}&count={count}",
                }
            )
        return Response(
            200,
            {
                "elements": page,
                "paging": {"start": start, "count": count, "total": len(items), "links": links},
            },
        )

    # --- API endpoints ------------------------------------------------------------------------

    def organization(self, req: Request, match) -> Response:
        organization = self._organization(req)
        if match["id"] != organization["id"]:
            # The Organization Lookup API: another organisation's public fields only.
            with self.state.lock:
                other = self.state.organizations.get(match["id"])
            if other is None:
                raise linkedin_error(404, "NOT_FOUND", f"Organization {match['id']} not found")
            return Response(
                200,
                {
                    "id": int(other["id"]),
                    "localizedName": other["name"],
                    "vanityName": other["vanity"],
                },
            )
        return Response(
            200,
            {
                "id": int(organization["id"]),
                "localizedName": organization["name"],
                "vanityName": organization["vanity"],
            },
        )

    def access_token(self, req: Request, match) -> Response:
        return Response(200, self.state.refresh_access_token(req.form()))

    def introspect_token(self, req: Request, match) -> Response:
        return Response(200, self.state.introspect(req.form()))

    def create_post(self, req: Request, match) -> Response:
        organization = self._organization(req)
        body = req.json()
        missing = [
            name
            for name in ("author", "commentary", "visibility", "distribution", "lifecycleState")
            if name not in body
        ]
        if missing:
            raise linkedin_error(
                422,
                "UNPROCESSABLE_ENTITY",
                "\n".join(
                    f"ERROR :: /{name} :: field is required but not found and has no default value"
                    for name in missing
                ),
            )
        if body["author"] != f"urn:li:organization:{organization['id']}":
            raise linkedin_error(
                403, "ACCESS_DENIED", "Not enough permissions to post as this author"
            )
        if body["lifecycleState"] != "PUBLISHED" or body["visibility"] not in (
            "PUBLIC",
            "CONNECTIONS",
            "LOGGED_IN",
        ):
            raise linkedin_error(
                422, "UNPROCESSABLE_ENTITY", "ERROR :: /lifecycleState :: unsupported value"
            )
        post = self.state.create_post(body["author"], str(body["commentary"]))
        return Response(201, b"", {"x-restli-id": post["urn"]})

    def find_posts(self, req: Request, match) -> Response:
        organization = self._organization(req)
        if req.arg("q") != "author":
            raise linkedin_error(400, "ILLEGAL_ARGUMENT", "q=author is the supported finder")
        author = req.arg("author") or ""
        if author != f"urn:li:organization:{organization['id']}":
            raise linkedin_error(403, "ACCESS_DENIED", "Not enough permissions for this author")
        return self._paged(req, self.state.posts_by(organization["id"]))

    def get_post(self, req: Request, match) -> Response:
        self._organization(req)
        with self.state.lock:
            post = self.state._live_post(self._urn(match))
            if post is None:
                raise linkedin_error(404, "NOT_FOUND", f"Not found: {self._urn(match)}")
            return Response(200, self.state.render_post(post))

    def delete_post(self, req: Request, match) -> Response:
        organization = self._organization(req)
        urn = self._urn(match)
        with self.state.lock:
            post = self.state._live_post(urn)
            if post is None:
                raise linkedin_error(404, "NOT_FOUND", f"Not found: {urn}")
            if post["author"] != f"urn:li:organization:{organization['id']}":
                raise linkedin_error(403, "ACCESS_DENIED", "Not enough permissions to delete")
        self.state.delete_post(urn)
        return Response(204)

    def social_actions(self, req: Request, match) -> Response:
        self._organization(req)
        urn = self._urn(match)
        with self.state.lock:
            if self.state._live_post(urn) is None and self.state._live_comment(urn) is None:
                raise linkedin_error(404, "NOT_FOUND", f"Not found: {urn}")
        return Response(200, self.state.social_actions(urn))

    def comments(self, req: Request, match) -> Response:
        self._organization(req)
        urn = self._urn(match)
        with self.state.lock:
            if self.state._live_post(urn) is None and self.state._live_comment(urn) is None:
                raise linkedin_error(404, "NOT_FOUND", f"Not found: {urn}")
            rendered = [self.state.render_comment(c) for c in self.state.comments_on(urn)]
        return self._paged(req, rendered)

    def create_comment(self, req: Request, match) -> Response:
        organization = self._organization(req)
        body = req.json()
        text = str((body.get("message") or {}).get("text") or "")
        if body.get("actor") != f"urn:li:organization:{organization['id']}":
            raise linkedin_error(403, "ACCESS_DENIED", "Not enough permissions for this actor")
        comment = self.state.add_comment(self._urn(match), body["actor"], text)
        with self.state.lock:
            rendered = self.state.render_comment(comment)
        return Response(201, rendered, {"x-restli-id": comment["id"]})

    def _comment_of(self, match) -> dict[str, Any]:
        target = self._urn(match)
        with self.state.lock:
            post_urn = target
            found_target = self.state.comments.get(target)
            if found_target is not None:
                post_urn = found_target["post"]
            comment = self.state._live_comment(f"urn:li:comment:({post_urn},{match['id']})")
        if comment is None:
            raise linkedin_error(404, "NOT_FOUND", f"Not found: comment {match['id']}")
        return comment

    def comment(self, req: Request, match) -> Response:
        self._organization(req)
        comment = self._comment_of(match)
        with self.state.lock:
            return Response(200, self.state.render_comment(comment))

    def delete_comment(self, req: Request, match) -> Response:
        organization = self._organization(req)
        comment = self._comment_of(match)
        if req.arg("actor") != f"urn:li:organization:{organization['id']}" or comment[
            "actor"
        ] != req.arg("actor"):
            raise linkedin_error(403, "ACCESS_DENIED", "Not enough permissions to delete")
        self.state.delete_post(comment["urn"])
        return Response(204)

    def permalink_page(self, req: Request, match) -> Response:
        return Response(
            302, b"", {"Location": f"/_sandbox/posts/{quote(self._urn(match), safe='')}"}
        )
