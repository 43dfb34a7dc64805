from __future__ import annotations

from django.urls import path

from orders import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("orders/", views.order_index, name="order_list"),
    path("orders/<int:order_id>/", views.order_detail, name="order_detail"),
    path("orders/<int:order_id>/<slug:action>/", views.order_action, name="order_action"),
]
