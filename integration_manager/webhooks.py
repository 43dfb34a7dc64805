"""What the cart and WMS webhook endpoints share: verify a delivery with its connector, and
answer the sender plainly (it only needs a status)."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, JsonResponse

from integration_manager.connector_errors import AuthError, RecordError, TransientError
from integration_manager.records import WebhookNotice

logger = logging.getLogger(__name__)


def webhook_notice(
    connector: Any, request: HttpRequest, *, what: str
) -> WebhookNotice | JsonResponse:
    """The notice a verified delivery means, or the answer to send back: 401 for a signature
    that does not hold (nothing stored), 400 for a body that cannot be read, 503 when the
    check itself could not run (the sender retries)."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    try:
        body = request.body
    except ValueError:  # Django reads a Content-Length that is not a number with int()
        return JsonResponse({"error": "The Content-Length header is not a number."}, status=400)
    try:
        return connector.parse_webhook(headers=headers, body=body)
    except AuthError:
        logger.warning("%s: webhook with a bad signature refused", what)
        return JsonResponse({"error": "Signature does not match."}, status=401)
    except RecordError as error:
        return JsonResponse({"error": str(error)}, status=400)
    except TransientError:
        logger.warning("%s: webhook could not be verified now", what)
        return JsonResponse({"error": "Try again later."}, status=503)
