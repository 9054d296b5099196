"""Shared HTTP plumbing for the sandbox networks: routing, faults, control endpoints.

Standalone on purpose (stdlib only, no Django): `manage.py sandbox`, pytest fixtures and
other processes all start the same servers.
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast, overload
from urllib.parse import parse_qs, quote, unquote, urlsplit

FAULT_KINDS = (
    "rate_limit",
    "server_error",
    "timeout",
    "malformed",
    "crash_after_write",
    "hold_after_write",
)
RATE_WINDOW_SECONDS = 900


class SandboxError(Exception):
    """A request the sandbox refuses; `status` and `body` become the HTTP response."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None):
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


@dataclass(frozen=True)
class SandboxAccount:
    id: str
    handle: str
    display_name: str
    credentials: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "handle": self.handle,
            "display_name": self.display_name,
            "credentials": dict(self.credentials),
        }


@dataclass(frozen=True)
class DemoReply:
    """One thing a demo citizen writes on a network, for ``NetworkApi.demo_replies``.

    ``kind`` is "reply" (to the department's announcement), "mention" (a post naming
    the department's account) or "hashtag" (a post with the consultation's hashtag);
    ``answers`` is the index of an earlier reply in the same list that this one answers
    instead (citizens talk to each other under the announcement).
    """

    kind: str
    handle: str
    display_name: str
    text: str
    answers: int | None = None


DEMO_REPLY_KINDS = ("reply", "mention", "hashtag")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name) or self.query.get(f"{name}[]")
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        """Repeated (`a=1&a=2`, `a[]=1`) and comma-separated (`a=1,2`) values alike."""
        values: list[str] = []
        for raw in self.query.get(name, []) + self.query.get(f"{name}[]", []):
            values.extend(v for v in raw.split(",") if v)
        return values

    @overload
    def int_arg(self, name: str, default: int) -> int: ...
    @overload
    def int_arg(self, name: str, default: None = None) -> int | None: ...
    def int_arg(self, name: str, default: int | None = None) -> int | None:
        value = self.arg(name)
        if value in (None, ""):
            return default
        try:
            return int(value)
        except ValueError:
            raise SandboxError(400, {"error": f"{name} must be an integer"}) from None

    def json(self) -> dict[str, Any]:
        if not self.body:
            return {}
        try:
            data = json.loads(self.body)
        except ValueError:
            raise SandboxError(400, {"error": "request body is not valid JSON"}) from None
        if not isinstance(data, dict):
            raise SandboxError(400, {"error": "request body must be a JSON object"})
        return data

    def form(self) -> dict[str, Any]:
        """JSON or form-encoded body, whichever the client sent (Mastodon.py sends either)."""
        content_type = self.headers.get("content-type", "")
        if "application/json" in content_type:
            return self.json()
        parsed = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {k: (v if k.endswith("[]") else v[0]) for k, v in parsed.items()}

    def bearer_token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        return None


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


Handler = Callable[[Request, "re.Match[str]"], Response]


@dataclass
class Fault:
    kind: str
    times: int
    path: str | None
    reset_in: float
    hold: float
    #: Matching requests to let through untouched first ("the third post", not the next).
    skip: int = 0
    method: str | None = None


class RateWindow:
    """Per-endpoint request counters behind the rate-limit headers every response carries."""

    def __init__(self, limit: int):
        self.limit = limit
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[float, int]] = {}

    def hit(self, key: str) -> tuple[int, int, float]:
        """(limit, remaining, reset epoch seconds) after counting one request."""
        now = time.time()
        with self._lock:
            reset, used = self._counts.get(key, (0.0, 0))
            if reset <= now:
                reset, used = now + RATE_WINDOW_SECONDS, 0
            used += 1
            self._counts[key] = (reset, used)
        return self.limit, max(self.limit - used, 0), reset


class NetworkState:
    """Base of the per-network state: one lock, a request log, shared id helpers."""

    network = ""
    #: Whether the network lets an author edit a post (``edit_post``); the post page offers
    #: an edit form only then.
    can_edit_posts = False

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.request_log: list[tuple[str, str]] = []
        self.base_url = ""

    # The per-network classes implement these; the control endpoints call them.
    def create_account(self, *, handle: str, display_name: str | None = None, password=None):
        raise NotImplementedError

    def citizen_reply(self, parent_id: str, *, handle: str, text: str, display_name=None):
        raise NotImplementedError

    def citizen_post(self, *, handle: str, text: str, display_name=None):
        raise NotImplementedError

    def delete_post(self, post_id: str) -> None:
        raise NotImplementedError

    def edit_post(self, post_id: str, text: str):
        raise SandboxError(400, {"error": f"{self.network} does not support edits"})

    def get_post(self, post_id: str) -> dict | None:
        raise NotImplementedError

    def snapshot(self) -> dict[str, Any]:
        raise NotImplementedError

    def post_summaries(self) -> list[dict[str, Any]]:
        """[{id, author, text, created_at, parent_id, deleted}] for the HTML pages, newest first."""
        raise NotImplementedError


