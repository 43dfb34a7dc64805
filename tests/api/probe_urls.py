"""Endpoints that only answer who called, for testing api_endpoint apart from real endpoints."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path

from api.bodies import BATCH_BODY_LIMIT, api_json_body
from api.endpoints import api_endpoint
from api.envelope import api_ok
from api.models import ApiLevel

ALL_LEVELS = (ApiLevel.CART, ApiLevel.MERCHANT, ApiLevel.WAREHOUSE)
CALLS: list[str] = []  # the views append here: a refused call never reaches them


@api_endpoint(levels=ALL_LEVELS)
def whoami(request: HttpRequest) -> JsonResponse:
    CALLS.append("whoami")
    context = request.api  # type: ignore[attr-defined]
    return api_ok(
        {
            "account": context.account.id,
            "merchant": context.merchant.id if context.merchant else None,
            "cart": context.cart.id if context.cart else None,
        }
    )


@api_endpoint(levels=[ApiLevel.MERCHANT])
def merchant_only(request: HttpRequest) -> JsonResponse:
    CALLS.append("merchant_only")
    return api_ok()


@api_endpoint(levels=ALL_LEVELS, methods=["POST"], rate_limited=False)
def unlimited_create(request: HttpRequest) -> JsonResponse:
    CALLS.append("unlimited_create")
    return api_ok(received=len(api_json_body(request)))


@api_endpoint(levels=ALL_LEVELS, methods=["POST"])
def echo(request: HttpRequest) -> JsonResponse:
    CALLS.append("echo")
    return api_ok(api_json_body(request))


@api_endpoint(levels=ALL_LEVELS, methods=["POST"], body_limit=BATCH_BODY_LIMIT)
def batch(request: HttpRequest) -> JsonResponse:
    CALLS.append("batch")
    return api_ok(received=len(api_json_body(request)))


@api_endpoint(levels=ALL_LEVELS)
def broken(request: HttpRequest) -> JsonResponse:
    raise RuntimeError("a bug")


urlpatterns = [
    path("v1/probe/whoami", whoami),
    path("v1/probe/merchant-only", merchant_only),
    path("v1/probe/unlimited", unlimited_create),
    path("v1/probe/echo", echo),
    path("v1/probe/batch", batch),
    path("v1/probe/broken", broken),
]
