"""LinkedIn organisation pages (the Community Management API) through LinkedIn's own
``linkedin-api-client``.

The client's ``RestliClient`` builds each Rest.li request (``X-RestLi-Protocol-Version:
2.0.0``, ``X-RestLi-Method``, the ``LinkedIn-Version`` header, Rest.li encoding of URNs in
paths and queries) for the module constant ``https://api.linkedin.com/rest`` and sends it
with its ``session``. That session is ours: a ``requests`` session of
``connectors.outbound`` that moves each prepared request onto the channel's base URL (a
sandbox, or the real API) and adds the timeout the client leaves out.

A consultation is announced as a post of the organisation (``POST /rest/posts``, its URN
in the ``x-restli-id`` header); the comments on it and the replies to them, read through
``socialActions``, are its responses. LinkedIn counts calls per application and per
member a day, reset at midnight UTC, and answers 429 past either.

An access token lives 60 days. With LinkedIn's programmatic refresh tokens (a year, fixed
from the member's consent) and the application's client id and secret, the connector mints
a new access token through ``/oauth/v2/accessToken`` (``grant_type=refresh_token``) a
week before the old one runs out, or when LinkedIn answers 401; the new tokens are its
``session``, which services keep encrypted with the channel's other credentials.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import requests
from linkedin_api.clients.restli.client import RestliClient
from linkedin_api.common.constants import VERSIONED_BASE_URL
from linkedin_api.common.errors import (
    InvalidArgumentError,
    InvalidSerializedRestliError,
    ResponseFormattingError,
)
from pydantic import Field, field_validator

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

# LinkedIn versions its Marketing APIs by month and sunsets each about a year later:
# 202603 is served until 16 March 2027 (learn.microsoft.com/linkedin/marketing/integrations/
# migrations); move on before then.
LINKEDIN_VERSION = "202603"
# The "little" text format of a post's commentary: these are markup unless escaped.
LITTLE_TEXT_RESERVED = frozenset("\\|{}@[]()<>#*_~")
# Little's hashtag element (learn.microsoft.com/linkedin/marketing/community-management/
# shares/little-text-format): "#" starting a word of letters and digits, at least one a
# letter. A word with "_" is escaped whole: a stray "_" would cut the text.
LITTLE_TEXT_HASHTAG = re.compile(r"(?<!\w)#(?=[^\W_]*[^\W\d_])[^\W_]+(?!\w)")
# A 429 that names a DAY limit lasts until midnight UTC; any other (LinkedIn's
# "infrastructure protection") passes by itself: a minute lets it.
DAY_LIMIT = re.compile(r"\bDAY\b", re.IGNORECASE)
SHORT_PAUSE_SECONDS = 60
MAX_COUNT = 100
ORGANIZATION_ID = re.compile(r"^(?:urn:li:organization:)?(\d+)$")
# OAuth lives on www.linkedin.com, not on the API's host.
OAUTH_BASE_URL = "https://www.linkedin.com"
# Mint a new access token this long before LinkedIn's 60 days run out.
REFRESH_BEFORE = timedelta(days=7)
# What a comment's author is shown as when LinkedIn gives an application no name for it
# (a member's name needs that member's own consent), by the kind of the actor's URN.
ACTOR_KINDS = {
    "person": "LinkedIn member",
    "member": "LinkedIn member",
    "organization": "LinkedIn page",
    "organizationBrand": "LinkedIn showcase page",
}
COMMENT_URN = re.compile(r"^urn:li:comment:\((?P<target>urn:li:[A-Za-z]+:[^,]+),(?P<id>[^)]+)\)$")


def little_text_escape(text: str) -> str:
    """Commentary in LinkedIn's little text format: each reserved character escaped, so
    "(A40)" or "C#" is shown as written rather than cut off or read as markup; but a
    hashtag ("#CleanAir") is left as little's hashtag element, so it stays a hashtag."""
    hashtags = {found.start() for found in LITTLE_TEXT_HASHTAG.finditer(text)}
    return "".join(
        f"\\{char}" if char in LITTLE_TEXT_RESERVED and index not in hashtags else char
        for index, char in enumerate(text)
    )


def little_text_plain(text: str) -> str:
    """What a little text shows: escapes undone (markup left as written)."""
    return re.sub(r"\\(.)", lambda found: found.group(1), text, flags=re.DOTALL)


def next_day_reset(now: datetime | None = None) -> datetime:
    """The next midnight UTC, when LinkedIn's daily counts start again."""
    moment = now or datetime.now(tz=UTC)
    return datetime.combine(moment.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)


