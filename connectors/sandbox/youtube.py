"""YouTube sandbox: the Data API v3 subset the hub uses, under ``/youtube/v3/``, and Google's
OAuth token endpoint at ``/token``.

Shapes follow Google's reference (developers.google.com/youtube/v3/docs): ``commentThread``
and ``comment`` resources (``kind``, ``etag``, ``id``, ``snippet``), list answers with
``nextPageToken`` and ``pageInfo``, ``textOriginal`` only for the comment's own author and
``textDisplay`` (plain or HTML, after ``textFormat``) for everyone, a thread's ``replies``
carrying only some of its replies (``totalReplyCount`` says how many there are), and errors
as ``{"error": {"code", "message", "errors": [{"message", "domain", "reason"}]}}``.

The project has a daily quota in units, like Google's (``quota_units``, 10,000): a list costs
1, an insert or a delete 50; past it every call answers 403 ``quotaExceeded``. Requests carry
a Bearer access token got from ``/token`` with the channel owner's refresh token.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import string
from datetime import UTC, datetime, timedelta
from typing import Any

from .server import (
    DemoReply,
    NetworkApi,
    NetworkState,
    Request,
    Response,
    SandboxAccount,
    SandboxError,
)

MAX_COMMENT_LENGTH = 10_000
MAX_RESULTS = 100
DEFAULT_RESULTS = 20
CARRIED_REPLIES = 5
LIST_COST = 1
WRITE_COST = 50
DEFAULT_QUOTA = 10_000
PREFIX = "/youtube/v3"
ID_ALPHABET = string.ascii_letters + string.digits + "-_"


def google_error(status: int, reason: str, message: str, *, domain: str = "youtube.api"):
    return SandboxError(
        status,
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"message": message, "domain": domain, "reason": reason}],
            }
        },
    )


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _etag(value: Any) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(repr(value).encode()).digest()[:20]).decode()


def _page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _page_offset(token: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        kind, _, number = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        if kind != "offset":
            raise ValueError(kind)
        return int(number)
    except (ValueError, UnicodeDecodeError):
        raise google_error(
            400, "invalidPageToken", "The request specifies an invalid page token."
        ) from None


class YouTubeState(NetworkState):
    network = "youtube"
    # A comment can be edited by its author (`updatedAt` moves on).
    can_edit_posts = True

    def __init__(self) -> None:
        super().__init__()
        self.client_id = f"{secrets.randbelow(10**12)}-sandbox.apps.googleusercontent.com"
        self.client_secret = "GOCSPX-" + secrets.token_urlsafe(20)
        self.channels: dict[str, dict[str, Any]] = {}
        self.videos: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, dict[str, Any]] = {}
        self.access_tokens: dict[str, str] = {}  # token → channel id
        #: The daily quota in units and what each channel spent of it (Google counts it per
        #: Cloud project; each sandbox channel stands for its department's own project).
        self.quota_units = DEFAULT_QUOTA
        self.quota_used: dict[str, int] = {}
        self._sequence = 0

    def _id(self, length: int, prefix: str = "") -> str:
        self._sequence += 1
        return prefix + "".join(secrets.choice(ID_ALPHABET) for _ in range(length))

    # --- accounts ------------------------------------------------------------------------

    def _channel(self, handle: str, display_name: str | None = None) -> dict[str, Any]:
        channel = {
            "id": self._id(22, "UC"),
            "handle": handle,
            "title": display_name or handle,
            "refresh_token": "1//" + secrets.token_urlsafe(40),
        }
        self.channels[channel["id"]] = channel
        return channel

    def _video(self, channel: dict[str, Any], title: str) -> dict[str, Any]:
        video = {
            "id": self._id(11),
            "channel_id": channel["id"],
            "title": title,
            "published": datetime.now(UTC),
        }
        self.videos[video["id"]] = video
        return video

    def upload_video(self, channel_id: str, title: str) -> str:
        """The channel uploads another video (a consultation may name it); its id."""
        with self.lock:
            return str(self._video(self.channels[channel_id], title)["id"])

    def create_account(self, *, handle: str, display_name=None, password=None) -> SandboxAccount:
        with self.lock:
            if any(c["handle"] == handle for c in self.channels.values()):
                raise SandboxError(409, {"error": f"channel @{handle} already exists"})
            channel = self._channel(handle, display_name)
            video = self._video(channel, f"{channel['title']}: have your say")
            return SandboxAccount(
                id=channel["id"],
                handle=handle,
                display_name=str(channel["title"]),
                credentials={
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "refresh_token": str(channel["refresh_token"]),
                    "video": video["id"],
                },
            )

    def citizen(self, handle: str, display_name: str | None = None) -> dict[str, Any]:
        for channel in self.channels.values():
            if channel["handle"] == handle:
                return channel
        return self._channel(handle, display_name)

    # --- OAuth and quota -------------------------------------------------------------------

    def token_for(self, form: dict[str, Any]) -> dict[str, Any]:
        if form.get("grant_type") != "refresh_token":
            raise SandboxError(400, {"error": "unsupported_grant_type"})
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            raise SandboxError(
                401,
                {"error": "invalid_client", "error_description": "The OAuth client was not found."},
            )
        with self.lock:
            channel = next(
                (
                    c
                    for c in self.channels.values()
                    if c["refresh_token"] == form.get("refresh_token")
                ),
                None,
            )
            if channel is None:
                raise SandboxError(
                    400,
                    {
                        "error": "invalid_grant",
                        "error_description": "Token has been expired or revoked.",
                    },
                )
            token = "ya29." + secrets.token_urlsafe(40)
            self.access_tokens[token] = channel["id"]
        return {
            "access_token": token,
            "expires_in": 3599,
            "scope": "https://www.googleapis.com/auth/youtube.force-ssl",
            "token_type": "Bearer",
        }

    def caller(self, req: Request) -> dict[str, Any]:
        token = req.bearer_token() or ""
        with self.lock:
            channel_id = self.access_tokens.get(token)
            if channel_id is None:
                raise google_error(
                    401,
                    "authError",
                    "Request had invalid authentication credentials. Expected OAuth 2 access "
                    "token, login cookie or other valid authentication credential.",
                    domain="global",
                )
            return self.channels[channel_id]

    def spend(self, channel: dict[str, Any], units: int) -> None:
        with self.lock:
            used = self.quota_used.get(channel["id"], 0)
            if used + units > self.quota_units:
                raise google_error(
                    403,
                    "quotaExceeded",
                    "The request cannot be completed because you have exceeded your "
                    '<a href="/youtube/v3/getting-started#quota">quota</a>.',
                    domain="youtube.quota",
                )
            self.quota_used[channel["id"]] = used + units

    # --- comments ----------------------------------------------------------------------------

    def _live(self, comment_id: str) -> dict[str, Any] | None:
        found = self.comments.get(comment_id)
        return None if found is None or found["deleted"] else found

    def add_comment(
        self, *, author: dict[str, Any], text: str, video_id: str = "", parent_id: str = ""
    ):
        if not text.strip():
            raise google_error(400, "commentTextRequired", "The comment must contain text.")
        if len(text) > MAX_COMMENT_LENGTH:
            raise google_error(
                400, "commentTextTooLong", "The comment resource's text is too long."
            )
        with self.lock:
            if parent_id:
                parent = self._live(parent_id)
                if parent is None:
                    raise google_error(
                        404,
                        "parentCommentNotFound",
                        "The specified parent comment could not be found.",
                    )
                # Two levels only: a reply to a reply joins its top-level comment's thread.
                top = parent["parent_id"] or parent["id"]
                video_id = parent["video_id"]
            else:
                if video_id not in self.videos:
                    raise google_error(
                        404,
                        "videoNotFound",
                        "The video identified by the videoId parameter could not be found.",
                    )
                top = ""
            now = datetime.now(UTC)
            comment = {
                "id": (f"{top}.{self._id(22)}" if top else self._id(26, "Ugz")),
                "video_id": video_id,
                "parent_id": top,
                "author_id": author["id"],
                "author_name": author["handle"],
                "text": text,
                "published": now,
                "updated": now,
                "deleted": False,
            }
            self.comments[comment["id"]] = comment
            return comment

    def like(self, comment_id: str, *, handle: str) -> None:
        """A viewer likes a comment (once each): its ``likeCount`` counts them."""
        with self.lock:
            comment = self._live(comment_id)
            if comment is None:
                raise google_error(404, "commentNotFound", "The comment could not be found.")
            likes = comment.setdefault("likes", [])
            viewer = self.citizen(handle)["id"]
            if viewer not in likes:
                likes.append(viewer)

    def citizen_reply(self, parent_id: str, *, handle: str, text: str, display_name=None):
        """A citizen's comment: top-level when ``parent_id`` is a video, else a reply."""
        with self.lock:
            author = self.citizen(handle, display_name)
            if parent_id in self.videos:
                comment = self.add_comment(author=author, text=text, video_id=parent_id)
            else:
                comment = self.add_comment(author=author, text=text, parent_id=parent_id)
            return self.render_comment(comment, viewer="")

    def citizen_post(self, *, handle: str, text: str, display_name=None):
        """A comment on the citizen's own video: never on the department's, never collected."""
        with self.lock:
            author = self.citizen(handle, display_name)
            video = self._video(author, f"{author['title']}'s video")
            comment = self.add_comment(author=author, text=text, video_id=video["id"])
            return self.render_comment(comment, viewer="")

    def edit_post(self, post_id: str, text: str):
        with self.lock:
            comment = self._live(str(post_id))
            if comment is None:
                raise google_error(404, "commentNotFound", "The comment could not be found.")
            comment["text"] = text
            # Times are given to the second: an edit in its first second still reads as later.
            comment["updated"] = max(datetime.now(UTC), comment["published"] + timedelta(seconds=1))
            return self.render_comment(comment, viewer="")

    def delete_post(self, post_id: str) -> None:
        with self.lock:
            comment = self._live(str(post_id))
            if comment is None:
                raise google_error(404, "commentNotFound", "The comment could not be found.")
            comment["deleted"] = True
            if not comment["parent_id"]:
                # A deleted top-level comment takes its thread's replies with it.
                for reply in self.comments.values():
                    if reply["parent_id"] == comment["id"]:
                        reply["deleted"] = True

    def get_post(self, post_id: str) -> dict | None:
        with self.lock:
            comment = self._live(str(post_id))
            return None if comment is None else self.render_comment(comment, viewer="")

    def posts_by(self, account_id: str) -> list[dict[str, Any]]:
        """The channel's own live comments, newest first."""
        with self.lock:
            own = [
                c
                for c in self.comments.values()
                if c["author_id"] == account_id and not c["deleted"]
            ]
            own.sort(key=lambda c: (c["published"], c["id"]), reverse=True)
            return [self.render_comment(c, viewer=account_id) for c in own]

    def replies_of(self, thread_id: str) -> list[dict[str, Any]]:
        """A thread's live replies, oldest first (as YouTube lists them)."""
        return sorted(
            (c for c in self.comments.values() if c["parent_id"] == thread_id and not c["deleted"]),
            key=lambda c: (c["published"], c["id"]),
        )

    def threads_of(self, video_id: str) -> list[dict[str, Any]]:
        """A video's live top-level comments, newest first (``order=time``)."""
        return sorted(
            (
                c
                for c in self.comments.values()
                if c["video_id"] == video_id and not c["parent_id"] and not c["deleted"]
            ),
            key=lambda c: (c["published"], c["id"]),
            reverse=True,
        )

    # --- rendering -------------------------------------------------------------------------

    def render_comment(self, comment: dict[str, Any], *, viewer: str, text_format: str = "html"):
        author = self.channels.get(comment["author_id"], {})
        display = comment["text"] if text_format == "plainText" else html.escape(comment["text"])
        snippet: dict[str, Any] = {
            "channelId": self.videos.get(comment["video_id"], {}).get("channel_id", ""),
            "videoId": comment["video_id"],
            "textDisplay": display,
            "authorDisplayName": f"@{author.get('handle', comment['author_name'])}",
            "authorProfileImageUrl": f"{self.base_url}/_sandbox/avatars/{comment['author_id']}",
            "authorChannelUrl": f"{self.base_url}/channel/{comment['author_id']}",
            "authorChannelId": {"value": comment["author_id"]},
            "canRate": True,
            "viewerRating": "none",
            "likeCount": len(comment.get("likes") or ()),
            "publishedAt": _time(comment["published"]),
            "updatedAt": _time(comment["updated"]),
        }
        if comment["author_id"] == viewer:
            # textOriginal is only guaranteed to the comment's own author.
            snippet["textOriginal"] = comment["text"]
        if comment["parent_id"]:
            snippet["parentId"] = comment["parent_id"]
        return {
            "kind": "youtube#comment",
            "etag": _etag((comment["id"], comment["text"], comment["updated"])),
            "id": comment["id"],
            "snippet": snippet,
        }

    def render_thread(self, top: dict[str, Any], *, viewer: str, parts: set[str], text_format: str):
        replies = self.replies_of(top["id"])
        thread: dict[str, Any] = {
            "kind": "youtube#commentThread",
            "etag": _etag((top["id"], len(replies))),
            "id": top["id"],
        }
        if "snippet" in parts:
            thread["snippet"] = {
                "channelId": self.videos.get(top["video_id"], {}).get("channel_id", ""),
                "videoId": top["video_id"],
                "topLevelComment": self.render_comment(top, viewer=viewer, text_format=text_format),
                "canReply": True,
                "totalReplyCount": len(replies),
                "isPublic": True,
            }
        if "replies" in parts and replies:
            thread["replies"] = {
                "comments": [
                    self.render_comment(r, viewer=viewer, text_format=text_format)
                    for r in replies[:CARRIED_REPLIES]
                ]
            }
        return thread

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "network": self.network,
                "accounts": [
                    {"id": c["id"], "handle": c["handle"], "display_name": c["title"]}
                    for c in self.channels.values()
                ],
                "videos": [
                    {"id": v["id"], "channel_id": v["channel_id"], "title": v["title"]}
                    for v in self.videos.values()
                ],
                "posts": [
                    self.render_comment(c, viewer=c["author_id"]) | {"deleted": c["deleted"]}
                    for c in self.comments.values()
                ],
                "quota_used": dict(self.quota_used),
            }

    def post_summaries(self) -> list[dict[str, Any]]:
        with self.lock:
            rows = [
                {
                    "id": v["id"],
                    "author": self.channels.get(v["channel_id"], {}).get("handle", ""),
                    "text": f"Video: {v['title']}",
                    "created_at": _time(v["published"]),
                    "parent_id": "",
                    "deleted": False,
                    "sort": v["published"],
                }
                for v in self.videos.values()
            ] + [
                {
                    "id": c["id"],
                    "author": c["author_name"],
                    "text": c["text"],
                    "created_at": _time(c["published"]),
                    "parent_id": c["parent_id"] or c["video_id"],
                    "deleted": c["deleted"],
                    "sort": c["published"],
                }
                for c in self.comments.values()
            ]
        rows.sort(key=lambda row: row.pop("sort"), reverse=True)
        return rows


