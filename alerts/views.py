"""The alerts screen: open ones first (red), then recently resolved (grey); dismiss."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.tenancy import member_required, scoped
from alerts.models import Alert
from alerts.services import alert_dismiss


@member_required()
def alert_list(request: HttpRequest) -> HttpResponse:
    alerts = scoped(Alert.objects.select_related("merchant", "cart"), request.membership)
    context = {
        "open_alerts": alerts.filter(resolved_at=None).order_by("-last_seen_at"),
        "resolved": alerts.filter(resolved_at__gte=timezone.now() - timedelta(days=14)).order_by(
            "-resolved_at"
        )[:50],
    }
    return render(request, "alerts/alert_list.html", context)


@require_POST
@member_required()
def alert_dismiss_view(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = get_object_or_404(scoped(Alert.objects.all(), request.membership), id=alert_id)
    alert_dismiss(alert=alert, user=request.user)
    messages.success(
        request, "Alert dismissed. If the problem comes back, the hub raises it again."
    )
    return redirect("alert_list")
