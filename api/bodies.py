"""Request bodies: JSON, and no larger than the documented limits (docs/api.md)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import HttpRequest

from api.envelope import INVALID, ApiError

BODY_LIMIT = 1024 * 1024  # 1 MB: one order, a page of stock levels, a shipment
BATCH_BODY_LIMIT = 5 * 1024 * 1024  # 5 MB: the batch order create


def body_limit_of(request: HttpRequest) -> int:
    """The limit api_endpoint(body_limit=…) set for this endpoint, else BODY_LIMIT."""
    return getattr(request, "api_body_limit", BODY_LIMIT)


def _too_large(limit: int) -> ApiError:
    return ApiError(
        INVALID,
        f"The request body is over {limit // (1024 * 1024)} MB. Send fewer records per call.",
    )


def api_body_size_check(request: HttpRequest, *, limit: int) -> None:
    """Refuse a body whose declared length is over the limit, before anything reads it."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ApiError(INVALID, "The Content-Length header is not a number.") from None
    if declared > limit:
        raise _too_large(limit)


def api_json_body(request: HttpRequest, *, limit: int | None = None) -> Any:
    """The body parsed as JSON; ApiError(INVALID) when it is empty, malformed or too large.

    The body is read from the stream, at most limit + 1 bytes, so a body sent without a
    Content-Length (chunked) is refused once it passes the limit, not read whole first.
    """
    limit = body_limit_of(request) if limit is None else limit
    api_body_size_check(request, limit=limit)
    raw = request.read(limit + 1)
    if len(raw) > limit:
        raise _too_large(limit)
    if not raw.strip():
        raise ApiError(INVALID, "The request body is empty: send a JSON document.")
    try:
        document = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise ApiError(
            INVALID, "The request body nests too deep. Check it and send it again."
        ) from None
    except _NotJsonNumber as constant:
        raise ApiError(
            INVALID, f"The request body has {constant}, which is not a JSON number: send a number."
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        position = (
            f" at line {error.lineno} column {error.colno}"
            if isinstance(error, json.JSONDecodeError)
            else ""
        )
        raise ApiError(
            INVALID, f"The request body is not valid JSON{position}. Check it and send it again."
        ) from None
    api_text_check(_strings(document), where="The request body")
    return document


class _NotJsonNumber(ValueError):
    pass


def _no_constant(name: str) -> Any:
    # Python reads NaN and Infinity, which JSON does not have: stored in a JSON column they
    # were a server error.
    raise _NotJsonNumber(name)


def _strings(document: Any) -> Iterator[str]:
    """Every text in a parsed JSON document, the objects' keys included (a stack, not
    recursion: json.loads accepts nesting as deep as the recursion limit)."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            yield from value.keys()
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)


def api_text_check(texts: Iterable[str], *, where: str) -> None:
    """Refuse texts PostgreSQL cannot store: JSON may escape a NUL (\\u0000) or half of a
    surrogate pair (\\ud800), and either would fail the query as a server error."""
    for text in texts:
        if "\x00" in text:
            raise ApiError(INVALID, f"{where} has a NUL character (\\u0000) in a text: remove it.")
        try:
            text.encode()
        except UnicodeEncodeError:
            raise ApiError(
                INVALID,
                f"{where} has an unpaired surrogate (\\ud800-\\udfff) in a text: send UTF-8 text.",
            ) from None
