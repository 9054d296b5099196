"""X API v2 sandbox: the subset of endpoints the hub uses, shaped after X's OpenAPI document.

Posts are emitted with both the names tweepy 4.17 reads (`edit_history_tweet_ids`,
`referenced_tweets`) and the 2026 OpenAPI names (`edit_history_post_ids`, `referenced_posts`);
`tweet.fields` and `post.fields` are both accepted.
"""

from __future__ import annotations

import base64
import html
import json
import re
import secrets
import threading
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

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
from .text import EMOJI, find_entities, find_urls, graphemes

# twitter-text v3 configuration: code points in these ranges weigh 100, everything else 200,
# each emoji sequence weighs 200 and every URL counts as 23 characters.
_X_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
X_URL_LENGTH = 23
X_MAX_WEIGHTED_LENGTH = 280

PROBLEM_BASE = "https://api.x.com/2/problems"
DEFAULT_POST_FIELDS = ("id", "text", "edit_history_tweet_ids", "edit_history_post_ids")
USER_DEFAULT_FIELDS = ("id", "name", "username")
_TWITTER_EPOCH_MS = 1288834974657
_MAX_EDITS = 5
_EDIT_WINDOW = timedelta(hours=1)
# Recent search covers the last seven days and refuses a since_id or start_time from
# before that. The mentions timeline has no such window (X's OpenAPI document: its
# start_time "Must be on or after 2010-11-06"); it reaches the 800 most recent mentions
# instead, and an older since_id is not refused (X's docs: it is "forced to the oldest ID
# available").
RECENT_WINDOW = timedelta(days=7)
MENTIONS_REACH = 800
MENTIONS_EARLIEST = datetime(2010, 11, 6, tzinfo=UTC)

# The query parameters (and the values of the list ones) X's OpenAPI document gives each
# endpoint the hub uses, taken from that document; anything else is refused as X does.
API_PARAMETERS = json.loads(
    (Path(__file__).with_name("x_api_parameters.json")).read_text(encoding="utf-8")
)["endpoints"]
# The document calls posts "posts"; X still takes the v2 "tweet" names clients such as
# tweepy send: `tweet.fields` for `post.fields`, with the field names of X's v2 reference
# (tweepy.tweet.TWEET_FIELDS) the document no longer lists, and these expansions.
LEGACY_TWEET_FIELDS = (
    "author_id",
    "edit_history_tweet_ids",
    "in_reply_to_user_id",
    "note_tweet",
    "referenced_tweets",
)
LEGACY_EXPANSIONS = (
    "edit_history_tweet_ids",
    "referenced_tweets.id",
    "referenced_tweets.id.author_id",
)


def _problem(status: int, title: str, detail: str, type_: str = "about:blank", **extra) -> dict:
    return {"title": title, "detail": detail, "type": type_, "status": status, **extra}


def _invalid_request(message: str, *, parameter: str = "", value: str = "") -> SandboxError:
    """X's 400: the InvalidRequestProblem of its OpenAPI document, with X's `errors` list."""
    return SandboxError(
        400,
        {
            "errors": [
                {"parameters": {parameter: [value]} if parameter else {}, "message": message}
            ],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": f"{PROBLEM_BASE}/invalid-request",
        },
    )


def _forbidden(detail: str) -> SandboxError:
    return SandboxError(403, _problem(403, "Forbidden", detail))


def _not_found_error(value: str, resource_type: str, parameter: str) -> dict:
    noun = "tweet" if resource_type == "tweet" else "user"
    return {
        "value": value,
        "detail": f"Could not find {noun} with {parameter}: [{value}].",
        "title": "Not Found Error",
        "resource_type": resource_type,
        "parameter": parameter,
        "resource_id": value,
        "type": f"{PROBLEM_BASE}/resource-not-found",
    }


def _not_authorized_error(value: str, parameter: str) -> dict:
    return {
        "value": value,
        "detail": f"Sorry, you are not authorized to see the Tweet with {parameter}: [{value}].",
        "title": "Authorization Error",
        "resource_type": "tweet",
        "parameter": parameter,
        "resource_id": value,
        "section": "data",
        "type": f"{PROBLEM_BASE}/not-authorized-for-resource",
    }


def _encode_token(before_id: int) -> str:
    return base64.urlsafe_b64encode(f"before:{before_id}".encode()).decode().rstrip("=")


