"""Forms for sign-up, account settings, merchants, invitations and roles."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm

from accounts.models import RETENTION_MAX_DAYS, Account, Membership, Merchant, Role
from accounts.tenancy import scoped
from integration_manager.text import validate_single_line


@cache
def timezone_choices() -> list[tuple[str, str]]:
    zones = sorted(zone for zone in zoneinfo.available_timezones() if "/" in zone)
    return [("UTC", "UTC"), *[(zone, zone.replace("_", " ")) for zone in zones]]


class TimezoneField(forms.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "Daily schedules run at this zone's local time.")
        super().__init__(choices=timezone_choices, **kwargs)


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="E-mail", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "That e-mail and password do not match. Check both, or reset your password."
        ),
    }


class PasswordPairMixin(forms.Form):
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_password2(self) -> str:
        first = self.cleaned_data.get("password1")
        second = self.cleaned_data.get("password2")
        if first and second and first != second:
            raise forms.ValidationError("The two passwords differ. Type the same password twice.")
        return second

    def _validate_password_for(self, email: str) -> None:
        password = self.cleaned_data.get("password2")
        if password:
            from accounts.models import User

            try:
                password_validation.validate_password(password, User(email=email))
            except forms.ValidationError as error:
                self.add_error("password1", error)


class SignUpForm(forms.Form):
    """The new account; the password is chosen from the e-mailed link (ChoosePasswordForm)."""

    email = forms.EmailField(
        label="Your e-mail",
        widget=forms.EmailInput(attrs={"autofocus": True}),
        help_text="We send a link to this address to finish creating the account.",
    )
    account_name = forms.CharField(
        label="Company name",
        max_length=200,
        help_text="Your warehouse's or your store's name.",
        validators=[validate_single_line],
    )
    kind = forms.ChoiceField(
        label="Account type",
        choices=Account.Kind.choices,
        widget=forms.RadioSelect,
        initial=Account.Kind.FULFILLMENT,
        help_text="A fulfillment account connects many merchants' carts to your warehouse; "
        "a merchant account connects your own carts to your warehouse.",
    )
    timezone = TimezoneField(initial="UTC")


class AccountSwitchForm(forms.Form):
    account_id = forms.IntegerField(min_value=1)


class AccountSettingsForm(forms.Form):
    name = forms.CharField(label="Account name", max_length=200, validators=[validate_single_line])
    timezone = TimezoneField()


class DataPolicyForm(forms.ModelForm):
    """How long the account keeps personal data and job runs (docs/data-life.md)."""

    class Meta:
        model = Account
        fields = ["personal_data_days", "job_runs_kept_days", "failed_job_runs_kept_days"]
        labels = {
            "personal_data_days": "Remove customers' personal data after (days)",
            "job_runs_kept_days": "Keep successful job runs for (days)",
            "failed_job_runs_kept_days": "Keep failed job runs for (days)",
        }
        help_texts = {
            "personal_data_days": (
                "Counted from when the order was confirmed or canceled. 1 to 3650: personal "
                "data is never kept for ever."
            ),
            "job_runs_kept_days": "Runs that worked, or had nothing to do. 1 to 3650 days.",
            "failed_job_runs_kept_days": (
                "Runs that failed or partly failed: kept longer, to look into. 1 to 3650 days."
            ),
        }
        widgets = {
            name: forms.NumberInput(attrs={"min": 1, "max": RETENTION_MAX_DAYS})
            for name in ("personal_data_days", "job_runs_kept_days", "failed_job_runs_kept_days")
        }


class AccountDeleteForm(forms.Form):
    """Deleting an account asks for its name, typed: a click alone is not enough."""

    confirm_name = forms.CharField(label="Type the account's name to confirm", max_length=200)

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        self.fields["confirm_name"].help_text = f"Type “{account.name}” exactly."
        self.fields["confirm_name"].widget.attrs["autocomplete"] = "off"

    def clean_confirm_name(self) -> str:
        typed = self.cleaned_data["confirm_name"].strip()
        if typed != self.account.name:
            raise forms.ValidationError(
                "That is not the account's name, so nothing was deleted. Type it exactly as "
                "shown, with the same capitals."
            )
        return typed


class MerchantForm(forms.Form):
    # Names end up in alert e-mail subjects and in what the WMS gets: one line only.
    name = forms.CharField(max_length=200, validators=[validate_single_line])
    wms_customer_id = forms.CharField(
        label="WMS customer id",
        max_length=100,
        required=False,
        help_text="The id your WMS uses for this merchant (a 3PL customer id), if it needs one.",
        validators=[validate_single_line],
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)


class MerchantCreateForm(MerchantForm):
    set_up_user = forms.BooleanField(
        label="Set up merchant user",
        required=False,
        help_text="E-mail an invitation to a user who sees only this merchant.",
    )
    user_email = forms.EmailField(label="Merchant user's e-mail", required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("set_up_user") and not cleaned.get("user_email"):
            self.add_error("user_email", "Enter the e-mail to send the invitation to.")
        return cleaned


class MerchantUserForm(forms.Form):
    email = forms.EmailField(label="Merchant user's e-mail")


class RoleFormMixin(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, widget=forms.RadioSelect)
    merchant = forms.ModelChoiceField(
        queryset=Merchant.objects.none(),
        required=False,
        help_text="A merchant user sees only this merchant's carts, orders, inventory and alerts.",
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["merchant"].queryset = scoped(Merchant.objects.all(), membership)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("role") == Role.MERCHANT_USER and not cleaned.get("merchant"):
            self.add_error("merchant", "Choose the merchant this user may see.")
        return cleaned


class InvitationForm(RoleFormMixin):
    email = forms.EmailField(label="E-mail")
    field_order = ["email", "role", "merchant"]


class MembershipForm(RoleFormMixin):
    pass


class ChoosePasswordForm(PasswordPairMixin):
    """A new user's password, for an invitation or a sign-up link; checked against the e-mail."""

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self._validate_password_for(self.email)
        return cleaned
