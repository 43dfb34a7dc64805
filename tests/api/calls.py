"""Calling the API as a client would: HTTP Basic with an API user and key."""

from __future__ import annotations

import base64
from typing import Any

from django.test import Client

from api.keys import IssuedKey


def basic(api_user: str, api_key: str) -> str:
    return "Basic " + base64.b64encode(f"{api_user}:{api_key}".encode()).decode()


def api_get(client: Client, path: str, issued: IssuedKey, **headers: str) -> Any:
    authorization = basic(issued.credential.api_user, issued.api_key)
    return client.get(path, headers={"Authorization": authorization, **headers})
