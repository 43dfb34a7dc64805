"""Forms of the alert screens: filters, extra recipients, the account's alert settings."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import AlertFrequency, Membership, Merchant
from accounts.tenancy import scoped
from alerts.models import AlertKind


class AlertFilterForm(forms.Form):
    state = forms.ChoiceField(
        required=False, choices=[("open", "Open"), ("resolved", "Resolved (last 30 days)")]
    )
    kind = forms.ChoiceField(required=False, choices=[("", "All kinds"), *AlertKind.choices])
    merchant = forms.ModelChoiceField(
        queryset=Merchant.objects.none(), required=False, empty_label="All merchants"
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["merchant"].queryset = scoped(Merchant.objects.all(), membership)
        if membership.is_merchant_user:
            del self.fields["merchant"]
        for field in self.fields.values():
            field.widget.attrs.update({"class": "form-select form-select-sm"})
            field.widget.attrs["data-submit-on-change"] = ""

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        merchant = data.get("merchant")
        return {
            "state": data["state"] or "open",
            "kind": data["kind"],
            "merchant_id": merchant.id if merchant else None,
        }


class AlertRecipientForm(forms.Form):
    email = forms.EmailField(label="E-mail address", max_length=254)
    merchant = forms.ModelChoiceField(
        queryset=Merchant.objects.none(),
        required=False,
        empty_label="Every alert of the account",
        label="Alerts about",
        help_text="One merchant: only that merchant's alerts (not the WMS or the scheduler).",
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["merchant"].queryset = scoped(Merchant.objects.all(), membership)


class AlertSettingsForm(forms.Form):
    frequency = forms.ChoiceField(
        label="Alert e-mails",
        choices=AlertFrequency.choices,
        widget=forms.RadioSelect,
        help_text="Refused credentials, unmapped ship methods and a stopped scheduler are "
        "always e-mailed at once. The daily digest goes out at 07:00 in the account's zone.",
    )
    stuck_new_grace_minutes = forms.IntegerField(
        label="New orders are stuck after (minutes)",
        min_value=0,
        max_value=7 * 24 * 60,
        help_text="Past the time their delivery run was due: Automatic at once, a schedule "
        "after its interval.",
    )
    stuck_at_wms_days = forms.IntegerField(
        label="Orders at the WMS are stuck after (days)",
        min_value=1,
        max_value=365,
        help_text="Sent to the WMS this many days ago and still not shipped.",
    )
