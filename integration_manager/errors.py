"""The answer to a request that met an unexpected error: 503 with Retry-After while
PostgreSQL is away (a restart, a failover), so a cart retries its webhook and a person is
told to wait a moment; Django's 500 page for anything else."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.views import defaults

DATABASE_AWAY = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30
# Machines call these: a line of text, not a page.
MACHINE_PATHS = ("/webhooks/", "/v1/")
AWAY_TEXT = "The hub's database is restarting. Try again in a moment."


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django calls it while the error is being handled."""
    if not isinstance(sys.exc_info()[1], DATABASE_AWAY):
        return defaults.server_error(request)
    if request.path.startswith(MACHINE_PATHS):
        response = HttpResponse(AWAY_TEXT, status=503, content_type="text/plain")
    else:
        # Rendered without the request: its context would read the database.
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
