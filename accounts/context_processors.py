"""Template context: the current membership, for navigation and role-aware links."""

from __future__ import annotations

from django.http import HttpRequest


def membership(request: HttpRequest) -> dict[str, object]:
    from accounts.middleware import open_memberships

    current = getattr(request, "membership", None)
    # Lazy: read only by the menu that offers to switch accounts.
    choices = open_memberships(request.user).select_related("account") if current else []
    return {"membership": current, "account_choices": choices}