class NetworkApi:
    """What a network's sandbox module provides to the shared server: its routes and the
    shapes of its rate-limit headers and error bodies. Registered by dotted path as the
    ``SANDBOX`` of the network's ``HUB_CONNECTORS`` entry."""

    network = ""
    state_class: type[NetworkState] = NetworkState
    #: Where ``manage.py sandbox`` listens for it unless told otherwise.
    default_port = 0

    def __init__(self, state: NetworkState | None = None):
        self.state = state if state is not None else self.state_class()

    def routes(self) -> list[tuple[str, str, Handler]]:
        raise NotImplementedError

    def rate_limit_headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        raise NotImplementedError

    def rate_limited(self, reset: float) -> Response:
        raise NotImplementedError

    def server_error(self) -> Response:
        return Response(503, {"error": "Service Unavailable"})

    def not_found(self, req: Request) -> Response:
        return Response(404, {"error": f"No route for {req.method} {req.path}"})

    @classmethod
    def demo_replies(cls, *, account: str, hashtag: str) -> list[DemoReply]:
        """What the demo's citizens write on this network about the demo consultation,
        the way people write there; ``account`` is how they mention the department
        (without "@"), ``hashtag`` the consultation's (without "#")."""
        return []


def iso_now() -> str:
    return iso(datetime.now(UTC))


