from __future__ import annotations

from django.urls import path

from alerts import views

urlpatterns = [
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/<int:alert_id>/dismiss/", views.alert_dismiss_view, name="alert_dismiss"),
    path("alerts/email/", views.alert_recipients, name="alert_recipients"),
    path("alerts/email/settings/", views.alert_settings, name="alert_settings"),
    path(
        "alerts/email/<int:recipient_id>/active/",
        views.alert_recipient_active,
        name="alert_recipient_active",
    ),
    path(
        "alerts/email/<int:recipient_id>/delete/",
        views.alert_recipient_delete,
        name="alert_recipient_delete",
    ),
]