def _decode_token(token: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        kind, _, value = base64.urlsafe_b64decode(padded).decode().partition(":")
        if kind != "before":
            raise ValueError(kind)
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise _invalid_request(
            f"The `pagination_token` query parameter value [{token}] is not valid"
        ) from None


class XState(NetworkState):
    network = "x"
    can_edit_posts = True

    def __init__(self) -> None:
        super().__init__()
        self.users: dict[str, dict[str, Any]] = {}
        self.tweets: dict[str, dict[str, Any]] = {}
        self._id_lock = threading.Lock()
        self._issued_ids: set[int] = set()
        # Read endpoints (API_PARAMETERS names) outside the app's access level: the
        # access tier they need, answered with X's 403 client-forbidden problem.
        self.refused_endpoints: dict[str, str] = {}

    # --- time -------------------------------------------------------------------------

    def now(self) -> datetime:
        return datetime.now(UTC)

    # --- ids --------------------------------------------------------------------------

    def _next_id(self) -> str:
        """Snowflake-shaped ids: increasing with time, so since_id/until_id work like X's."""
        with self._id_lock:
            candidate = (int(self.now().timestamp() * 1000) - _TWITTER_EPOCH_MS) << 22
            # Unique within a millisecond, and from the time of writing even when a test
            # has moved the clock back.
            while candidate in self._issued_ids:
                candidate += 1
            self._issued_ids.add(candidate)
            return str(candidate)

    # --- accounts -----------------------------------------------------------------------

    def create_account(
        self, *, handle: str, display_name: str | None = None, password: str | None = None
    ) -> SandboxAccount:
        with self.lock:
            if self.user_by_username(handle):
                raise SandboxError(409, {"error": f"@{handle} already exists"})
            credentials = {
                "consumer_key": secrets.token_urlsafe(18),
                "consumer_secret": secrets.token_urlsafe(36),
                "access_token": f"{secrets.randbelow(10**18)}-{secrets.token_urlsafe(30)}",
                "access_token_secret": secrets.token_urlsafe(33),
                "bearer_token": "AAAA" + secrets.token_urlsafe(80),
            }
            user = self._new_user(handle, display_name or handle)
            user["credentials"] = credentials
            return self._account(user)

    def _new_user(self, username: str, name: str) -> dict[str, Any]:
        user_id = self._next_id()
        user = {
            "id": user_id,
            "username": username.lstrip("@"),
            "name": name,
            "created_at": datetime.now(UTC),
            "description": "",
            "credentials": None,
            # Protected: posts seen only by the author and the followers they approved.
            "protected": False,
            "approved_followers": set(),
        }
        self.users[user_id] = user
        return user

    def _account(self, user: dict[str, Any]) -> SandboxAccount:
        return SandboxAccount(
            id=user["id"],
            handle=user["username"],
            display_name=user["name"],
            credentials=dict(user["credentials"] or {}),
        )

    def user_by_username(self, username: str) -> dict[str, Any] | None:
        username = username.lstrip("@").lower()
        for user in self.users.values():
            if user["username"].lower() == username:
                return user
        return None

    def _citizen(self, handle: str, display_name: str | None) -> dict[str, Any]:
        return self.user_by_username(handle) or self._new_user(handle, display_name or handle)

    def user_for_auth(self, req: Request) -> dict[str, Any]:
        header = req.headers.get("authorization", "")
        with self.lock:
            if header.startswith("OAuth "):
                params = {k: unquote(v) for k, v in re.findall(r'(\w+)="([^"]*)"', header[6:])}
                for user in self.users.values():
                    creds = user["credentials"]
                    if (
                        creds
                        and creds["access_token"] == params.get("oauth_token")
                        and creds["consumer_key"] == params.get("oauth_consumer_key")
                    ):
                        return user
            token = req.bearer_token()
            if token:
                for user in self.users.values():
                    if user["credentials"] and user["credentials"]["bearer_token"] == token:
                        return user
        raise SandboxError(401, _problem(401, "Unauthorized", "Unauthorized"))

    # --- posts --------------------------------------------------------------------------

    def _create_tweet(
        self,
        author: dict[str, Any],
        text: str,
        *,
        in_reply_to: str | None = None,
        quote_of: str | None = None,
    ) -> dict[str, Any]:
        parent = None
        if in_reply_to is not None:
            parent = self.tweets.get(str(in_reply_to))
            if parent is None or parent["deleted"]:
                raise _forbidden(
                    "You attempted to reply to a Tweet that is deleted or not visible to you."
                )
        if quote_of is not None:
            quoted = self.tweets.get(str(quote_of))
            if quoted is None or quoted["deleted"]:
                raise _forbidden(
                    "You attempted to quote a Tweet that is deleted or not visible to you."
                )
        tweet_id = self._next_id()
        display, entities = self._shortened(text)
        tweet = {
            "id": tweet_id,
            "text": text,
            "display": display,
            "author_id": author["id"],
            "created_at": self.now(),
            "conversation_id": parent["conversation_id"] if parent else tweet_id,
            "in_reply_to_tweet_id": parent["id"] if parent else None,
            "in_reply_to_user_id": parent["author_id"] if parent else None,
            "quoted_id": str(quote_of) if quote_of is not None else None,
            "entities": entities,
            "lang": "en",
            # e.g. {"copyright": False, "country_codes": ["DE"]} once withheld somewhere.
            "withheld": None,
            "deleted": False,
            "private": False,
            # Every version of an edited post shares this list: its ids, oldest first.
            "edit_history": [tweet_id],
            # A newer version exists: X leaves this one out of search, mentions and timelines.
            "superseded": False,
        }
        self.tweets[tweet_id] = tweet
        return tweet

    def _shortened(self, text: str) -> tuple[str, dict[str, list[dict[str, Any]]]]:
        """The text as X shows it, every link a t.co link, and its entities in that text.

        Each ``entities.urls`` item names its t.co ``url``, the ``expanded_url`` written
        and a ``display_url``; ``start``/``end`` are code point offsets into the shown text.
        """
        expanded: dict[str, str] = {}
        parts, position = [], 0
        for url in find_urls(text):
            short = f"https://t.co/{secrets.token_urlsafe(8)[:10]}"
            expanded[short] = url.value
            parts += [text[position : url.start], short]
            position = url.end
        display = "".join([*parts, text[position:]])
        entities: dict[str, list[dict[str, Any]]] = {}
        for entity in find_entities(display):
            if entity.kind == "url":
                original = expanded.get(entity.value, entity.value)
                shown = original.split("://", 1)[-1]
                entities.setdefault("urls", []).append(
                    {
                        "start": entity.start,
                        "end": entity.end,
                        "url": entity.value,
                        "expanded_url": original,
                        "display_url": shown if len(shown) <= 26 else shown[:26] + "…",
                    }
                )
            elif entity.kind == "hashtag":
                entities.setdefault("hashtags", []).append(
                    {"start": entity.start, "end": entity.end, "tag": entity.value}
                )
            else:
                mentioned = self.user_by_username(entity.value)
                mention = {"start": entity.start, "end": entity.end, "username": entity.value}
                if mentioned:
                    mention["id"] = mentioned["id"]
                entities.setdefault("mentions", []).append(mention)
        return display, entities

    def edit_post(self, post_id: str, text: str) -> dict[str, Any]:
        """Edit a post as X does: a new version with a new id joins the edit history chain.

        The earlier versions keep their ids and text (a lookup by id still finds them)
        but drop out of search, mentions and timelines. X allows five edits.
        """
        with self.lock:
            tweet = self.tweets.get(str(post_id))
            if tweet is None or tweet["deleted"]:
                raise SandboxError(404, {"error": f"no live post {post_id}"})
            history = tweet["edit_history"]
            latest = self.tweets[history[-1]]
            if len(history) > _MAX_EDITS:
                raise SandboxError(400, {"error": f"post {post_id} has no edits remaining"})
            version_id = self._next_id()
            version = dict(latest)
            display, entities = self._shortened(text)
            version.update(
                id=version_id,
                text=text,
                created_at=self.now(),
                display=display,
                entities=entities,
                superseded=False,
            )
            history.append(version_id)
            for old_id in history[:-1]:
                self.tweets[old_id]["superseded"] = True
            self.tweets[version_id] = version
            return self.render_tweet(version)

    def posts_by(self, account_id: str) -> list[dict[str, Any]]:
        with self.lock:
            tweets = [
                t
                for t in self.tweets.values()
                if t["author_id"] == account_id and not t["deleted"] and not t["superseded"]
            ]
            return [self.render_tweet(t) for t in sorted(tweets, key=_newest_first)]

    def get_post(self, post_id: str) -> dict[str, Any] | None:
        with self.lock:
            tweet = self.tweets.get(str(post_id))
            return None if tweet is None or tweet["deleted"] else self.render_tweet(tweet)

    def citizen_reply(
        self, parent_id: str, *, handle: str, text: str, display_name: str | None = None
    ) -> dict[str, Any]:
        with self.lock:
            citizen = self._citizen(handle, display_name)
            parent = self.tweets.get(str(parent_id))
            if parent is None or parent["deleted"]:
                raise SandboxError(404, {"error": f"no live post {parent_id}"})
            parent_author = self.users[parent["author_id"]]["username"]
            # X shows a reply's text with the replied-to handle in front, as the apps write it.
            if parent_author != citizen["username"] and not text.startswith(f"@{parent_author}"):
                text = f"@{parent_author} {text}"
            return self.render_tweet(self._create_tweet(citizen, text, in_reply_to=parent["id"]))

    def citizen_post(
        self,
        *,
        handle: str,
        text: str,
        display_name: str | None = None,
        quote_of: str | None = None,
    ) -> dict[str, Any]:
        with self.lock:
            citizen = self._citizen(handle, display_name)
            return self.render_tweet(self._create_tweet(citizen, text, quote_of=quote_of))

    def set_private(self, post_id: str, private: bool = True) -> None:
        """Hide a post from everyone but its author, as when its author protects their posts."""
        with self.lock:
            tweet = self.tweets.get(str(post_id))
            if tweet is None:
                raise SandboxError(404, {"error": f"no post {post_id}"})
            tweet["private"] = private

    def set_protected(
        self, handle: str, *, protected: bool = True, followers: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """Protect an account's posts, visible then to ``followers`` (ids) and the author."""
        with self.lock:
            user = self._citizen(handle, None)
            user["protected"] = protected
            user["approved_followers"] = set(followers)
            return self.render_user(user)

    def refuse_access(self, endpoint: str, *, required_enrollment: str = "Basic") -> None:
        """Answer ``endpoint`` ("mentions", "search_recent", ...) with X's 403 for an app
        whose access level does not include it."""
        with self.lock:
            self.refused_endpoints[endpoint] = required_enrollment

    def set_withheld(
        self, post_id: str, *, country_codes: tuple[str, ...], copyright: bool = False
    ) -> None:
        """Withhold a post in some countries (or for copyright), as X does on a legal demand."""
        with self.lock:
            self.tweets[str(post_id)]["withheld"] = {
                "copyright": copyright,
                "country_codes": list(country_codes),
            }

    def visible(self, tweet: dict[str, Any], viewer: dict[str, Any]) -> bool:
        if tweet["deleted"]:
            return False
        if tweet["author_id"] == viewer["id"]:
            return True
        author = self.users[tweet["author_id"]]
        if author["protected"] and viewer["id"] not in author["approved_followers"]:
            return False
        return not tweet["private"]

    def listed(self, tweet: dict[str, Any], viewer: dict[str, Any]) -> bool:
        """Visible and the latest version: what search, mentions and timelines return."""
        return self.visible(tweet, viewer) and not tweet["superseded"]

    def delete_post(self, post_id: str) -> None:
        with self.lock:
            tweet = self.tweets.get(str(post_id))
            if tweet is None:
                raise SandboxError(404, {"error": f"no post {post_id}"})
            self._delete_chain(tweet)

    def _delete_chain(self, tweet: dict[str, Any]) -> None:
        # Deleting any version of an edited post deletes all of them, as on X.
        for version_id in tweet["edit_history"]:
            self.tweets[version_id]["deleted"] = True

    # --- rendering ----------------------------------------------------------------------

    def render_tweet(self, tweet: dict[str, Any], fields: set[str] | None = None) -> dict[str, Any]:
        """The full tweet, or only `fields` (plus the defaults) like the real API."""
        replies = sum(
            1
            for t in self.tweets.values()
            if t["in_reply_to_tweet_id"] == tweet["id"] and not t["deleted"]
        )
        quotes = sum(
            1 for t in self.tweets.values() if t["quoted_id"] == tweet["id"] and not t["deleted"]
        )
        referenced = []
        if tweet["in_reply_to_tweet_id"]:
            referenced.append({"type": "replied_to", "id": tweet["in_reply_to_tweet_id"]})
        if tweet["quoted_id"]:
            referenced.append({"type": "quoted", "id": tweet["quoted_id"]})
        created = tweet["created_at"]
        history = list(tweet["edit_history"])
        first_created = self.tweets[history[0]]["created_at"]
        shown, entities, whole = _shown_text(tweet)
        full: dict[str, Any] = {
            "id": tweet["id"],
            "text": shown,
            # The whole chain, whichever version this is; the newest id is last.
            "edit_history_tweet_ids": history,
            "edit_history_post_ids": list(history),
            "author_id": tweet["author_id"],
            "conversation_id": tweet["conversation_id"],
            "created_at": iso(created),
            "lang": tweet["lang"],
            "possibly_sensitive": False,
            "reply_settings": "everyone",
            "display_text_range": [_leading_mentions_end(tweet), len(html.unescape(shown))],
            "edit_controls": {
                "edits_remaining": _MAX_EDITS + 1 - len(history),
                "is_edit_eligible": not tweet["in_reply_to_tweet_id"],
                "editable_until": iso(first_created + _EDIT_WINDOW),
            },
            "public_metrics": {
                "retweet_count": 0,  # tweepy's name; the OpenAPI document's is repost_count
                "repost_count": 0,
                "reply_count": replies,
                "like_count": 0,
                "quote_count": quotes,
                "bookmark_count": 0,
                "impression_count": 0,
            },
        }
        if entities:
            full["entities"] = entities
        if whole is not None:
            # A post over 280 weighted characters: `text` is cut, the whole of it is here.
            full["note_tweet"] = whole  # the name tweepy and X's v2 pages use
            full["note_post"] = whole  # the current OpenAPI name
        if tweet["withheld"]:
            full["withheld"] = tweet["withheld"]
        if tweet["in_reply_to_user_id"]:
            full["in_reply_to_user_id"] = tweet["in_reply_to_user_id"]
        if referenced:
            full["referenced_tweets"] = referenced
            full["referenced_posts"] = referenced
        if fields is None:
            return full
        wanted = set(DEFAULT_POST_FIELDS) | fields
        if "referenced_tweets" in fields or "referenced_posts" in fields:
            wanted |= {"referenced_tweets", "referenced_posts"}
        return {k: v for k, v in full.items() if k in wanted}

    def render_user(self, user: dict[str, Any], fields: set[str] | None = None) -> dict[str, Any]:
        posts = sum(
            1
            for t in self.tweets.values()
            if t["author_id"] == user["id"] and not t["deleted"] and not t["superseded"]
        )
        full = {
            "id": user["id"],
            "name": user["name"],
            "username": user["username"],
            "created_at": iso(user["created_at"]),
            "description": user["description"],
            "protected": user["protected"],
            "verified": False,
            "profile_image_url": f"{self.base_url}/_sandbox/avatar/{user['id']}.png",
            "url": "",
            "public_metrics": {
                "followers_count": 0,
                "following_count": 0,
                "tweet_count": posts,  # tweepy's name; the OpenAPI document's is post_count
                "post_count": posts,
                "listed_count": 0,
                "like_count": 0,
            },
        }
        if fields is None:
            return full
        return {k: v for k, v in full.items() if k in set(USER_DEFAULT_FIELDS) | fields}

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "network": self.network,
                "accounts": [
                    self.render_user(u) | {"department": bool(u["credentials"])}
                    for u in self.users.values()
                ],
                "posts": [
                    self.render_tweet(t) | {"deleted": t["deleted"]}
                    for t in sorted(self.tweets.values(), key=_newest_first)
                ],
            }

    def post_summaries(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {
                    "id": t["id"],
                    "author": self.users[t["author_id"]]["username"],
                    "text": t["text"],
                    "created_at": iso(t["created_at"]),
                    "parent_id": t["in_reply_to_tweet_id"],
                    "deleted": t["deleted"],
                }
                for t in sorted(self.tweets.values(), key=_newest_first)
            ]


def _shown_text(tweet: dict[str, Any]) -> tuple[str, dict, dict | None]:
    """``text`` as X sends it (HTML-escaped, t.co links, cut after 280 weighted characters
    with an ellipsis), its entities, and the ``note_tweet`` object when it was cut."""
    display, entities = tweet["display"], tweet["entities"]
    if x_weighted_length(display) <= X_MAX_WEIGHTED_LENGTH:
        return _escaped(display), entities, None
    cut = ""
    for cluster in graphemes(display):
        if x_weighted_length(cut + cluster) > X_MAX_WEIGHTED_LENGTH - 1:
            break
        cut += cluster
    cut_entities = {
        kind: [item for item in items if item["end"] <= len(cut)]
        for kind, items in entities.items()
    }
    cut_entities = {kind: items for kind, items in cut_entities.items() if items}
    whole = {"text": _escaped(display), "entities": entities}
    return _escaped(cut + "…"), cut_entities, whole


def _escaped(text: str) -> str:
    """X escapes &, < and > in post text (and only those)."""
    return html.escape(text, quote=False)


def _leading_mentions_end(tweet: dict[str, Any]) -> int:
    """Where a reply's text starts after the @handles the apps put in front of it."""
    if not tweet["in_reply_to_tweet_id"]:
        return 0
    match = re.match(r"(?:@\w+\s+)+", tweet["text"])
    return match.end() if match else 0


def _newest_first(tweet: dict[str, Any]) -> int:
    return -int(tweet["id"])


# --- search query language --------------------------------------------------------------

_TOKEN = re.compile(r'"[^"]*"|-?\(|\)|[^\s()]+')


def _parse_query(query: str):
    """A predicate for X's search operators the hub uses (AND by space, OR, -negation, groups)."""
    tokens = _TOKEN.findall(query)
    position = 0

    def parse_or():
        nonlocal position
        terms = [parse_and()]
        while position < len(tokens) and tokens[position] == "OR":
            position += 1
            terms.append(parse_and())
        return lambda tweet, state: any(term(tweet, state) for term in terms)

    def parse_and():
        nonlocal position
        terms = []
        while position < len(tokens) and tokens[position] not in (")", "OR"):
            terms.append(parse_unary())
        if not terms:
            raise _invalid_request(
                f"There were errors processing your request: empty query group in {query!r}"
            )
        return lambda tweet, state: all(term(tweet, state) for term in terms)

    def parse_unary():
        nonlocal position
        word = tokens[position]
        position += 1
        if word in ("(", "-("):
            inner = parse_or()
            if position >= len(tokens) or tokens[position] != ")":
                raise _invalid_request(
                    f"There were errors processing your request: unbalanced parentheses in {query!r}"
                )
            position += 1
            if word == "-(":
                return lambda tweet, state: not inner(tweet, state)
            return inner
        if word.startswith("-") and len(word) > 1:
            inner = _term(word[1:])
            return lambda tweet, state: not inner(tweet, state)
        return _term(word)

    if not tokens:
        raise _invalid_request("The `query` query parameter can not be empty")
    predicate = parse_or()
    if position != len(tokens):
        raise _invalid_request(
            f"There were errors processing your request: unexpected {tokens[position]!r}"
        )
    return predicate


def _term(token: str):
    lowered = token.lower()
    if token.startswith('"') and token.endswith('"'):
        phrase = token[1:-1].lower()
        return lambda tweet, state: phrase in tweet["text"].lower()
    operator, sep, value = lowered.partition(":")
    if sep and value:
        if operator == "conversation_id":
            if not value.isdigit():
                raise _invalid_request(
                    f"There were errors processing your request: conversation_id:{value} "
                    "is not a post id",
                    parameter="query",
                    value=token,
                )
            return lambda tweet, state: tweet["conversation_id"] == value
        if operator == "from":
            return lambda tweet, state: (
                _username(state, tweet["author_id"]) in (value, value.lstrip("@"))
            )
        if operator == "to":
            return lambda tweet, state: (
                bool(tweet["in_reply_to_user_id"])
                and _username(state, tweet["in_reply_to_user_id"]) == value.lstrip("@")
            )
        if operator == "is":
            flags = {
                "reply": lambda tweet, state: tweet["in_reply_to_tweet_id"] is not None,
                "quote": lambda tweet, state: tweet["quoted_id"] is not None,
                "retweet": lambda tweet, state: False,
            }
            if value in flags:
                return flags[value]
        if operator == "lang":
            return lambda tweet, state: tweet["lang"] == value
        if operator == "quotes_of_tweet_id":
            return lambda tweet, state: tweet["quoted_id"] == value
        if operator == "in_reply_to_tweet_id":
            return lambda tweet, state: tweet["in_reply_to_tweet_id"] == value
        if operator == "url":
            return lambda tweet, state: value.strip('"') in tweet["text"].lower()
    if token.startswith("#") and len(token) > 1:
        tag = lowered[1:]
        return lambda tweet, state: any(
            h["tag"].lower() == tag for h in tweet["entities"].get("hashtags", [])
        )
    if token.startswith("@") and len(token) > 1:
        handle = lowered[1:]
        return lambda tweet, state: any(
            m["username"].lower() == handle for m in tweet["entities"].get("mentions", [])
        )
    return lambda tweet, state: lowered in tweet["text"].lower()


def _username(state: XState, user_id: str) -> str:
    return state.users[user_id]["username"].lower()


# --- HTTP ----------------------------------------------------------------------------------


class XApi(NetworkApi):
    network = "x"
    state_class = XState
    state: XState
    default_port = 8101
    rate_limit = 300

    def routes(self):
        return [
            ("POST", r"/2/tweets", self.create_tweet),
            ("DELETE", r"/2/tweets/(?P<id>\d+)", self.delete_tweet),
            ("GET", r"/2/users/me", _checked("me", self.me)),
            ("GET", r"/2/tweets/search/recent", _checked("search_recent", self.search_recent)),
            ("GET", r"/2/users/(?P<id>\d+)/mentions", _checked("mentions", self.mentions)),
            ("GET", r"/2/users/(?P<id>\d+)/tweets", _checked("user_tweets", self.user_tweets)),
            ("GET", r"/2/users/(?P<id>\d+)", _checked("user", self.user)),
            ("GET", r"/2/tweets", _checked("lookup", self.lookup)),
            ("GET", r"/2/tweets/(?P<id>\d+)", _checked("lookup_one", self.lookup_one)),
        ]

    def rate_limit_headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        return {
            "x-rate-limit-limit": str(limit),
            "x-rate-limit-remaining": str(remaining),
            "x-rate-limit-reset": str(int(reset + 0.999)),
        }

    def rate_limited(self, reset: float) -> Response:
        return Response(
            429,
            {
                "title": "Too Many Requests",
                "detail": "Too Many Requests",
                "type": "about:blank",
                "status": 429,
            },
        )

    def server_error(self) -> Response:
        return Response(
            503,
            {
                "title": "Service Unavailable",
                "detail": "Service Unavailable",
                "type": "about:blank",
                "status": 503,
            },
        )

    def not_found(self, req: Request) -> Response:
        return Response(
            404, _problem(404, "Not Found Error", f"Sorry, that page does not exist: {req.path}")
        )

    @classmethod
    def demo_replies(cls, *, account: str, hashtag: str) -> list[DemoReply]:
        # Short, blunt, an emoji or two, the odd abbreviation; X's apps put "@account" in
        # front of a reply themselves.
        return [
            DemoReply(
                "reply",
                "marketsq_mum",
                "Jess 🌻",
                "a charge in a market town?? half of us have no bus after 6pm. "
                "sort the buses first 🙄",
            ),
            DemoReply(
                "reply",
                "hartplumbing",
                "Dave Hart Plumbing",
                "£12.50 a day would finish my van business. 14 yrs trading. ring me if you "
                "want the real numbers 07700 900461",
            ),
            DemoReply(
                "reply",
                "mill_lane_dad",
                "Tom",
                "Yes please. My lad has asthma & the school run traffic outside St Marys "
                "is awful 😷",
            ),
            DemoReply(
                "reply",
                "nightshift_nat",
                "Nat",
                "this. the last 42 bus goes at 6.10pm, how am i ment to get home from work",
                answers=0,
            ),
            DemoReply(
                "reply",
                "campervan_col",
                "Colin",
                "Euro 6 exemption is fair but what about older campervans? we use ours "
                "twice a year, hardly polluting the high st",
            ),
            DemoReply(
                "mention",
                "brewhouse_bex",
                "Bex | Brewhouse Bakery",
                f"@{account} any scrappage scheme for small traders? asking for a friend "
                f"(me) #{hashtag}",
            ),
            DemoReply(
                "hashtag",
                "a_road_rider",
                "Priya 🚲",
                "cycled in today, 3 lorries passed within a foot of me on the A-road. zones "
                f"mean nothing w/o safe lanes #{hashtag} 🚲",
            ),
            DemoReply(
                "hashtag",
                "grumpy_garry",
                "Garry",
                f"absolute shite idea, another stealth tax on drivers #{hashtag}",
            ),
            DemoReply(
                "hashtag",
                "schoolgate_sam",
                "Sam",
                "School streets trial on Mill Lane has been brilliant. kids walk, air is "
                f"cleaner, zero complaints from us #{hashtag}",
            ),
        ]

    # --- writes ---------------------------------------------------------------------------

    def create_tweet(self, req: Request, match) -> Response:
        user = self.state.user_for_auth(req)
        body = req.json()
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _invalid_request("$.text: text is required and must be a non-empty string")
        reply = body.get("reply") or {}
        if not isinstance(reply, dict):
            raise _invalid_request("$.reply: must be an object")
        in_reply_to = reply.get("in_reply_to_tweet_id")
        weighted = x_weighted_length(text)
        if weighted > X_MAX_WEIGHTED_LENGTH:
            raise _forbidden(
                f"Your Tweet text is too long: its weighted length is {weighted}, "
                f"the limit is {X_MAX_WEIGHTED_LENGTH}."
            )
        with self.state.lock:
            for tweet in self.state.tweets.values():
                if (
                    tweet["author_id"] == user["id"]
                    and not tweet["deleted"]
                    and tweet["text"] == text
                ):
                    raise _forbidden(
                        "You are not allowed to create a Tweet with duplicate content."
                    )
            tweet = self.state._create_tweet(
                user, text, in_reply_to=in_reply_to, quote_of=body.get("quote_tweet_id")
            )
        shown = _shown_text(tweet)[0]
        data = {"id": tweet["id"], "text": shown, "edit_history_tweet_ids": [tweet["id"]]}
        return Response(201, {"data": data})

    def delete_tweet(self, req: Request, match) -> Response:
        user = self.state.user_for_auth(req)
        with self.state.lock:
            tweet = self.state.tweets.get(match["id"])
            if tweet is None:
                raise SandboxError(
                    404,
                    {
                        "errors": [_not_found_error(match["id"], "tweet", "id")],
                        "title": "Not Found Error",
                        "detail": f"Could not find tweet with id: [{match['id']}].",
                        "type": f"{PROBLEM_BASE}/resource-not-found",
                    },
                )
            if tweet["author_id"] != user["id"]:
                raise _forbidden("You are not allowed to delete a Tweet that you did not create.")
            # Deleting again answers like the first time, so a retried delete is harmless.
            self.state._delete_chain(tweet)
        return Response(200, {"data": {"deleted": True}})

    # --- reads -----------------------------------------------------------------------------

    def me(self, req: Request, match) -> Response:
        user = self.state.user_for_auth(req)
        with self.state.lock:
            return Response(
                200, {"data": self.state.render_user(user, _fields(req, "user.fields"))}
            )

    def user(self, req: Request, match) -> Response:
        self.state.user_for_auth(req)
        with self.state.lock:
            user = self.state.users.get(match["id"])
            if user is None:
                return Response(200, {"errors": [_not_found_error(match["id"], "user", "id")]})
            return Response(
                200, {"data": self.state.render_user(user, _fields(req, "user.fields"))}
            )

    def search_recent(self, req: Request, match) -> Response:
        viewer = self.state.user_for_auth(req)
        query = req.arg("query")
        if not query:
            raise _invalid_request("The `query` query parameter can not be empty")
        predicate = _parse_query(query)
        token = req.arg("next_token") or req.arg("pagination_token")
        with self.state.lock:
            earliest = self.state.now() - RECENT_WINDOW
            candidates = [
                t
                for t in self.state.tweets.values()
                if self.state.listed(t, viewer)
                and t["created_at"] >= earliest
                and predicate(t, self.state)
            ]
            return self._page(
                req, candidates, minimum=10, default=10, token=token, earliest=earliest
            )

    def mentions(self, req: Request, match) -> Response:
        viewer = self.state.user_for_auth(req)
        with self.state.lock:
            user = self.state.users.get(match["id"])
            if user is None:
                return Response(200, {"errors": [_not_found_error(match["id"], "user", "id")]})
            handle = user["username"].lower()
            mentioning = [
                t
                for t in self.state.tweets.values()
                if self.state.listed(t, viewer)
                and t["author_id"] != user["id"]
                and any(m["username"].lower() == handle for m in t["entities"].get("mentions", []))
            ]
            for name in ("start_time", "end_time"):
                moment = _time_arg(req, name)
                if moment is not None and moment < MENTIONS_EARLIEST:
                    raise _invalid_request(
                        f"Invalid '{name}':'{req.arg(name)}'. '{name}' must be on or after "
                        "2010-11-06T00:00Z",
                        parameter=name,
                        value=str(req.arg(name)),
                    )
            return self._page(
                req,
                sorted(mentioning, key=_newest_first)[:MENTIONS_REACH],
                minimum=5,
                default=10,
                token=req.arg("pagination_token"),
            )

    def user_tweets(self, req: Request, match) -> Response:
        viewer = self.state.user_for_auth(req)
        excluded = set(req.args("exclude"))
        with self.state.lock:
            if match["id"] not in self.state.users:
                return Response(200, {"errors": [_not_found_error(match["id"], "user", "id")]})
            candidates = [
                t
                for t in self.state.tweets.values()
                if self.state.listed(t, viewer)
                and t["author_id"] == match["id"]
                and not ("replies" in excluded and t["in_reply_to_tweet_id"])
            ]
            return self._page(
                req, candidates, minimum=5, default=10, token=req.arg("pagination_token")
            )

    def lookup(self, req: Request, match) -> Response:
        viewer = self.state.user_for_auth(req)
        ids = req.args("ids")
        if not ids or len(ids) > 100:
            raise _invalid_request("The `ids` query parameter must hold between 1 and 100 ids")
        with self.state.lock:
            found = []
            errors = []
            for tweet_id in ids:
                tweet = self.state.tweets.get(tweet_id)
                if tweet is None or tweet["deleted"]:
                    errors.append(_not_found_error(tweet_id, "tweet", "ids"))
                elif not self.state.visible(tweet, viewer):
                    errors.append(_not_authorized_error(tweet_id, "ids"))
                else:
                    found.append(tweet)
            body = self._with_includes(req, found)
            if not found:
                del body["data"]  # X leaves `data` out when nothing was found
            if errors:
                body["errors"] = errors
            return Response(200, body)

    def lookup_one(self, req: Request, match) -> Response:
        viewer = self.state.user_for_auth(req)
        with self.state.lock:
            tweet = self.state.tweets.get(match["id"])
            if tweet is None or tweet["deleted"]:
                return Response(200, {"errors": [_not_found_error(match["id"], "tweet", "id")]})
            if not self.state.visible(tweet, viewer):
                return Response(200, {"errors": [_not_authorized_error(match["id"], "id")]})
            body = self._with_includes(req, [tweet])
            body["data"] = body["data"][0]
            return Response(200, body)

    # --- helpers -----------------------------------------------------------------------------

    def _page(self, req, candidates, *, minimum, default, token, earliest=None) -> Response:
        max_results = req.int_arg("max_results", default)
        if not minimum <= max_results <= 100:
            raise _invalid_request(
                f"The `max_results` query parameter value [{max_results}] is not between {minimum} and 100"
            )
        since_id = req.int_arg("since_id")
        until_id = req.int_arg("until_id")
        start_time = _time_arg(req, "start_time")
        end_time = _time_arg(req, "end_time")
        if earliest is not None:
            _refuse_before(earliest, since_id=since_id, start_time=start_time, req=req)
        before = _decode_token(token) if token else None
        matching = [
            t
            for t in sorted(candidates, key=_newest_first)
            if (since_id is None or int(t["id"]) > since_id)
            and (until_id is None or int(t["id"]) < until_id)
            and (before is None or int(t["id"]) < before)
            and (start_time is None or t["created_at"] >= start_time)
            and (end_time is None or t["created_at"] < end_time)
        ]
        page = matching[:max_results]
        body = self._with_includes(req, page)
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta["newest_id"] = page[0]["id"]
            meta["oldest_id"] = page[-1]["id"]
        if len(matching) > max_results:
            meta["next_token"] = _encode_token(int(page[-1]["id"]))
        body["meta"] = meta
        if not page:
            body.pop("data", None)
        return Response(200, body)

    def _with_includes(self, req: Request, tweets: list[dict[str, Any]]) -> dict[str, Any]:
        fields = _fields(req, "tweet.fields") | _fields(req, "post.fields")
        user_fields = _fields(req, "user.fields")
        expansions = set(req.args("expansions"))
        body: dict[str, Any] = {"data": [self.state.render_tweet(t, fields) for t in tweets]}
        user_ids: list[str] = []
        included_tweets: list[dict[str, Any]] = []
        for tweet in tweets:
            if "author_id" in expansions:
                user_ids.append(tweet["author_id"])
            if "in_reply_to_user_id" in expansions and tweet["in_reply_to_user_id"]:
                user_ids.append(tweet["in_reply_to_user_id"])
            if "entities.mentions.username" in expansions:
                user_ids += [m["id"] for m in tweet["entities"].get("mentions", []) if "id" in m]
            if expansions & {"referenced_tweets.id", "referenced_posts"}:
                for ref_id in (tweet["in_reply_to_tweet_id"], tweet["quoted_id"]):
                    ref = self.state.tweets.get(ref_id) if ref_id else None
                    if ref and not ref["deleted"] and ref not in included_tweets:
                        included_tweets.append(ref)
        includes: dict[str, Any] = {}
        if user_ids:
            unique = list(dict.fromkeys(user_ids))
            includes["users"] = [
                self.state.render_user(self.state.users[u], user_fields) for u in unique
            ]
        if included_tweets:
            rendered = [self.state.render_tweet(t, fields) for t in included_tweets]
            includes["tweets"] = rendered  # tweepy's name
            includes["posts"] = rendered  # the current OpenAPI name
        if includes:
            body["includes"] = includes
        return body


def _checked(endpoint: str, handler):
    """``handler`` behind the app's access level and a check of the request's query
    against X's published description."""

    def checked(req: Request, match) -> Response:
        state: XState = handler.__self__.state
        enrollment = state.refused_endpoints.get(endpoint)
        if enrollment is not None:
            raise SandboxError(
                403,
                {
                    "client_id": "sandbox",
                    "detail": "You currently have access to a subset of X API V2 endpoints and "
                    "limited v1.1 endpoints (e.g. media post, oauth) only. If you need access to "
                    "this endpoint, you may need a different access level.",
                    "title": "Client Forbidden",
                    "required_enrollment": enrollment,
                    "reason": "client-not-enrolled",
                    "type": "https://api.x.com/2/problems/client-forbidden",
                },
            )
        query_check(endpoint, req)
        return handler(req, match)

    return checked


def query_check(endpoint: str, req: Request) -> None:
    """Refuse, with X's 400 problem, a parameter or value the endpoint does not take."""
    allowed = dict(API_PARAMETERS[endpoint]["parameters"])
    if "post.fields" in allowed:
        fields = allowed["post.fields"]
        allowed["tweet.fields"] = {**fields, "enum": [*fields["enum"], *LEGACY_TWEET_FIELDS]}
    if "expansions" in allowed and "author_id" in allowed["expansions"].get("enum", ()):
        expansions = allowed["expansions"]
        allowed["expansions"] = {**expansions, "enum": [*expansions["enum"], *LEGACY_EXPANSIONS]}
    for name, raw_values in req.query.items():
        spec = allowed.get(name)
        if spec is None:
            raise _invalid_request(
                f"The query parameter [{name}] is not one of [{','.join(allowed)}]",
                parameter=name,
                value=",".join(raw_values),
            )
        values = req.args(name) if spec.get("list") else raw_values
        for value in values:
            problem = _value_problem(spec, value)
            if problem:
                raise _invalid_request(
                    f"The `{name}` query parameter value [{value}] {problem}",
                    parameter=name,
                    value=value,
                )
        if spec.get("max_items") and len(values) > spec["max_items"]:
            raise _invalid_request(
                f"The `{name}` query parameter holds more than {spec['max_items']} values",
                parameter=name,
                value=",".join(values),
            )


def _value_problem(spec: dict, value: str) -> str:
    if "enum" in spec and value not in spec["enum"]:
        return f"is not one of [{','.join(spec['enum'])}]"
    if "pattern" in spec and not re.fullmatch(spec["pattern"], value):
        return "does not match " + spec["pattern"]
    if "minimum" in spec or "maximum" in spec:
        if not re.fullmatch(r"-?\d+", value):
            return "is not an integer"
        if not spec.get("minimum", int(value)) <= int(value) <= spec.get("maximum", int(value)):
            return f"is not between {spec.get('minimum')} and {spec.get('maximum')}"
    if len(value) < spec.get("min_length", 0):
        return "is empty"
    if spec.get("format") == "date-time":
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return "is not an RFC 3339 date-time"
        if moment.tzinfo is None:
            return "has no time zone"
    return ""


def _snowflake_time(post_id: int) -> datetime:
    return datetime.fromtimestamp(((post_id >> 22) + _TWITTER_EPOCH_MS) / 1000, tz=UTC)


def _refuse_before(
    earliest: datetime, *, since_id: int | None, start_time: datetime | None, req: Request
) -> None:
    """X's 400 for a since_id or start_time older than the seven days the endpoint covers."""
    stamp = earliest.strftime("%Y-%m-%dT%H:%MZ")
    if since_id is not None and _snowflake_time(since_id) < earliest:
        raise _invalid_request(
            f"Invalid 'since_id':'{since_id}'. 'since_id' must be a tweet id created after "
            f"{stamp}. Please use a 'since_id' that is larger than the oldest allowed tweet id.",
            parameter="since_id",
            value=str(since_id),
        )
    if start_time is not None and start_time < earliest:
        raise _invalid_request(
            f"Invalid 'start_time':'{req.arg('start_time')}'. 'start_time' must be on or after "
            f"{stamp}",
            parameter="start_time",
            value=str(req.arg("start_time")),
        )


def _time_arg(req: Request, name: str) -> datetime | None:
    value = req.arg(name)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid_request(f"Invalid {name}: {value!r} is not an RFC 3339 timestamp") from None
    if moment.tzinfo is None:
        raise _invalid_request(f"Invalid {name}: {value!r} has no time zone")
    return moment


def _fields(req: Request, name: str) -> set[str]:
    return set(req.args(name))


def x_weighted_length(text: str) -> int:
    """The weighted length X checks against 280 (twitter-text v3 rules)."""
    text = unicodedata.normalize("NFC", text)
    weight = 0
    position = 0
    for url in find_urls(text):
        weight += _x_weight(text[position : url.start]) + X_URL_LENGTH * 100
        position = url.end
    weight += _x_weight(text[position:])
    return weight // 100


def _x_weight(chunk: str) -> int:
    weight = 0
    for cluster in graphemes(chunk):
        if EMOJI.search(cluster):
            weight += 200
            continue
        for char in cluster:
            code = ord(char)
            light = any(low <= code <= high for low, high in _X_LIGHT_RANGES)
            weight += 100 if light else 200
    return weight
