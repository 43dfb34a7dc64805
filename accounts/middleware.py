"""Puts the signed-in user's current membership on the request."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from accounts.models import Membership

SESSION_ACCOUNT_KEY = "account_id"


def open_memberships(user) -> QuerySet[Membership]:  # type: ignore[no-untyped-def]
    """The user's memberships of accounts nobody is deleting: one being deleted is closed."""
    return Membership.objects.filter(user=user, account__deletion_requested_at=None)


def current_membership(request: HttpRequest) -> Membership | None:
    """The membership for the account chosen in this session, else the user's first one."""
    if not request.user.is_authenticated:
        return None
    memberships = open_memberships(request.user).select_related("account", "merchant")
    chosen = request.session.get(SESSION_ACCOUNT_KEY)
    if chosen is not None:
        membership = memberships.filter(account_id=chosen).first()
        if membership is not None:
            return membership
    return memberships.order_by("created_at", "id").first()


class MembershipMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = current_membership(request)  # type: ignore[attr-defined]
        return self.get_response(request)
