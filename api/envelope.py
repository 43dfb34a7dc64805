"""The CartRover envelope: HTTP 200 with success_code, errors as Invalid, Failure, RateLimit."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse

INVALID, FAILURE, RATE_LIMIT = "Invalid", "Failure", "RateLimit"


class ApiError(Exception):
    """An answer with success_code false: error_code is Invalid, Failure or RateLimit, and the
    message says what is wrong (which field, which value)."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message


def api_ok(response: Any = None, **flat: Any) -> JsonResponse:
    """Success: {"success_code": true, "response": …}, or flat fields (single create), or
    {"success_code": true} alone."""
    body: dict[str, Any] = {"success_code": True, **flat}
    if response is not None:
        body["response"] = response
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


def api_error(error: ApiError) -> JsonResponse:
    body = {"success_code": False, "error_code": error.error_code, "message": error.message}
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})
