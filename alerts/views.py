"""The alerts screen (grouped by kind, filtered, dismiss) and the alert e-mail screen
(extra recipients, how often alerts are e-mailed, when orders count as stuck)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.tenancy import member_required, scoped
from alerts import selectors, services
from alerts.checks import scheduler_check
from alerts.forms import AlertFilterForm, AlertRecipientForm, AlertSettingsForm
from alerts.models import Alert, AlertRecipient

SHOWN_LIMIT = 300


@member_required()
def alert_list(request: HttpRequest) -> HttpResponse:
    # The page is looked at when nothing moves: it still runs when the scheduler does not.
    scheduler_check()
    membership = request.membership
    form = AlertFilterForm(request.GET or None, membership=membership)
    filters = form.filters()
    alerts = selectors.alert_list(membership, **filters)
    shown = list(alerts[:SHOWN_LIMIT])
    groups: dict[str, list[Alert]] = {}
    for alert in sorted(shown, key=lambda alert: alert.get_kind_display()):
        groups.setdefault(alert.get_kind_display(), []).append(alert)
    query = request.GET.copy()
    query.pop("kind", None)
    context = {
        "form": form,
        "query": query.urlencode(),
        "state": filters.get("state", "open"),
        "groups": groups,
        "kind_counts": selectors.alert_counts_by_kind(alerts),
        "total": alerts.count(),
        "shown_limit": SHOWN_LIMIT,
        "open_count": selectors.alert_open_count(membership),
        "filtered": any(filters.get(name) for name in ("kind", "merchant_id"))
        or filters.get("state") == "resolved",
    }
    return render(request, "alerts/alert_list.html", context)


@require_POST
@member_required()
def alert_dismiss_view(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = get_object_or_404(scoped(Alert.objects.all(), request.membership), id=alert_id)
    services.alert_dismiss(alert=alert, user=request.user)
    messages.success(
        request, "Alert dismissed. If the problem comes back, the hub raises it again."
    )
    return redirect("alert_list")


@member_required("can_edit_account")
def alert_recipients(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    account = membership.account
    form = AlertRecipientForm(request.POST or None, membership=membership)
    if request.method == "POST" and form.is_valid():
        try:
            recipient = services.alert_recipient_add(
                account=account,
                email=form.cleaned_data["email"],
                merchant=form.cleaned_data["merchant"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{recipient.email} now gets {_scope(recipient)}.")
            return redirect("alert_recipients")
    settings_form = AlertSettingsForm(
        initial={
            "frequency": account.alert_frequency,
            "stuck_new_grace_minutes": account.stuck_new_grace_minutes,
            "stuck_at_wms_days": account.stuck_at_wms_days,
        }
    )
    return _recipients_page(request, form=form, settings_form=settings_form)


def _recipients_page(
    request: HttpRequest, *, form: AlertRecipientForm, settings_form: AlertSettingsForm
) -> HttpResponse:
    context = {
        "form": form,
        "settings_form": settings_form,
        "recipients": selectors.alert_recipient_list(request.membership),
        "account": request.membership.account,
    }
    return render(request, "alerts/recipients.html", context)


@require_POST
@member_required("can_edit_account")
def alert_settings(request: HttpRequest) -> HttpResponse:
    settings_form = AlertSettingsForm(request.POST)
    if not settings_form.is_valid():
        form = AlertRecipientForm(membership=request.membership)
        return _recipients_page(request, form=form, settings_form=settings_form)
    services.alert_settings_update(account=request.membership.account, **_settings(settings_form))
    messages.success(request, "Alert settings saved.")
    return redirect("alert_recipients")


def _settings(form: AlertSettingsForm) -> dict[str, object]:
    data = form.cleaned_data
    return {
        "frequency": data["frequency"],
        "stuck_new_grace_minutes": data["stuck_new_grace_minutes"],
        "stuck_at_wms_days": data["stuck_at_wms_days"],
    }


@require_POST
@member_required("can_edit_account")
def alert_recipient_active(request: HttpRequest, recipient_id: int) -> HttpResponse:
    recipient = _recipient(request, recipient_id)
    is_active = request.POST.get("active") == "1"
    services.alert_recipient_set_active(recipient=recipient, is_active=is_active)
    if is_active:
        messages.success(request, f"{recipient.email} gets {_scope(recipient)} again.")
    else:
        messages.success(
            request, f"{recipient.email} gets no alert e-mails until you activate it again."
        )
    return redirect("alert_recipients")


@require_POST
@member_required("can_edit_account")
def alert_recipient_delete(request: HttpRequest, recipient_id: int) -> HttpResponse:
    recipient = _recipient(request, recipient_id)
    services.alert_recipient_delete(recipient=recipient)
    messages.success(request, f"{recipient.email} was removed from the alert e-mails.")
    return redirect("alert_recipients")


def _recipient(request: HttpRequest, recipient_id: int) -> AlertRecipient:
    # Another account's address is a 404, never a change.
    return get_object_or_404(selectors.alert_recipient_list(request.membership), id=recipient_id)


def _scope(recipient: AlertRecipient) -> str:
    if recipient.merchant is None:
        return "every alert e-mail of the account"
    return f"the alert e-mails about {recipient.merchant.name}"
