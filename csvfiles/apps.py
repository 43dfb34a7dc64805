from __future__ import annotations

from django.apps import AppConfig


class CsvFilesConfig(AppConfig):
    name = "csvfiles"
    verbose_name = "CSV files"
    default_auto_field = "django.db.models.BigAutoField"
