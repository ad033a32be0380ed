"""A real HTTP origin on loopback, for tests that need the far side of an HTTP fetch.

`LoopbackOrigin` binds 127.0.0.1 (or another loopback address given as `host`: 127.0.0.2,
::1) on a free port, serves canned replies from a background thread, and records every
request it receives::

    routes = {
        "/static/images/cat.png": (200, {"Content-Type": "image/png"}, PNG_BYTES),
        "/slow.png": Reply(body=PNG_BYTES, delay=5.0),
        "/big.png": Reply(body=b"x" * 10_000_000, chunked=True),
        "/echo": lambda request: Reply(body=request.target.encode()),
    }
    with LoopbackOrigin(routes) as origin:
        fetch(origin.base_url + "/static/images/cat.png")
        assert origin.paths == ["/static/images/cat.png"]

A route is a `Reply`, a `(status, headers, body)` tuple, or a function of the
`RecordedRequest` answering a `Reply`. Routes match the percent-decoded path without its query
string; anything unrouted answers 404. Routes can be added while the server runs (`route`).

Replies are sent as HTTP/1.1 with keep-alive. The body is framed by a computed Content-Length,
or by chunked transfer coding (`chunked=True`). A Content-Length given in `headers` is sent as
is, true or not, and the connection is closed after the body, so a test can send a short body.
`close_delimited=True` sends neither (HTTP/1.0 style: the body ends when the connection does).
`abort=True` closes the connection without a status line, as a crashing origin would.
`delay` holds the status line back, `chunk_delay` trickles the body; both are cut short when the
server stops, so a slow route never slows the test suite's teardown.

Stopping (leaving the `with` block, also on failure) wakes delayed replies, stops accepting,
closes every open connection and joins the serving thread. A handler function that raises is
answered with a 500 and its exception is kept in `errors`, for the test to assert on.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import cast
from urllib.parse import unquote, urlsplit

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Reply:
    """What the origin answers on one route."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0  # seconds before the status line
    chunked: bool = False  # Transfer-Encoding: chunked instead of Content-Length
    chunk_size: int = 64 * 1024  # the body is written in pieces of this size...
    chunk_delay: float = 0.0  # ...with this many seconds between them
    close_delimited: bool = False  # no Content-Length, no chunking: the close ends the body
    abort: bool = False  # close the connection without answering at all


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the origin received it."""

    method: str
    target: str  # the request target exactly as sent: percent-encoded, with the query
    path: str  # the percent-decoded path, without the query
    headers: Mapping[str, str]  # names lower-cased
    client_port: int  # the same port for requests that shared a kept-alive connection


Handler = Callable[[RecordedRequest], Reply]
Route = Reply | tuple[int, Mapping[str, str], bytes] | Handler


class LoopbackOrigin:
    """An HTTP origin on 127.0.0.1:<free port>, serving `routes`; use it as a context manager."""

    def __init__(self, routes: Mapping[str, Route] | None = None, host: str = LOOPBACK) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"a loopback origin binds loopback addresses only, not {host}")
        self._host = host
        self._routes: dict[str, Route] = dict(routes or {})
        self._requests: list[RecordedRequest] = []
        self._errors: list[BaseException] = []
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> LoopbackOrigin:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Bind a free loopback port and serve from a daemon thread."""
        if self._server is not None:
            raise RuntimeError("the origin is already running")
        self._stopping.clear()
        self._server = _Server((self._host, 0), _RequestHandler, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"loopback-origin-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close every connection; safe to call twice."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            _shut(connection)
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the origin is not running")
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        """The loopback address it listens on."""
        return self._host

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>` (`http://[::1]:<port>`), without a trailing slash."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    def url(self, path: str) -> str:
        """The absolute URL of `path` (which starts with "/")."""
        return self.base_url + path

    def route(self, path: str, route: Route) -> None:
        """Serve `route` at `path` from now on (replacing what was there)."""
        with self._lock:
            self._routes[path] = route

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def paths(self) -> list[str]:
        """The decoded path of every request received so far."""
        return [request.path for request in self.requests]

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions raised by handler functions (each was answered with a 500)."""
        with self._lock:
            return list(self._errors)

    def _record(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self._requests.append(request)
            route = self._routes.get(request.path)
        return self._reply_for(route, request)

    def _reply_for(self, route: Route | None, request: RecordedRequest) -> Reply:
        if route is None:
            return Reply(404, {"Content-Type": "text/plain"}, b"not found")
        if isinstance(route, Reply):
            return route
        if isinstance(route, tuple):
            status, headers, body = route
            return Reply(status, headers, body)
        try:
            return route(request)
        except Exception as exc:
            with self._lock:
                self._errors.append(exc)
            return Reply(500, {"Content-Type": "text/plain"}, repr(exc).encode())

    def _pause(self, seconds: float) -> bool:
        """Sleep unless the server stops first; True when it is still running."""
        return seconds <= 0 or not self._stopping.wait(seconds)

    def _track(self, connection: socket.socket, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        origin: LoopbackOrigin,
    ) -> None:
        self.origin = origin
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, handler)

    def handle_error(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: object
    ) -> None:
        # A client that gives up mid-body (a size cap, a timeout) is what these tests provoke.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # an idle keep-alive connection ends by itself if nobody stops the server

    @property
    def origin(self) -> LoopbackOrigin:
        return cast(_Server, self.server).origin

    def setup(self) -> None:
        super().setup()
        self.origin._track(self.connection, open_=True)

    def finish(self) -> None:
        self.origin._track(self.connection, open_=False)
        super().finish()

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep pytest's output for the test's own messages

    def _answer(self, *, with_body: bool) -> None:
        reply = self.origin._record(self._recorded())
        if not self.origin._pause(reply.delay) or reply.abort:
            self.close_connection = True
            return
        self._send_head(reply)
        if with_body:
            self._send_body(reply)

    def _recorded(self) -> RecordedRequest:
        return RecordedRequest(
            method=self.command,
            target=self.path,
            path=unquote(urlsplit(self.path).path),
            headers={name.lower(): value for name, value in self.headers.items()},
            client_port=int(self.client_address[1]),
        )

    def _send_head(self, reply: Reply) -> None:
        self.send_response(reply.status)
        names = {name.lower() for name in reply.headers}
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif "content-length" in names or reply.close_delimited:
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()

    def _send_body(self, reply: Reply) -> None:
        for start in range(0, len(reply.body), max(reply.chunk_size, 1)):
            if start and not self.origin._pause(reply.chunk_delay):
                self.close_connection = True
                return
            piece = reply.body[start : start + reply.chunk_size]
            self.wfile.write(_chunk(piece) if reply.chunked else piece)
            self.wfile.flush()
        if reply.chunked:
            self.wfile.write(b"0\r\n\r\n")


def _chunk(piece: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(piece), piece)


def _shut(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the client
        connection.shutdown(socket.SHUT_RDWR)
