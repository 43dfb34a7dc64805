from __future__ import annotations

from django.urls import path

from csvfiles import views

urlpatterns = [
    path("csv-formats/<str:token>/", views.csv_format_edit, name="csv_format_edit"),
    path("csv-formats/<str:token>/preview/", views.csv_format_preview, name="csv_format_preview"),
]
