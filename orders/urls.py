from __future__ import annotations

from django.urls import path

from orders import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("orders/", views.order_index, name="order_list"),
    path("orders/export.csv", views.order_export, name="order_export"),
    path("orders/skipped/", views.skipped_orders, name="skipped_orders"),
    path("orders/<int:order_id>/", views.order_detail, name="order_detail"),
    path("orders/<int:order_id>/edit/", views.order_edit_view, name="order_edit"),
    path("orders/<int:order_id>/<slug:action>/", views.order_action, name="order_action"),
]
