"""The schedule form: how often one service runs."""

from __future__ import annotations

from typing import Any

from django import forms

from jobs.models import Frequency


class ScheduleForm(forms.Form):
    frequency = forms.ChoiceField(choices=Frequency.choices)
    daily_at = forms.TimeField(
        required=False,
        label="At (local time)",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("frequency") == Frequency.DAILY and not cleaned.get("daily_at"):
            self.add_error("daily_at", "Choose the time of day for a daily run.")
        return cleaned
