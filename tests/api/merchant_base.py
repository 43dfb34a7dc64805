"""Keys and calls for the merchant and warehouse endpoints' tests."""

from __future__ import annotations

import base64
import json
from typing import Any

from django.test import Client

from api.keys import IssuedKey, api_credential_issue
from api.models import ApiLevel
from tests.objects import create_cart


def authorization(issued: IssuedKey) -> str:
    pair = f"{issued.credential.api_user}:{issued.api_key}".encode()
    return "Basic " + base64.b64encode(pair).decode()


class MerchantApiMixin:
    """bob's merchant key, the other merchant's key, alice's warehouse key and charlie's;
    bob's sandbox cart. Mix into a test case that ran create_tenants()."""

    client: Client

    def create_keys(self) -> None:
        self.bobs_key = api_credential_issue(
            account=self.alices_account,  # type: ignore[attr-defined]
            level=ApiLevel.MERCHANT,
            name="Bob's ERP",
            merchant=self.bobs_merchant,  # type: ignore[attr-defined]
        )
        self.other_key = api_credential_issue(
            account=self.alices_account,  # type: ignore[attr-defined]
            level=ApiLevel.MERCHANT,
            name="Other's ERP",
            merchant=self.other_merchant,  # type: ignore[attr-defined]
        )
        self.warehouse_key = api_credential_issue(
            account=self.alices_account,  # type: ignore[attr-defined]
            level=ApiLevel.WAREHOUSE,
            name="Alice's WMS",
        )
        self.charlies_key = api_credential_issue(
            account=self.charlies_account,  # type: ignore[attr-defined]
            level=ApiLevel.WAREHOUSE,
            name="Charlie's WMS",
        )
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")  # type: ignore[attr-defined]

    def call(
        self,
        method: str,
        path: str,
        key: IssuedKey | None = None,
        body: Any = None,
        merchant_pk: int | None = None,
        **query: str,
    ) -> Any:
        """The answer's JSON body (HTTP 200 asserted: errors are in the envelope)."""
        headers = {"Authorization": authorization(key or self.bobs_key)}
        if merchant_pk is not None:
            headers["X-Merchant-Pk"] = str(merchant_pk)
        if method == "GET":
            response = self.client.get(path, query, headers=headers)
        else:
            response = self.client.post(
                path, json.dumps(body), content_type="application/json", headers=headers
            )
        self.last_response = response
        assert response.status_code == 200, response.content
        return response.json()

    def assert_invalid(self, body: dict[str, Any], *, containing: str = "") -> None:
        assert body["success_code"] is False, body
        assert body["error_code"] == "Invalid", body
        assert containing in body["message"], body["message"]
