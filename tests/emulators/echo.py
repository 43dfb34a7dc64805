"""A hostile server: it answers every request with the request itself (headers, query, body)
inside the error shapes vendors use, so tests can prove no credential it echoes reaches a
page, a log, an alert or an e-mail."""

from __future__ import annotations

import json
from typing import Any

from tests.emulators.base import Emulator, Request, Response


class EchoEmulator(Emulator):
    name = "echo"

    def __init__(self, *, status: int = 400, as_json: bool = True) -> None:
        super().__init__()
        self.status = status
        self.as_json = as_json

    def echo_of(self, request: Request) -> dict[str, Any]:
        return {
            "method": request.method,
            "path": request.path,
            "headers": dict(request.headers),
            "query": {name: values for name, values in request.query.items()},
            "body": request.body.decode("utf-8", "replace"),
        }

    def _answer(self, request: Request) -> Response:
        echo = self.echo_of(request)
        # Credentials first: a message cut short must still carry them.
        credentials = {
            name: value
            for name, value in request.headers.items()
            if name not in ("host", "user-agent", "accept", "accept-encoding", "connection")
        }
        text = json.dumps({"query": echo["query"], "headers": credentials, "body": echo["body"]})
        if not self.as_json:  # an HTML error page that prints the request
            return Response(
                self.status, f"<html><pre>{text}</pre></html>", {"Content-Type": "text/html"}
            )
        # Every field a vendor's error parser might read carries the echo.
        return Response(
            self.status,
            {
                "message": text,
                "code": text[:120],
                "title": text,
                "detail": text,
                "error": text,
                "errors": [{"message": text, "extensions": {"code": "ECHO"}}],
                "data": {"echo": echo},
            },
        )
