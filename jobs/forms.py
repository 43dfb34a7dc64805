"""The schedule form: how often one service runs."""

from __future__ import annotations

from typing import Any

from django import forms

from jobs.models import Frequency


class ScheduleForm(forms.Form):
    frequency = forms.ChoiceField(choices=Frequency.choices)

    def __init__(self, *args: Any, required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if required:  # a duty of the account's policy: no Off to choose
            self.fields["frequency"].choices = [
                choice for choice in Frequency.choices if choice[0] != Frequency.OFF
            ]

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