class LinkedInSecrets(SecretsSchema):
    access_token: str = Field(min_length=1, title="Access token (3-legged OAuth, of a page admin)")
    refresh_token: str = Field(default="", title="Refresh token")
    client_id: str = Field(
        default="",
        title="Client id (of the LinkedIn app, to refresh the access token)",
        json_schema_extra={"secret": False},
    )
    client_secret: str = Field(default="", title="Client secret (of the LinkedIn app)")
    organization: str = Field(
        min_length=1,
        title="The organisation's id (or its urn:li:organization URN)",
        json_schema_extra={"secret": False},
    )

    @field_validator("organization")
    @classmethod
    def _organization(cls, value: str) -> str:
        found = ORGANIZATION_ID.match(value.strip())
        if not found:
            raise ValueError("give the organisation's numeric id or its urn:li:organization URN")
        return found.group(1)


class LinkedInAnswer(Exception):
    """LinkedIn answered with an error: ``{"status", "code", "message"}``."""

    def __init__(self, status: int, body: Any):
        body = body if isinstance(body, dict) else {}
        self.status = status
        self.code = str(body.get("code") or body.get("serviceErrorCode") or "")
        self.message = str(body.get("message") or f"HTTP {status}")
        super().__init__(f"{status} {self.code}: {self.message}")


class TokenRefused(Exception):
    """LinkedIn's OAuth endpoint refused: ``{"error", "error_description"}``."""

    def __init__(self, status: int, body: Any):
        body = body if isinstance(body, dict) else {}
        self.status = status
        self.error = str(body.get("error") or f"HTTP {status}")
        self.description = str(body.get("error_description") or "")
        super().__init__(f"{self.error}: {self.description}")


