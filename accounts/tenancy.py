"""The one scoping helper every view, form and selector goes through, and the role decorator."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

if TYPE_CHECKING:
    from accounts.models import Membership

M = TypeVar("M", bound=Model)


def scoped(queryset: QuerySet[M], membership: Membership) -> QuerySet[M]:
    """Rows of the member's account; for a merchant user, only their merchant's rows.

    Every tenant model declares `tenant_merchant_field`: the field that names its merchant
    ("merchant"; "id" for Merchant itself), or None when the row belongs to the account as a
    whole, which merchant users never see.
    """
    model = queryset.model
    if model._meta.label == "accounts.Account":
        return queryset.filter(id=membership.account_id)
    if not hasattr(model, "tenant_merchant_field"):
        raise TypeError(f"{model.__name__} does not declare tenant_merchant_field")
    queryset = queryset.filter(account_id=membership.account_id)
    if membership.is_merchant_user:
        field = model.tenant_merchant_field
        if field is None:
            return queryset.none()
        lookup = "id" if field == "id" else f"{field}_id"
        queryset = queryset.filter(**{lookup: membership.merchant_id})
    return queryset


View = TypeVar("View", bound=Callable[..., HttpResponse])


def member_required(permission: str | None = None) -> Callable[[View], View]:
    """Require a signed-in member; with a permission, one of Membership's `can_*` flags."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = request.membership  # type: ignore[attr-defined]
            if membership is None:
                return redirect("no_account")
            if permission is not None and not getattr(membership, permission):
                raise PermissionDenied("Your role does not allow this page.")
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