class YouTubeApi(NetworkApi):
    network = "youtube"
    state_class = YouTubeState
    state: YouTubeState
    default_port = 8105
    rate_limit = 300

    @classmethod
    def demo_replies(cls, *, account: str, hashtag: str) -> list[DemoReply]:
        # Replies under the department's comment on its video. YouTube keeps one level: an
        # answer to a reply is another reply in the same thread, so none answers another.
        return [
            DemoReply(
                "reply",
                "runningmum_leeds",
                "RunningMum",
                "Great video but you didn't say where the boundary actually is?? "
                "I live just outside it and the traffic will all come down our road",
            ),
            DemoReply(
                "reply",
                "taxidriver_phil",
                "Phil Cabs",
                "As a cabbie I'm all for cleaner air but the charging points at the rank "
                "need to come first. Can't go electric with nowhere to charge.",
            ),
            DemoReply(
                "reply",
                "schoolrun_sam",
                "Sam",
                "The bit about school streets at 2:14 is the best idea in this. Start there 👏👏",
            ),
            DemoReply(
                "reply",
                "pollutionwatch",
                "Pollution Watch",
                "Please publish the air monitoring data, not just the averages. Happy to share "
                "ours, call 07700 900789.",
            ),
            DemoReply(
                "reply",
                "old_town_trader",
                "Old Town Trader",
                "Buses first, charges second. Nobody will leave the car at home for a bus "
                "every 40 minutes.",
            ),
            DemoReply(
                "reply",
                "bike_bristol_bex",
                "Bex on a bike",
                "Protected cycle lanes on the ring road would do more than any charge 🚲",
            ),
        ]

    def routes(self):
        return [
            ("POST", r"/token", self.token),
            ("GET", f"{PREFIX}/channels", self.channels),
            ("GET", f"{PREFIX}/commentThreads", self.list_threads),
            ("POST", f"{PREFIX}/commentThreads", self.insert_thread),
            ("GET", f"{PREFIX}/comments", self.list_comments),
            ("POST", f"{PREFIX}/comments", self.insert_comment),
            ("DELETE", f"{PREFIX}/comments", self.delete_comment),
            ("GET", r"/watch", self.watch),
        ]

    def rate_limit_headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        return {}  # Google sends no rate-limit headers; its errors say what was exceeded

    def rate_limited(self, reset: float) -> Response:
        error = google_error(
            403,
            "rateLimitExceeded",
            "The request cannot be completed because you have exceeded your rate limit.",
            domain="usageLimits",
        )
        return Response(403, error.body)

    def server_error(self) -> Response:
        error = google_error(
            503, "backendError", "The service is currently unavailable.", domain="global"
        )
        return Response(503, error.body)

    def not_found(self, req: Request) -> Response:
        error = google_error(404, "notFound", f"Not Found: {req.path}", domain="global")
        return Response(404, error.body)

    # --- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _parts(req: Request) -> set[str]:
        parts = set(req.args("part"))
        if not parts:
            raise google_error(400, "required", "Required parameter: part", domain="global")
        return parts

    @staticmethod
    def _max_results(req: Request) -> int:
        value = req.int_arg("maxResults", DEFAULT_RESULTS)
        if not 1 <= value <= MAX_RESULTS:
            raise google_error(
                400,
                "invalidValue",
                "Invalid value for maxResults: must be 1 to 100.",
                domain="global",
            )
        return value

    def _page(self, req: Request, items: list, kind: str) -> Response:
        size = self._max_results(req)
        token = req.arg("pageToken")
        start = _page_offset(token) if token else 0
        page = items[start : start + size]
        body: dict[str, Any] = {
            "kind": kind,
            "etag": _etag((kind, start, len(items))),
        }
        if start + size < len(items):
            body["nextPageToken"] = _page_token(start + size)
        body["pageInfo"] = {"totalResults": len(items), "resultsPerPage": size}
        body["items"] = page
        return Response(200, body)

    # --- endpoints ----------------------------------------------------------------------------

    def token(self, req: Request, match) -> Response:
        return Response(200, self.state.token_for(req.form()))

    def channels(self, req: Request, match) -> Response:
        caller = self.state.caller(req)
        self._parts(req)
        self.state.spend(caller, LIST_COST)
        item = {
            "kind": "youtube#channel",
            "etag": _etag(caller["id"]),
            "id": caller["id"],
            "snippet": {
                "title": caller["title"],
                "description": "",
                "customUrl": f"@{caller['handle']}",
                "publishedAt": _time(datetime.now(UTC)),
            },
        }
        return Response(
            200,
            {
                "kind": "youtube#channelListResponse",
                "etag": _etag(("channels", caller["id"])),
                "pageInfo": {"totalResults": 1, "resultsPerPage": 5},
                "items": [item],
            },
        )

    def list_threads(self, req: Request, match) -> Response:
        caller = self.state.caller(req)
        parts = self._parts(req)
        text_format = req.arg("textFormat") or "html"
        if req.arg("id") and req.arg("maxResults"):
            raise google_error(
                400,
                "incompatibleParameters",
                "The maxResults parameter is not supported for use with the id parameter.",
            )
        self.state.spend(caller, LIST_COST)
        with self.state.lock:
            if req.arg("id"):
                tops = [
                    c for i in req.args("id") if (c := self.state._live(i)) and not c["parent_id"]
                ]
            elif req.arg("videoId"):
                video_id = str(req.arg("videoId"))
                if video_id not in self.state.videos:
                    raise google_error(
                        404,
                        "videoNotFound",
                        "The video identified by the videoId parameter could not be found.",
                    )
                tops = self.state.threads_of(video_id)
            else:
                raise google_error(
                    400,
                    "missingRequiredParameter",
                    "No filter selected. Expected one of: id, videoId, allThreadsRelatedToChannelId",
                )
            items = [
                self.state.render_thread(
                    t, viewer=caller["id"], parts=parts, text_format=text_format
                )
                for t in tops
            ]
        if req.arg("id"):
            # By ids: every thread found, in one answer without pages.
            return Response(
                200,
                {
                    "kind": "youtube#commentThreadListResponse",
                    "etag": _etag(tuple(req.args("id"))),
                    "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
                    "items": items,
                },
            )
        return self._page(req, items, "youtube#commentThreadListResponse")

    def insert_thread(self, req: Request, match) -> Response:
        caller = self.state.caller(req)
        parts = self._parts(req)
        snippet = req.json().get("snippet") or {}
        text = str(
            ((snippet.get("topLevelComment") or {}).get("snippet") or {}).get("textOriginal") or ""
        )
        self.state.spend(caller, WRITE_COST)
        comment = self.state.add_comment(
            author=caller, text=text, video_id=str(snippet.get("videoId") or "")
        )
        with self.state.lock:
            thread = self.state.render_thread(
                comment, viewer=caller["id"], parts=parts, text_format="html"
            )
        return Response(200, thread)

    def list_comments(self, req: Request, match) -> Response:
        caller = self.state.caller(req)
        parts = self._parts(req)
        text_format = req.arg("textFormat") or "html"
        if req.arg("id") and req.arg("maxResults"):
            raise google_error(
                400,
                "incompatibleParameters",
                "The maxResults parameter is not supported for use with the id parameter.",
            )
        self.state.spend(caller, LIST_COST)
        with self.state.lock:
            if req.arg("id"):
                found = [c for i in req.args("id") if (c := self.state._live(i))]
                items = [
                    self.state.render_comment(c, viewer=caller["id"], text_format=text_format)
                    for c in found
                ]
                if parts == {"id"}:
                    items = [{"kind": i["kind"], "etag": i["etag"], "id": i["id"]} for i in items]
                return Response(
                    200,
                    {
                        "kind": "youtube#commentListResponse",
                        "etag": _etag(tuple(req.args("id"))),
                        "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
                        "items": items,
                    },
                )
            parent_id = str(req.arg("parentId") or "")
            if not parent_id:
                raise google_error(
                    400,
                    "missingRequiredParameter",
                    "No filter selected. Expected one of: id, parentId",
                )
            if self.state._live(parent_id) is None:
                raise google_error(404, "commentNotFound", "The comment could not be found.")
            replies = [
                self.state.render_comment(c, viewer=caller["id"], text_format=text_format)
                for c in self.state.replies_of(parent_id)
            ]
        return self._page(req, replies, "youtube#commentListResponse")

    def insert_comment(self, req: Request, match) -> Response:
        caller = self.state.caller(req)
        self._parts(req)
        snippet = req.json().get("snippet") or {}
        parent_id = str(snippet.get("parentId") or "")
        if not parent_id:
            raise google_error(400, "parentIdMissing", "No parent ID was specified.")
        self.state.spend(caller, WRITE_COST)
        comment = self.state.add_comment(
            author=caller, text=str(snippet.get("textOriginal") or ""), parent_id=parent_id
        )
        with self.state.lock:
            return Response(200, self.state.render_comment(comment, viewer=caller["id"]))

    def delete_comment(self, req: Request, match) -> Response:
        caller = self.state.caller(req)
        comment_id = str(req.arg("id") or "")
        self.state.spend(caller, WRITE_COST)
        with self.state.lock:
            comment = self.state._live(comment_id)
            if comment is None:
                raise google_error(404, "commentNotFound", "The comment could not be found.")
            if comment["author_id"] != caller["id"]:
                raise google_error(
                    403,
                    "forbidden",
                    "The comment could not be deleted: it is not yours.",
                )
        self.state.delete_post(comment_id)
        return Response(204)

    def watch(self, req: Request, match) -> Response:
        target = req.arg("lc") or req.arg("v") or ""
        return Response(302, b"", {"Location": f"/_sandbox/posts/{target}"})