def iso(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


class SandboxServer:
    """One sandbox network listening on loopback in a daemon thread."""

    def __init__(self, api: NetworkApi, host: str = "127.0.0.1", port: int = 0):
        self.api = api
        self.network = api.network
        self.state = api.state
        self._faults: list[Fault] = []
        self._faults_lock = threading.Lock()
        self._stopping = threading.Event()
        self._routes = [(m, re.compile(f"^{p}$"), h) for m, p, h in api.routes()]
        self._routes += [(m, re.compile(f"^{p}$"), h) for m, p, h in self._control_routes()]
        self.rate_window = RateWindow(limit=getattr(api, "rate_limit", 300))
        self.httpd = ThreadingHTTPServer((host, port), _make_handler(self))
        self.httpd.daemon_threads = True
        # An AF_INET server's address is (host, port); the stub also allows AF_UNIX's bytes.
        self.host, self.port = cast(tuple[str, int], self.httpd.server_address[:2])
        self.base_url = f"http://{self.host}:{self.port}"
        self.state.base_url = self.base_url
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sandbox-{self.network}",
            daemon=True,
        )
        self._thread.start()

    def __repr__(self) -> str:
        return f"<SandboxServer {self.network} {self.base_url}>"

    def stop(self) -> None:
        self._stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)

    # --- faults ---------------------------------------------------------------------

    def inject_fault(
        self,
        kind: str,
        *,
        times: int = 1,
        path: str | None = None,
        reset_in: float = 1.0,
        hold: float = 3.0,
        skip: int = 0,
        method: str | None = None,
    ) -> None:
        """Make the next `times` matching requests fail as `kind`.

        `hold` is how long a "timeout" keeps the request open before closing it without
        an answer: set it above the client's timeout. "hold_after_write" does the
        request, then keeps the answer back for `hold` seconds: a client killed
        meanwhile has written without knowing it. `skip` lets that many matching
        requests through first; `method` narrows the match (e.g. "POST").
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        if times < 1:
            raise ValueError("times must be at least 1")
        if skip < 0:
            raise ValueError("skip must not be negative")
        fault = Fault(kind, times, path, float(reset_in), float(hold), int(skip), method)
        with self._faults_lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        with self._faults_lock:
            self._faults.clear()

    def _take_fault(self, method: str, path: str) -> Fault | None:
        if path.startswith("/_sandbox/") or path == "/":
            return None
        with self._faults_lock:
            for fault in self._faults:
                if fault.method not in (None, method):
                    continue
                if fault.path is None or path.startswith(fault.path):
                    if fault.skip:
                        fault.skip -= 1
                        return None
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # --- dispatch -------------------------------------------------------------------

    def dispatch(self, req: Request) -> Response:
        for method, pattern, handler in self._routes:
            if method != req.method:
                continue
            match = pattern.match(req.path)
            if match:
                try:
                    return handler(req, match)
                except SandboxError as error:
                    return Response(error.status, error.body, dict(error.headers))
                except Exception as error:  # noqa: BLE001 - a sandbox bug must answer 500, not hang the client
                    return Response(500, {"error": f"sandbox error: {error!r}"})
        return self.api.not_found(req)

    def rate_headers(self, req: Request) -> dict[str, str]:
        # One window per endpoint (route pattern), not per concrete path with its ids.
        key = next(
            (
                f"{method} {pattern.pattern}"
                for method, pattern, _ in self._routes
                if method == req.method and pattern.match(req.path)
            ),
            f"{req.method} {req.path}",
        )
        limit, remaining, reset = self.rate_window.hit(key)
        return self.api.rate_limit_headers(limit, remaining, reset)

    # --- control endpoints ----------------------------------------------------------

    def _control_routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", r"/", self._html_index),
            ("GET", r"/_sandbox/state", lambda req, m: Response(body=self.state.snapshot())),
            # One shape on every network: what a test counts posts with (the system test).
            (
                "GET",
                r"/_sandbox/summaries",
                lambda req, m: Response(body={"posts": self.state.post_summaries()}),
            ),
            ("POST", r"/_sandbox/accounts", self._control_account),
            ("POST", r"/_sandbox/replies", self._control_reply),
            ("POST", r"/_sandbox/posts", self._control_post),
            ("POST", r"/_sandbox/faults", self._control_fault),
            ("DELETE", r"/_sandbox/faults", self._control_clear_faults),
            ("DELETE", r"/_sandbox/posts/(?P<id>.+)", self._control_delete),
            ("POST", r"/_sandbox/posts/(?P<id>.+)/edit", self._control_edit),
            ("POST", r"/_sandbox/posts/(?P<id>.+)/reply", self._form_reply),
            ("POST", r"/_sandbox/posts/(?P<id>.+)/delete", self._form_delete),
            ("GET", r"/_sandbox/posts/(?P<id>.+)", self._html_post),
        ]

    @staticmethod
    def _required(data: dict[str, Any], *names: str) -> list[Any]:
        missing = [n for n in names if not data.get(n)]
        if missing:
            raise SandboxError(400, {"error": f"missing field(s): {', '.join(missing)}"})
        return [data[n] for n in names]

    def _control_account(self, req: Request, match) -> Response:
        data = req.json()
        (handle,) = self._required(data, "handle")
        account = self.state.create_account(
            handle=handle, display_name=data.get("display_name"), password=data.get("password")
        )
        return Response(201, account.as_dict())

    def _control_reply(self, req: Request, match) -> Response:
        data = req.json()
        parent_id, handle, text = self._required(data, "parent_id", "handle", "text")
        post = self.state.citizen_reply(
            parent_id, handle=handle, text=text, display_name=data.get("display_name")
        )
        return Response(201, post)

    def _control_post(self, req: Request, match) -> Response:
        data = req.json()
        handle, text = self._required(data, "handle", "text")
        post = self.state.citizen_post(
            handle=handle, text=text, display_name=data.get("display_name")
        )
        return Response(201, post)

    def _control_fault(self, req: Request, match) -> Response:
        data = req.json()
        (kind,) = self._required(data, "kind")
        try:
            self.inject_fault(
                kind,
                times=int(data.get("times", 1)),
                path=data.get("path"),
                reset_in=float(data.get("reset_in", 1.0)),
                hold=float(data.get("hold", 3.0)),
                skip=int(data.get("skip", 0)),
                method=data.get("method"),
            )
        except (TypeError, ValueError) as error:
            raise SandboxError(400, {"error": str(error)}) from None
        return Response(201, {"kind": kind, "times": int(data.get("times", 1))})

    def _control_clear_faults(self, req: Request, match) -> Response:
        self.clear_faults()
        return Response(204)

    def _control_delete(self, req: Request, match) -> Response:
        self.state.delete_post(unquote(match["id"]))
        return Response(204)

    def _control_edit(self, req: Request, match) -> Response:
        (text,) = self._required(req.form(), "text")
        edited = self.state.edit_post(unquote(match["id"]), text)
        if _from_html_form(req):
            return _see_post(_post_key(edited) or unquote(match["id"]))
        return Response(200, edited)

    # The post page's forms: what a person does in a browser, answered with a redirect.

    def _form_reply(self, req: Request, match) -> Response:
        handle, text = self._required(req.form(), "handle", "text")
        reply = self.state.citizen_reply(unquote(match["id"]), handle=handle, text=text)
        return _see_post(_post_key(reply))

    def _form_delete(self, req: Request, match) -> Response:
        self.state.delete_post(unquote(match["id"]))
        return _see_post(unquote(match["id"]))

    def _html_index(self, req: Request, match) -> Response:
        rows = []
        for post in self.state.post_summaries():
            link = f"/_sandbox/posts/{_quote_id(post['id'])}"
            status = " <em>(deleted)</em>" if post["deleted"] else ""
            reply = (
                f" ↳ reply to <code>{html.escape(post['parent_id'])}</code>"
                if post.get("parent_id")
                else ""
            )
            rows.append(
                f"<li><a href='{link}'>{html.escape(post['created_at'])}</a> "
                f"<strong>@{html.escape(post['author'])}</strong>{reply}{status}"
                f"<br>{html.escape(post['text'])}</li>"
            )
        body = "".join(rows) or "<li>No posts yet.</li>"
        return _html_page(f"{self.network} sandbox", f"<ul>{body}</ul>")

    def _html_post(self, req: Request, match) -> Response:
        post_id = unquote(match["id"])
        for post in self.state.post_summaries():
            if post["id"] == post_id or post.get("short_id") == post_id:
                status = "<p><em>This post was deleted.</em></p>" if post["deleted"] else ""
                forms = (
                    "" if post["deleted"] else _post_forms(post, can_edit=self.state.can_edit_posts)
                )
                return _html_page(
                    f"Post {post['id']}",
                    f"<p><strong>@{html.escape(post['author'])}</strong> · "
                    f"{html.escape(post['created_at'])}</p>{status}"
                    f"<blockquote>{html.escape(post['text'])}</blockquote>"
                    f"<p><code>{html.escape(post['id'])}</code></p>{forms}"
                    "<p><a href='/'>All posts</a></p>",
                )
        return Response(404, "<p>No such post.</p>", content_type="text/html; charset=utf-8")


def _quote_id(post_id: str) -> str:
    return quote(post_id, safe="")


def _post_key(post: dict[str, Any]) -> str:
    """A rendered post's id on its network (Bluesky names posts by URI)."""
    return str(post.get("id") or post.get("uri") or "")