def _epoch(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class RebasedSession(requests.Session):
    """The client's session: its requests for ``api.linkedin.com/rest`` go to ``base_url``."""

    def __init__(self, base_url: str, timeout: float):
        super().__init__()
        self.rest_url = f"{base_url.rstrip('/')}/rest"
        self.timeout = timeout

    def send(self, request, **kwargs):
        if request.url and request.url.startswith(VERSIONED_BASE_URL):
            request.url = self.rest_url + request.url[len(VERSIONED_BASE_URL) :]
        kwargs.setdefault("timeout", self.timeout)
        return super().send(request, **kwargs)


class LinkedInConnector(Connector):
    network = "linkedin"
    label = "LinkedIn"
    default_base_url = "https://api.linkedin.com"
    #: LinkedIn's User Agreement forbids automated commenting that drives
    #: inauthentic engagement (the README).
    automated_replies_allowed = False
    secrets_schema = LinkedInSecrets
    # A post's commentary: 3,000 characters; links count as written.
    text_rules = NetworkRules(network="LinkedIn", limit=3_000)
    idempotent_writes = False
    poll_interval = 60
    backend_options = {"LINKEDIN_VERSION": "linkedin_version"}
    linkedin_version = LINKEDIN_VERSION
    client_errors = (
        LinkedInAnswer,
        ResponseFormattingError,
        InvalidArgumentError,
        InvalidSerializedRestliError,
        requests.RequestException,
    )

    def __init__(self, credentials, *, timeout=10.0, options=None):
        super().__init__(credentials, timeout=timeout, options=options)
        self.client = RestliClient()
        self.client.session = self.http_session(RebasedSession(self.base_url, timeout))
        self.organization_urn = f"urn:li:organization:{self.secrets.organization}"
        self._tokens = self._stored_tokens()
        self._session_string = ""
        self._organization_names: dict[str, str] = {}

    # --- Tokens ---------------------------------------------------------------------------------

    def _stored_tokens(self) -> dict[str, Any]:
        """The tokens last minted (the stored session), if they belong to these credentials."""
        try:
            stored = json.loads(self.credentials.session) if self.credentials.session else {}
        except ValueError:
            stored = {}
        if not isinstance(stored, dict) or not stored.get("access_token"):
            stored = {}
        # New credentials typed in the admin replace whatever was minted from the old ones.
        if stored and stored.get("issued_for") != self.secrets.refresh_token:
            stored = {}
        return stored or {"access_token": self.secrets.access_token}

    @property
    def session(self) -> str:
        return self._session_string

    @property
    def can_refresh(self) -> bool:
        return bool(
            self.secrets.refresh_token and self.secrets.client_id and self.secrets.client_secret
        )

    def _oauth_url(self, path: str) -> str:
        base = OAUTH_BASE_URL if self.base_url == self.default_base_url else self.base_url
        return f"{base}/oauth/v2/{path}"

    def _oauth(self, path: str, form: dict[str, str]) -> dict:
        try:
            answer = self.client.session.post(self._oauth_url(path), data=form)
        except requests.RequestException as error:
            raise TransientError(f"no answer from LinkedIn's OAuth endpoint: {error}") from error
        try:
            body = answer.json()
        except ValueError:
            body = None
        if answer.status_code >= 500:
            raise TransientError(f"LinkedIn's OAuth endpoint answered HTTP {answer.status_code}")
        if answer.status_code >= 400 or not isinstance(body, dict):
            raise TokenRefused(answer.status_code, body)
        return body

    def _refresh(self) -> None:
        """A new access token from the refresh token (LinkedIn's programmatic refresh)."""
        try:
            minted = self._oauth(
                "accessToken",
                {
                    "grant_type": "refresh_token",
                    "refresh_token": str(self._tokens.get("refresh_token") or "")
                    or self.secrets.refresh_token,
                    "client_id": self.secrets.client_id,
                    "client_secret": self.secrets.client_secret,
                },
            )
        except TokenRefused as refused:
            raise PermanentError(
                f"LinkedIn refused to refresh the access token ({refused.error}: "
                f"{refused.description or 'no reason given'}); a page administrator must "
                "connect the channel again"
            ) from refused
        token = str(minted.get("access_token") or "")
        if not token:
            raise TransientError("LinkedIn's OAuth endpoint answered without an access token")
        now = datetime.now(tz=UTC).timestamp()
        expires_in = _epoch(minted.get("expires_in"))
        refresh_in = _epoch(minted.get("refresh_token_expires_in"))
        self._tokens = {
            "access_token": token,
            "access_token_expires_at": int(now + expires_in) if expires_in else None,
            # LinkedIn may hand back the same refresh token (its life is not extended).
            "refresh_token": str(minted.get("refresh_token") or self.secrets.refresh_token),
            "refresh_token_expires_at": int(now + refresh_in) if refresh_in else None,
            "issued_for": self.secrets.refresh_token,
        }
        self._session_string = json.dumps(self._tokens, sort_keys=True)

    def _access_token(self) -> str:
        expires_at = _epoch(self._tokens.get("access_token_expires_at"))
        if (
            self.can_refresh
            and expires_at is not None
            and datetime.fromtimestamp(expires_at, tz=UTC) - datetime.now(tz=UTC) < REFRESH_BEFORE
        ):
            self._refresh()
        return str(self._tokens.get("access_token") or self.secrets.access_token)

    def _access_token_expiry(self) -> datetime | None:
        """When the access token in use runs out, from LinkedIn's token introspection."""
        known = _epoch(self._tokens.get("access_token_expires_at"))
        if known is None and self.secrets.client_id and self.secrets.client_secret:
            try:
                answer = self._oauth(
                    "introspectToken",
                    {
                        "client_id": self.secrets.client_id,
                        "client_secret": self.secrets.client_secret,
                        "token": str(self._tokens.get("access_token") or ""),
                    },
                )
            except (TokenRefused, TransientError):
                return None
            if answer.get("active") is False:
                raise PermanentError("LinkedIn says the access token is no longer active")
            known = _epoch(answer.get("expires_at"))
        return datetime.fromtimestamp(known, tz=UTC) if known else None

    # --- Requests and errors -----------------------------------------------------------------

    def _rest(self, what: str, method: str, *, write: bool = False, **kwargs):
        def send(access_token: str):
            answer = getattr(self.client, method)(
                access_token=access_token,
                version_string=self.linkedin_version,
                **kwargs,
            )
            if answer.status_code >= 400:
                try:
                    body = answer.response.json()
                except ValueError:
                    body = {}
                raise LinkedInAnswer(answer.status_code, body)
            return answer

        try:
            return self._call(what, send, self._access_token(), write=write)
        except PermanentError as refused:
            if not (
                isinstance(refused.__cause__, LinkedInAnswer)
                and refused.__cause__.status == 401
                and self.can_refresh
                and not self._session_string
            ):
                raise
        # The token expired (or was revoked) before its time: one new one, one more try.
        self._refresh()
        return self._call(what, send, self._access_token(), write=write)

    def translate_error(self, error: BaseException, what: str) -> ConnectorError:
        if isinstance(error, requests.RequestException):
            return OutcomeUnknown(f"no answer from LinkedIn to {what}: {error}")
        if isinstance(error, InvalidArgumentError | InvalidSerializedRestliError):
            return PermanentError(f"LinkedIn's client refused {what}: {error}")
        if isinstance(error, ResponseFormattingError):
            return OutcomeUnknown(f"LinkedIn answered {what} with an unreadable body")
        assert isinstance(error, LinkedInAnswer)  # noqa: S101 - client_errors says so
        status = error.status
        if status == 429:
            if DAY_LIMIT.search(error.message):
                return RateLimited(
                    next_day_reset(), f"LinkedIn daily limit reached on {what}: {error.message}"
                )
            return RateLimited(
                datetime.now(tz=UTC) + timedelta(seconds=SHORT_PAUSE_SECONDS),
                f"LinkedIn throttled {what}: {error.message}",
            )
        if status == 401:
            return PermanentError(f"LinkedIn refused the access token: {error.message}")
        if status == 403:
            return PermanentError(f"LinkedIn refused {what} for want of a permission: {error}")
        if status in (404, 410):
            return NotFound(f"LinkedIn could not find what {what} needs")
        if status >= 500:
            return TransientError(f"LinkedIn server error on {what}: {error}")
        return PermanentError(f"LinkedIn refused {what}: {error.message}")

    # --- Account -------------------------------------------------------------------------

    def verify(self) -> ExternalAccount:
        answer = self._rest(
            "organization",
            "get",
            resource_path="/organizations/{id}",
            path_keys={"id": int(self.secrets.organization)},
        )
        entity = answer.entity if isinstance(answer.entity, dict) else {}
        if not entity.get("id"):
            raise PermanentError("LinkedIn gave the organisation without its id")
        if self.can_refresh and not self._tokens.get("refresh_token_expires_at"):
            # Proves the refresh token and the app's secret work now, not in 60 days, and
            # tells how long the refresh token lasts: that is when a person must act.
            self._refresh()
        if self.can_refresh:
            expiry = _epoch(self._tokens.get("refresh_token_expires_at"))
            expire_at = datetime.fromtimestamp(expiry, tz=UTC) if expiry else None
        else:
            expire_at = self._access_token_expiry()
        return ExternalAccount(
            id=str(entity["id"]),
            handle=str(entity.get("vanityName") or entity["id"]),
            display_name=str(entity.get("localizedName") or ""),
            credentials_expire_at=expire_at,
        )

    def actor_name(self, actor_urn: str) -> str:
        """A comment author's name where LinkedIn gives it to an application (an
        organisation's, by the Organization Lookup API), else the kind of its URN."""
        kind = actor_urn.split(":")[2] if actor_urn.count(":") >= 3 else ""
        fallback = ACTOR_KINDS.get(kind, "LinkedIn user")
        found = ORGANIZATION_ID.match(actor_urn) if kind == "organization" else None
        if found is None:
            return fallback
        if actor_urn not in self._organization_names:
            try:
                answer = self._rest(
                    "organization",
                    "get",
                    resource_path="/organizations/{id}",
                    path_keys={"id": int(found.group(1))},
                )
                entity = answer.entity if isinstance(answer.entity, dict) else {}
                name = str(entity.get("localizedName") or "")
            except (NotFound, PermanentError):
                name = ""
            self._organization_names[actor_urn] = name or fallback
        return self._organization_names[actor_urn]

    # --- Publishing ------------------------------------------------------------------------

    def publish(self, post: OutgoingPost) -> ExternalPost:
        """One post of the organisation; LinkedIn has no threads, so a reply_to is posted as
        the organisation's comment on the post it answers."""
        if post.reply_to is not None:
            created = self._rest(
                "comment",
                "create",
                write=True,
                resource_path="/socialActions/{id}/comments",
                path_keys={"id": post.reply_to.id},
                entity={
                    "actor": self.organization_urn,
                    "object": post.root.id if post.root else post.reply_to.id,
                    "message": {"text": post.text},
                },
            )
            entity = created.entity if isinstance(created.entity, dict) else {}
            post_id = str(entity.get("commentUrn") or entity.get("$URN") or "")
        else:
            created = self._rest(
                "post",
                "create",
                write=True,
                resource_path="/posts",
                entity={
                    "author": self.organization_urn,
                    "commentary": little_text_escape(post.text),
                    "visibility": "PUBLIC",
                    "distribution": {
                        "feedDistribution": "MAIN_FEED",
                        "targetEntities": [],
                        "thirdPartyDistributionChannels": [],
                    },
                    "lifecycleState": "PUBLISHED",
                    "isReshareDisabledByAuthor": False,
                },
            )
            post_id = str(created.entity_id or "")
        body = created.response.content.strip()
        if created.status_code != 201 or (body and created.entity is None):
            # A create is answered 201 Created with an empty or JSON body: anything else
            # is not LinkedIn's answer, and the post may or may not exist.
            raise OutcomeUnknown(
                f"LinkedIn answered the post with HTTP {created.status_code} and an unreadable body"
            )
        if not post_id:
            raise OutcomeUnknown("LinkedIn answered the post without its id (x-restli-id)")
        return self.published(post, post_id)

    def delete(self, post: ExternalPost) -> None:
        found = COMMENT_URN.match(post.id)
        try:
            if found:
                self._rest(
                    "delete comment",
                    "delete",
                    write=True,
                    resource_path="/socialActions/{target}/comments/{id}",
                    path_keys={"target": found["target"], "id": found["id"]},
                    query_params={"actor": self.organization_urn},
                )
            else:
                self._rest(
                    "delete",
                    "delete",
                    write=True,
                    resource_path="/posts/{id}",
                    path_keys={"id": post.id},
                )
        except NotFound:
            return

    def recent_posts(self, *, limit: int = 50) -> list[ExternalPost]:
        answer = self._rest(
            "posts",
            "finder",
            resource_path="/posts",
            finder_name="author",
            query_params={
                "author": self.organization_urn,
                "count": max(1, min(limit, MAX_COUNT)),
                "sortBy": "CREATED",
            },
        )
        posts = []
        for item in answer.elements or []:
            if isinstance(item, dict) and item.get("id"):
                created = item.get("createdAt") or item.get("publishedAt")
                posts.append(
                    ExternalPost(
                        id=str(item["id"]),
                        url=self.public_url(str(item["id"])),
                        text=little_text_plain(str(item.get("commentary") or "")),
                        created_at=parse_time(created / 1000 if created else None),
                        author_id=self.credentials.account_id,
                        root_id=str(item["id"]),
                    )
                )
        return posts

    def own_replies(self, post: ExternalPost, *, limit: int = 50) -> list[ExternalPost]:
        """The organisation's own comments on ``post``, newest first: replies are comments
        here (``socialActions``), not posts, so ``recent_posts`` never lists them."""
        answer = self._rest(
            "comments",
            "get_all",
            resource_path="/socialActions/{id}/comments",
            path_keys={"id": post.id},
            query_params={"start": 0, "count": max(1, min(limit, MAX_COUNT))},
        )
        replies = []
        for item in answer.elements or []:
            if not isinstance(item, dict) or item.get("actor") != self.organization_urn:
                continue
            urn = str(item.get("commentUrn") or item.get("$URN") or "")
            created = (item.get("created") or {}).get("time")
            replies.append(
                ExternalPost(
                    id=urn,
                    url=self.public_url(post.id),
                    text=str((item.get("message") or {}).get("text") or ""),
                    created_at=parse_time(created / 1000) if created else None,
                    author_id=self.credentials.account_id,
                    reply_to_id=post.id,
                    root_id=post.root_id or post.id,
                )
            )
        # LinkedIn lists comments oldest first.
        return list(reversed(replies))

    def public_url(self, post_id: str) -> str:
        """linkedin.com/feed/update/<urn> opens a post; elsewhere (a sandbox) its own host."""
        if self.base_url == self.default_base_url:
            return f"https://www.linkedin.com/feed/update/{post_id}/"
        return f"{self.base_url}/feed/update/{post_id}/"

    # --- Collecting --------------------------------------------------------------------------

    def collection_routes(self, scope: CollectionScope) -> list[str]:
        # The organisation's own posts are the routes: LinkedIn gives no search of members'
        # posts by hashtag or mention to an application.
        return [f"comments:{root}" for root in scope.root_ids]

    def fetch_route_page(self, route: str, state: dict, scope: CollectionScope) -> RoutePage:
        """One page of the comments on a post, or on one of its comments (the replies):
        ``state["queue"]`` holds the comments whose replies are still to be read, each
        cycle walking the whole tree again (edits and deletions show only on a re-read)."""
        post_urn = route.partition(":")[2]
        queue = list(state.get("queue") or [post_urn])
        target = str(queue[0])
        start = int(state.get("start") or 0)
        count = max(1, min(scope.page_size, MAX_COUNT))
        try:
            answer = self._rest(
                "comments",
                "get_all",
                resource_path="/socialActions/{id}/comments",
                path_keys={"id": target},
                query_params={"start": start, "count": count},
            )
            elements = answer.elements if isinstance(answer.elements, list) else []
            total = answer.paging.total
        except NotFound:
            # The post (or the comment) was deleted: what was under it went with it.
            elements, total = [], None
        replies: list[IncomingReply] = []
        quarantined: list[QuarantinedItem] = []
        for raw in elements:
            if not isinstance(raw, dict):
                quarantined.append(
                    QuarantinedItem(
                        route="comments", raw={"item": jsonable(raw)}, error="not an object"
                    )
                )
                continue
            urn = str(raw.get("commentUrn") or raw.get("$URN") or "")
            summary = raw.get("commentsSummary") or {}
            if urn and target == post_urn and (summary.get("aggregatedTotalComments") or 0) > 0:
                queue.append(urn)
            if raw.get("actor") == self.organization_urn:
                continue  # the organisation's own comments
            item = self._reply_from(raw, post_urn=post_urn, target=target)
            if isinstance(item, IncomingReply):
                replies.append(item)
            else:
                quarantined.append(item)
        more_here = bool(elements) and (
            (isinstance(total, int) and start + len(elements) < total)
            or (total is None and len(elements) == count)
        )
        if more_here:
            next_state: dict = {"queue": queue, "start": start + len(elements)}
        else:
            queue = queue[1:]
            next_state = {"queue": queue, "start": 0} if queue else {}
        return RoutePage(
            replies=tuple(replies),
            quarantined=tuple(quarantined),
            state=next_state,
            done=not next_state,
            posts_read=len(elements),
        )

    def _reply_from(
        self, raw: dict, *, post_urn: str, target: str
    ) -> IncomingReply | QuarantinedItem:
        raw = jsonable(raw)
        try:
            created = (raw.get("created") or {}).get("time")
            modified = (raw.get("lastModified") or {}).get("time")
            actor = str(raw.get("actor") or "")
            urn = str(raw.get("commentUrn") or raw.get("$URN") or "")
            fields: dict[str, Any] = {
                "id": urn or None,
                "parent_id": str(raw.get("parentComment") or target),
                "root_id": post_urn,
                "author_id": actor or None,
                # A member's name is not the application's to read: their id stands for it.
                "author_handle": actor.rpartition(":")[2],
                "author_display_name": self.actor_name(actor) if actor else "",
                "text": (raw.get("message") or {}).get("text"),
                "created_at": parse_time(created / 1000) if created else None,
                "url": f"{self.public_url(post_urn)}?{urlencode({'commentUrn': urn})}",
            }
            if modified and created and modified > created:
                fields["edited_at"] = parse_time(modified / 1000)
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            return QuarantinedItem(
                route="comments", raw=raw, error=f"unreadable comment: {error!r}"
            )
        return Connector.reply_validate("comments", fields, raw)

    def lookup_posts(self, ids) -> dict[str, str]:
        states: dict[str, str] = {}
        for comment_urn in ids:
            found = COMMENT_URN.match(str(comment_urn))
            if not found:
                states[str(comment_urn)] = PostState.DELETED
                continue
            try:
                self._rest(
                    "comment",
                    "get",
                    resource_path="/socialActions/{target}/comments/{id}",
                    path_keys={"target": found["target"], "id": found["id"]},
                )
            except NotFound:
                states[str(comment_urn)] = PostState.DELETED
                continue
            states[str(comment_urn)] = PostState.LIVE
        return states

    def post_metrics(self, ids) -> dict[str, dict[str, int]]:
        """Each post's (or comment's) ``socialActions`` summary: ``totalLikes`` from its
        ``likesSummary`` and ``aggregatedTotalComments`` (comments with their replies)
        from its ``commentsSummary``."""
        metrics: dict[str, dict[str, int]] = {}
        for urn in ids:
            try:
                answer = self._rest(
                    "social actions",
                    "get",
                    resource_path="/socialActions/{id}",
                    path_keys={"id": str(urn)},
                )
            except NotFound:
                continue
            entity = answer.entity if isinstance(answer.entity, dict) else {}
            counts: dict[str, int] = {}
            for summary, name in (
                ("likesSummary", "totalLikes"),
                ("commentsSummary", "aggregatedTotalComments"),
            ):
                given = (entity.get(summary) or {}).get(name)
                if isinstance(given, int) and not isinstance(given, bool):
                    counts[name] = given
            metrics[str(urn)] = counts
        return metrics
