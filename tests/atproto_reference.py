"""Bluesky's own reference servers as a test target, beside the Bluesky sandbox.

``scripts/services/atproto.sh`` runs the PLC directory, the PDS and the App View
from the npm package ``@atproto/dev-env`` on loopback (``make services-up``). This
module gives tests the same surface as a sandbox server (``base_url``, ``state``
with ``create_account``, ``posts_by``, ``citizen_reply``, ``citizen_post``,
``delete_post``, ``set_blocked``), plus ``process_all()``: the App View indexes
what the PDS writes asynchronously, so a test calls it before reading through
the App View (threads, notifications, getPosts).

Citizens act through plain XRPC calls to the PDS, the way any client would; the
control endpoint of ``network.mjs`` only creates accounts and waits for indexing.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.services import require_service

CONTROL_URL = os.environ.get("HUB_ATPROTO_CONTROL_URL", "http://127.0.0.1:25819")
POST_COLLECTION = "app.bsky.feed.post"
_FACET_PATTERN = re.compile(r"(?<![\w#])#(?P<tag>\w+)|https?://[^\s]+[^\s.,;:!?)]")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass(frozen=True)
class ReferenceAccount:
    id: str  # the DID
    handle: str
    password: str

    @property
    def credentials(self) -> dict[str, str]:
        return {"identifier": self.handle, "password": self.password}


@dataclass
class _Citizen:
    account: ReferenceAccount
    access_jwt: str = field(repr=False)


class ReferenceBluesky:
    """The running reference stack: accounts, citizens' posts and the App View's indexing."""

    network = "bluesky"

    def __init__(self, control_url: str = CONTROL_URL):
        self.control = httpx.Client(base_url=control_url, timeout=60)
        urls = self.control.get("/").raise_for_status().json()
        # The PDS names itself http://localhost:PORT in DID documents; the hub reaches it by
        # address, as a channel on bsky.social reaches an account hosted on another PDS host.
        self.pds_url = urls["pds"]
        self.base_url = urls["pds"].replace("//localhost:", "//127.0.0.1:")
        self.xrpc = httpx.Client(base_url=f"{self.base_url}/xrpc", timeout=30)
        self.departments: list[ReferenceAccount] = []
        self._citizens: dict[str, _Citizen] = {}
        self._by_did: dict[str, _Citizen] = {}

    @property
    def state(self) -> ReferenceBluesky:
        """The same object: tests written for a sandbox reach its state through ``server.state``."""
        return self

    def close(self) -> None:
        self.control.close()
        self.xrpc.close()

    # --- the stack ------------------------------------------------------------------------

    def process_all(self) -> None:
        """Return once the App View has indexed everything written so far."""
        self.control.post("/process-all").raise_for_status()

    def _new_account(self, name: str) -> _Citizen:
        created = self.control.post("/accounts", json={"name": name}).raise_for_status().json()
        account = ReferenceAccount(
            id=created["did"], handle=created["handle"], password=created["password"]
        )
        session = self._xrpc(
            "POST",
            "com.atproto.server.createSession",
            json={"identifier": account.handle, "password": account.password},
        )
        citizen = _Citizen(account=account, access_jwt=session["accessJwt"])
        self._by_did[account.id] = citizen
        return citizen

    def _xrpc(self, method: str, nsid: str, *, token: str | None = None, **kwargs) -> dict:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = self.xrpc.request(method, f"/{nsid}", headers=headers, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else {}

    # --- the sandbox's surface --------------------------------------------------------------

    def create_account(
        self, *, handle: str, display_name: str | None = None, password: str | None = None
    ) -> ReferenceAccount:
        """A department's account (its password is the stack's, not ``password``)."""
        account = self._new_account(handle).account
        self.departments.append(account)
        self.process_all()  # getProfile (verify) answers from the App View
        return account

    def citizen(self, handle: str) -> ReferenceAccount:
        return self._citizen(handle).account

    def _citizen(self, handle: str) -> _Citizen:
        if handle not in self._citizens:
            self._citizens[handle] = self._new_account(handle)
        return self._citizens[handle]

    def posts_by(self, account_id: str) -> list[dict[str, Any]]:
        """Live posts in the author's repository, newest first, as ``{uri, cid, record}``."""
        records = self._xrpc(
            "GET",
            "com.atproto.repo.listRecords",
            params={"repo": account_id, "collection": POST_COLLECTION, "limit": 100},
        )["records"]
        posts = [{"uri": r["uri"], "cid": r["cid"], "record": r["value"]} for r in records]
        return sorted(posts, key=lambda post: post["uri"].rsplit("/", 1)[-1], reverse=True)

    def get_post(self, post_id: str) -> dict[str, Any] | None:
        repo, _, rkey = post_id.removeprefix("at://").partition(f"/{POST_COLLECTION}/")
        response = self.xrpc.get(
            "/com.atproto.repo.getRecord",
            params={"repo": repo, "collection": POST_COLLECTION, "rkey": rkey},
        )
        if response.status_code == 400 and response.json().get("error") == "RecordNotFound":
            return None
        record = response.raise_for_status().json()
        return {"uri": record["uri"], "cid": record["cid"], "record": record["value"]}

    def post_record(self, handle: str, record: dict[str, Any]) -> dict[str, Any]:
        """Any post record, as the citizen ``handle`` writes it (``createdAt`` filled in, and
        facets for its hashtags and links unless given, as the Bluesky app writes them)."""
        citizen = self._citizen(handle)
        record = {"$type": POST_COLLECTION, "createdAt": _now(), "langs": ["en"], **record}
        if "facets" not in record and (facets := _facets(record["text"])):
            record["facets"] = facets
        created = self._xrpc(
            "POST",
            "com.atproto.repo.createRecord",
            token=citizen.access_jwt,
            json={"repo": citizen.account.id, "collection": POST_COLLECTION, "record": record},
        )
        return {"uri": created["uri"], "cid": created["cid"], "record": record}

    def citizen_reply(
        self, parent_id: str, *, handle: str, text: str, display_name: str | None = None, **record
    ) -> dict[str, Any]:
        parent = self.get_post(parent_id)
        if parent is None:
            raise LookupError(f"no live post {parent_id}")
        parent_ref = {"uri": parent["uri"], "cid": parent["cid"]}
        root_ref = (parent["record"].get("reply") or {}).get("root") or parent_ref
        return self.post_record(
            handle, {"text": text, "reply": {"root": root_ref, "parent": parent_ref}, **record}
        )

    def citizen_post(
        self,
        *,
        handle: str,
        text: str,
        display_name: str | None = None,
        quote_of: str | None = None,
        **record,
    ) -> dict[str, Any]:
        if quote_of:
            quoted = self.get_post(quote_of)
            if quoted is None:
                raise LookupError(f"no live post {quote_of}")
            record.setdefault(
                "embed",
                {
                    "$type": "app.bsky.embed.record",
                    "record": {"uri": quoted["uri"], "cid": quoted["cid"]},
                },
            )
        return self.post_record(handle, {"text": text, **record})

    def delete_post(self, post_id: str) -> None:
        repo, _, rkey = post_id.removeprefix("at://").partition(f"/{POST_COLLECTION}/")
        author = self._by_did.get(repo)
        if author is None:
            raise LookupError(f"{post_id} was not written by an account this helper made")
        self._xrpc(
            "POST",
            "com.atproto.repo.deleteRecord",
            token=author.access_jwt,
            json={"repo": repo, "collection": POST_COLLECTION, "rkey": rkey},
        )

    def set_blocked(self, post_id: str) -> None:
        """The post's author blocks every department account (a blockedPost node to them)."""
        repo = post_id.removeprefix("at://").split("/", 1)[0]
        author = self._by_did[repo]
        for department in self.departments:
            self._xrpc(
                "POST",
                "com.atproto.repo.createRecord",
                token=author.access_jwt,
                json={
                    "repo": repo,
                    "collection": "app.bsky.graph.block",
                    "record": {
                        "$type": "app.bsky.graph.block",
                        "subject": department.id,
                        "createdAt": _now(),
                    },
                },
            )


def _facets(text: str) -> list[dict[str, Any]]:
    facets = []
    for match in _FACET_PATTERN.finditer(text):
        start = len(text[: match.start()].encode("utf-8"))
        end = start + len(match.group().encode("utf-8"))
        if match["tag"]:
            feature = {"$type": "app.bsky.richtext.facet#tag", "tag": match["tag"]}
        else:
            feature = {"$type": "app.bsky.richtext.facet#link", "uri": match.group()}
        facets.append({"index": {"byteStart": start, "byteEnd": end}, "features": [feature]})
    return facets


def reference_problem(control_url: str = CONTROL_URL) -> str | None:
    try:
        httpx.get(f"{control_url}/", timeout=5).raise_for_status()
    except httpx.HTTPError as error:
        return f"its control endpoint {control_url} does not answer ({error})"
    return None


def reference_bluesky() -> ReferenceBluesky:
    """The running stack, or a failure (make test, CI) / skip (by hand) saying how to start it."""
    require_service(
        "The reference Bluesky stack (scripts/services/atproto.sh)", reference_problem()
    )
    return ReferenceBluesky()
