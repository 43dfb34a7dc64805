"""The API key screens' one form: what a new key is for."""

from __future__ import annotations

from django import forms


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What uses this key, like “ERP” or “Reporting”, so you know which to revoke.",
    )
