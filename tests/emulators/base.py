"""An HTTP emulator on 127.0.0.1: routes, a request log, and misbehaviour on demand."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """One request as the emulator received it (tests assert on these)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)


@dataclass
class Response:
    status: int = 200
    body: Any = None  # dict/list -> JSON; bytes/str -> as is
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


@dataclass
class Fault:
    """Misbehaviour for the next matching requests: a status, a delay, or broken JSON."""

    times: int = 1
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    malformed: bool = False
    path_contains: str = ""
    method: str = ""

    def matches(self, request: Request) -> bool:
        return (not self.path_contains or self.path_contains in request.path) and (
            not self.method or self.method == request.method
        )


Handler = Callable[[Request], Response]


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    """Mark an emulator method as the handler of METHOD and a path regex (named groups)."""

    def decorator(function: Handler) -> Handler:
        function.route = (method, re.compile(f"^{pattern}$"))  # type: ignore[attr-defined]
        return function

    return decorator


class Emulator:
    """Subclasses add @route methods and their in-memory store; start() returns the base URL."""

    name = "emulator"

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # Routes come from the class (not the instance: properties would run too early).
        self._routes = [
            (*function.route, getattr(self, name))
            for klass in reversed(type(self).__mro__)
            for name, function in vars(klass).items()
            if callable(function) and hasattr(function, "route")
        ]

    # lifecycle -------------------------------------------------------------------------

    def start(self) -> str:
        emulator = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Without TCP_NODELAY every keep-alive answer waits ~40 ms for Nagle's algorithm.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                return

            def _handle(self) -> None:
                emulator._dispatch(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self._server.daemon_threads = True
        # A short poll interval: stop() returns in 50 ms instead of half a second.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the emulator first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # misbehaviour ----------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        body: Any = None,
        headers: dict[str, str] | None = None,
        path_contains: str = "",
        method: str = "",
    ) -> None:
        with self.lock:
            self.faults.append(
                Fault(
                    times=times,
                    status=status,
                    body=body,
                    headers=headers or {},
                    path_contains=path_contains,
                    method=method,
                )
            )

    def slow_next(
        self, seconds: float, *, times: int = 1, path_contains: str = "", method: str = ""
    ) -> None:
        """Answer the next requests only after `seconds` (past the client's read timeout, or
        a send kept in flight); the request is handled after the wait."""
        with self.lock:
            self.faults.append(
                Fault(times=times, delay=seconds, path_contains=path_contains, method=method)
            )

    def malformed_next(self, *, times: int = 1, path_contains: str = "") -> None:
        """Answer 200 with a body that is not JSON."""
        with self.lock:
            self.faults.append(Fault(times=times, malformed=True, path_contains=path_contains))

    def requests_to(self, method: str, path_pattern: str) -> list[Request]:
        pattern = re.compile(path_pattern)
        with self.lock:
            return [r for r in self.requests if r.method == method and pattern.search(r.path)]

    # dispatch --------------------------------------------------------------------------

    def _take_fault(self, request: Request) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(request):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def _dispatch(self, http: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(http.path)
        length = int(http.headers.get("Content-Length") or 0)
        body = http.rfile.read(length) if length else b""
        request = Request(
            method=http.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={key.lower(): value for key, value in http.headers.items()},
            body=body,
        )
        with self.lock:
            self.requests.append(request)
        try:
            response = self._answer(request)
        except Exception as error:  # an emulator bug answers 500, as a broken server would
            response = Response(500, {"error": f"emulator error: {error!r}"})
        payload = response.encoded()
        try:
            http.send_response(response.status)
            headers = {"Content-Type": "application/json; charset=utf-8", **response.headers}
            for key, value in headers.items():
                http.send_header(key, value)
            http.send_header("Content-Length", str(len(payload)))
            http.end_headers()
            if payload and http.command != "HEAD":
                http.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to answer to

    def _answer(self, request: Request) -> Response:
        fault = self._take_fault(request)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.malformed:
                return Response(200, b'{"orders": [ {"id": 1, "broken', {})
            if fault.status is not None:
                return Response(fault.status, fault.body, fault.headers)
        for method, pattern, handler in self._routes:
            if method != request.method:
                continue
            match = pattern.match(request.path)
            if match:
                request.params = match.groupdict()
                with self.lock:
                    return handler(request)
        return self.not_found(request)

    def not_found(self, request: Request) -> Response:
        return Response(404, {"error": f"No route for {request.method} {request.path}"})