def _from_html_form(req: Request) -> bool:
    return "application/x-www-form-urlencoded" in req.headers.get("content-type", "")


def _see_post(post_id: str) -> Response:
    return Response(303, b"", {"Location": f"/_sandbox/posts/{_quote_id(post_id)}"})


def _post_forms(post: dict[str, Any], *, can_edit: bool) -> str:
    """Reply as a citizen; edit (where the network allows it) or delete the post as its
    author (the demo's citizen replies)."""
    action = f"/_sandbox/posts/{_quote_id(post['id'])}"
    text = html.escape(post["text"])
    edit = (
        f"<form method='post' action='{action}/edit'><h2>Edit this post</h2>"
        f"<p><textarea name='text' required rows='3' cols='60'>{text}</textarea></p>"
        "<button>Save the edit</button></form>"
        if can_edit
        else ""
    )
    return (
        f"<form method='post' action='{action}/reply'><h2>Reply as a citizen</h2>"
        "<p><label>Your handle <input name='handle' required value='citizen'></label></p>"
        "<p><label>Your reply <textarea name='text' required rows='3' cols='60'></textarea>"
        f"</label></p><button>Reply</button></form>{edit}"
        f"<form method='post' action='{action}/delete'><button>Delete this post</button></form>"
    )


def _html_page(title: str, content: str) -> Response:
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head><body>"
        f"<h1>{html.escape(title)}</h1>{content}</body></html>"
    )
    return Response(200, page, content_type="text/html; charset=utf-8")


def _make_handler(server: SandboxServer) -> type[BaseHTTPRequestHandler]:
    class SandboxRequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = f"sandbox-{server.network}/1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the request log is on the state; stderr noise helps nobody in tests

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            path = parts.path
            if len(path) > 1 and path.endswith("/"):
                path = path.rstrip("/")  # Mastodon.py asks for /api/v1/instance/ with the slash
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            req = Request(
                method=self.command,
                path=path,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            with server.state.lock:
                server.state.request_log.append((req.method, path))

            fault = server._take_fault(req.method, path)
            if fault and fault.kind == "timeout":
                server._stopping.wait(fault.hold)
                self._drop()
                return
            if fault and fault.kind == "rate_limit":
                reset = time.time() + fault.reset_in
                response = server.api.rate_limited(reset)
                response.headers.update(
                    server.api.rate_limit_headers(server.rate_window.limit, 0, reset)
                )
                self._send(response)
                return
            if fault and fault.kind == "server_error":
                response = server.api.server_error()
                response.headers.update(server.rate_headers(req))
                self._send(response)
                return

            response = server.dispatch(req)
            if fault and fault.kind == "crash_after_write":
                self._drop()
                return
            if fault and fault.kind == "hold_after_write":
                server._stopping.wait(fault.hold)
            if not path.startswith("/_sandbox/") and path != "/":
                response.headers = {**server.rate_headers(req), **response.headers}
            if fault and fault.kind == "malformed":
                response = Response(200, b'{"data": {"id": "1", "text": ', response.headers)
            self._send(response)

        def _drop(self) -> None:
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass

        def _send(self, response: Response) -> None:
            payload = response.encoded()
            self.send_response(response.status)
            if response.status != 204:
                self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle

    return SandboxRequestHandler
