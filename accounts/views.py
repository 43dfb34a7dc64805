"""Sign-up, invitations, merchants, users and account settings."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import services
from accounts.data import account_deletion_request, account_export_lines
from accounts.forms import (
    AccountDeleteForm,
    AccountSettingsForm,
    AccountSwitchForm,
    ChoosePasswordForm,
    DataPolicyForm,
    InvitationForm,
    MembershipForm,
    MerchantCreateForm,
    MerchantForm,
    MerchantUserForm,
    SignUpForm,
)
from accounts.middleware import SESSION_ACCOUNT_KEY, open_memberships
from accounts.models import Account, Invitation, Membership, Merchant, Role, User
from accounts.tenancy import member_required, scoped
from accounts.throttle import (
    client_address,
    lockout_minutes,
    login_lockouts,
    login_unlock,
    request_throttle,
)
from jobs.selectors import merchant_service_rows

AUTH_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _redirect_back(request: HttpRequest, default: str) -> HttpResponse:
    """Back to the page that posted (a same-site path only), else to the default view."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


SESSION_SIGNUP_EMAIL_KEY = "signup_email"


def _too_many_requests(minutes: int) -> str:
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many requests for this e-mail or from your network. Try again in {minutes} {unit}."


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.membership is not None:
        return redirect("dashboard")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        wait = request_throttle(
            action="signup", address=client_address(request), email=data["email"]
        )
        if wait is not None:
            form.add_error(None, _too_many_requests(wait))
            return render(request, "accounts/signup.html", {"form": form}, status=429)
        # New address or not, the visitor gets the same page: see signup_request_send.
        sent = services.signup_request_send(
            email=data["email"],
            account_name=data["account_name"],
            kind=data["kind"],
            timezone_name=data["timezone"],
        )
        if sent:
            request.session[SESSION_SIGNUP_EMAIL_KEY] = data["email"]
            return redirect("signup_sent")
        form.add_error(None, "We could not send the e-mail just now. Try again in a few minutes.")
    return render(request, "accounts/signup.html", {"form": form})


def signup_sent(request: HttpRequest) -> HttpResponse:
    context = {
        "email": request.session.get(SESSION_SIGNUP_EMAIL_KEY, ""),
        "days": services.SIGNUP_LINK_LIFETIME.days,
    }
    return render(request, "accounts/signup_sent.html", context)


def signup_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mailed link: choose a password, and the account is created and signed in."""
    signup = services.signup_request_read(token)
    if signup is None:
        context = {"days": services.SIGNUP_LINK_LIFETIME.days}
        return render(request, "accounts/signup_invalid.html", context, status=404)
    if User.objects.filter(email__iexact=signup.email).exists():
        messages.info(request, "This account is set up already. Log in with your password.")
        return redirect("login")
    form = ChoosePasswordForm(request.POST or None, email=signup.email)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.account_sign_up(
                email=signup.email,
                password=form.cleaned_data["password1"],
                account_name=signup.account_name,
                kind=signup.kind,
                timezone_name=signup.timezone_name,
            )
        except ValidationError:  # the same link used twice at once
            messages.info(request, "This account is set up already. Log in with your password.")
            return redirect("login")
        login(request, membership.user, backend=AUTH_BACKEND)
        request.session[SESSION_ACCOUNT_KEY] = membership.account_id
        messages.success(request, f"Welcome! Your account “{membership.account}” is ready.")
        return redirect("dashboard")
    return render(request, "accounts/signup_confirm.html", {"form": form, "signup": signup})


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset form, counted per client address and per e-mail (accounts/throttle.py)."""

    def form_valid(self, form: forms.Form) -> HttpResponse:
        wait = request_throttle(
            action="password_reset",
            address=client_address(self.request),
            email=form.cleaned_data["email"],
        )
        if wait is not None:
            form.add_error(None, _too_many_requests(wait))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form: forms.Form) -> HttpResponse:
        response = super().form_valid(form)
        # Whoever opened the e-mailed link owns the address: their login is unlocked too.
        login_unlock(username=form.user.email)
        return response


def no_account(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    if request.membership is not None:
        return redirect("dashboard")
    return render(request, "accounts/no_account.html")


@require_POST
@member_required()
def account_switch(request: HttpRequest) -> HttpResponse:
    form = AccountSwitchForm(request.POST)
    if not form.is_valid():  # not a number: no account of yours either
        raise Http404("No such account.")
    membership = get_object_or_404(
        open_memberships(request.user), account_id=form.cleaned_data["account_id"]
    )
    request.session[SESSION_ACCOUNT_KEY] = membership.account_id
    messages.info(request, f"You are now working in {membership.account}.")
    return redirect("dashboard")


@member_required("can_edit_account")
def account_settings(request: HttpRequest) -> HttpResponse:
    account = request.membership.account
    # Two forms on one page: the button that posted says which one was sent.
    saving_policy = request.method == "POST" and "save_policy" in request.POST
    saving_account = request.method == "POST" and not saving_policy
    form = AccountSettingsForm(
        request.POST if saving_account else None,
        initial={"name": account.name, "timezone": account.timezone},
    )
    policy_form = DataPolicyForm(
        request.POST if saving_policy else None,
        instance=Account.objects.get(id=account.id),  # an invalid post must not touch `account`
        prefix="policy",
    )
    if saving_account and form.is_valid():
        services.account_update(
            account=account,
            name=form.cleaned_data["name"],
            timezone_name=form.cleaned_data["timezone"],
        )
        messages.success(request, "Account settings saved.")
        return redirect("account_settings")
    if saving_policy and policy_form.is_valid():
        services.account_data_policy_update(account=account, **policy_form.cleaned_data)
        messages.success(request, "Data policy saved: the next removal and cleanup runs use it.")
        return redirect("account_settings")
    context = {"form": form, "policy_form": policy_form, "account": account}
    return render(request, "accounts/account_settings.html", context)


def _account_of_admin(request: HttpRequest, *, account_id: str | None) -> Account:
    """The member's current account, if they are its admin; a 404 otherwise. account_id
    (a form's or link's) must name that account: a page left open in a tab from before an
    account switch never exports or deletes the other one, nor does another account's id."""
    membership = request.membership
    if not membership.can_edit_account:
        raise Http404("No such account.")
    account = get_object_or_404(scoped(Account.objects.all(), membership))
    if account_id is not None and account_id != str(account.id):
        raise Http404("No such account.")
    return account


@member_required()
def account_data(request: HttpRequest) -> HttpResponse:
    posted = request.POST.get("account", "") if request.method == "POST" else None
    account = _account_of_admin(request, account_id=posted)
    form = AccountDeleteForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        name = account.name
        account_deletion_request(account=account)
        logout(request)
        messages.success(
            request,
            f"The account “{name}” is closed and its data is being deleted: it is all gone "
            "within a few minutes.",
        )
        return redirect("login")
    return render(request, "accounts/account_data.html", {"account": account, "form": form})


@member_required()
def account_export(request: HttpRequest) -> StreamingHttpResponse:
    account = _account_of_admin(request, account_id=request.GET.get("account", ""))
    response = StreamingHttpResponse(
        account_export_lines(account=account), content_type="application/x-ndjson"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="account-{account.id}-{stamp}.jsonl"'
    return response


@member_required("can_view_merchants")
def merchant_list(request: HttpRequest) -> HttpResponse:
    merchants = scoped(Merchant.objects.all(), request.membership).annotate(
        user_count=Count("memberships", distinct=True),
        cart_count=Count("carts", distinct=True),
    )
    return render(request, "accounts/merchant_list.html", {"merchants": merchants})


def _invite_and_report(
    request: HttpRequest,
    *,
    merchant: Merchant,
    email: str,
    form: MerchantCreateForm | MerchantUserForm,
) -> bool:
    """Invite a merchant user and tell the admin what happened; False if the input was refused."""
    try:
        invitation, token = services.invitation_create(
            account=request.membership.account,
            email=email,
            role=Role.MERCHANT_USER,
            merchant=merchant,
            invited_by=request.user,
        )
    except ValidationError as error:
        form.add_error("user_email" if "user_email" in form.fields else "email", error.messages[0])
        return False
    _report_sent(request, invitation, token)
    return True


def _report_sent(request: HttpRequest, invitation: Invitation, token: str) -> None:
    if services.invitation_send(invitation=invitation, token=token):
        messages.success(request, f"Invitation sent to {invitation.email}.")
    else:
        messages.warning(
            request,
            f"The invitation for {invitation.email} is saved, but the e-mail could not be sent. "
            f"Send them this link yourself: {services.invitation_url(token)}",
        )


@member_required("can_manage_merchants")
def merchant_create(request: HttpRequest) -> HttpResponse:
    account = request.membership.account
    if not account.is_fulfillment:
        messages.info(request, "A merchant account has exactly one merchant: your own.")
        return redirect("merchant_list")
    form = MerchantCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            merchant = services.merchant_create(
                account=account, name=data["name"], wms_customer_id=data["wms_customer_id"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Merchant “{merchant}” created.")
            if data["set_up_user"]:
                _invite_and_report(request, merchant=merchant, email=data["user_email"], form=form)
            return redirect("merchant_edit", merchant_id=merchant.id)
    return render(request, "accounts/merchant_form.html", {"form": form, "creating": True})


@member_required("can_manage_merchants")
def merchant_edit(request: HttpRequest, merchant_id: int) -> HttpResponse:
    merchant = get_object_or_404(scoped(Merchant.objects.all(), request.membership), id=merchant_id)
    form = MerchantForm(
        request.POST or None,
        initial={
            "name": merchant.name,
            "wms_customer_id": merchant.wms_customer_id,
            "is_active": merchant.is_active,
        },
    )
    wms_settings = _wms_settings_summary(request, merchant)
    if wms_settings is not None:
        del form.fields["wms_customer_id"]  # the WMS settings card edits it, with a picker
    if request.method == "POST" and form.is_valid():
        data = {"wms_customer_id": merchant.wms_customer_id, **form.cleaned_data}
        try:
            services.merchant_update(merchant=merchant, **data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Merchant “{merchant}” saved.")
            return redirect("merchant_list")
    context = {
        "form": form,
        "merchant": merchant,
        "invite_form": MerchantUserForm(),
        "users": merchant.memberships.select_related("user").order_by("user__email"),
        "invitations": merchant.invitations.filter(accepted_at=None, revoked_at=None),
        "rows": merchant_service_rows(merchant),
        "wms_settings": wms_settings,
    }
    return render(request, "accounts/merchant_form.html", context)


def _wms_settings_summary(request: HttpRequest, merchant: Merchant) -> dict | None:
    """What the account's WMS keeps for this merchant, for the merchant page's WMS card;
    None when the WMS needs nothing per merchant (or the member may not see the WMS)."""
    from wms.connectors.base import CUSTOMER_ID_FIELD
    from wms.connectors.registry import WMS_CONNECTORS
    from wms.models import WmsConnection

    wms = WmsConnection.objects.filter(account_id=merchant.account_id).first()
    connector = WMS_CONNECTORS.find(wms.connector_key) if wms else None
    if connector is None or connector.merchant_settings_form is None:
        return None
    if not request.membership.can_manage_wms:
        return None
    form = connector.merchant_settings_form()
    saved = {**(merchant.wms_settings or {}), CUSTOMER_ID_FIELD: merchant.wms_customer_id}
    return {
        "wms": wms,
        "values": [
            (field.label or name, saved.get(name) or "") for name, field in form.fields.items()
        ],
    }


@require_POST
@member_required("can_manage_merchants")
def merchant_invite(request: HttpRequest, merchant_id: int) -> HttpResponse:
    """ "Set up merchant user": invite someone who will see only this merchant."""
    merchant = get_object_or_404(scoped(Merchant.objects.all(), request.membership), id=merchant_id)
    form = MerchantUserForm(request.POST)
    if form.is_valid() and _invite_and_report(
        request, merchant=merchant, email=form.cleaned_data["email"], form=form
    ):
        return redirect("merchant_edit", merchant_id=merchant.id)
    for error in form.errors.get("email", []):
        messages.error(request, error)
    return redirect("merchant_edit", merchant_id=merchant.id)


@member_required("can_manage_users")
def user_list(request: HttpRequest) -> HttpResponse:
    members = (
        scoped(Membership.objects.all(), request.membership)
        .select_related("user", "merchant")
        .order_by("user__email")
    )
    invitations = (
        scoped(Invitation.objects.all(), request.membership)
        .filter(accepted_at=None, revoked_at=None)
        .select_related("merchant")
    )
    context = {
        "members": members,
        "invitations": invitations,
        "locked": login_lockouts(member.user.email for member in members),
        "lockout_minutes": lockout_minutes(request),
    }
    return render(request, "accounts/user_list.html", context)


@require_POST
@member_required("can_manage_users")
def membership_unlock(request: HttpRequest, membership_id: int) -> HttpResponse:
    """Let a member who is locked out after failed logins try again now."""
    member = get_object_or_404(
        scoped(Membership.objects.select_related("user"), request.membership), id=membership_id
    )
    login_unlock(username=member.user.email)
    messages.success(request, f"{member.user} can log in again.")
    return redirect("user_list")


@member_required("can_manage_users")
def user_invite(request: HttpRequest) -> HttpResponse:
    form = InvitationForm(request.POST or None, membership=request.membership)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation, token = services.invitation_create(
                account=request.membership.account,
                email=data["email"],
                role=data["role"],
                merchant=data["merchant"],
                invited_by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            _report_sent(request, invitation, token)
            return redirect("user_list")
    return render(request, "accounts/user_invite.html", {"form": form})


@member_required("can_manage_users")
def membership_edit(request: HttpRequest, membership_id: int) -> HttpResponse:
    member = get_object_or_404(
        scoped(Membership.objects.select_related("user"), request.membership), id=membership_id
    )
    form = MembershipForm(
        request.POST or None,
        membership=request.membership,
        initial={"role": member.role, "merchant": member.merchant_id},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_update(
                membership=member,
                role=form.cleaned_data["role"],
                merchant=form.cleaned_data["merchant"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{member.user} is now {member.get_role_display().lower()}.")
            return redirect("user_list")
    return render(request, "accounts/membership_form.html", {"form": form, "member": member})


@require_POST
@member_required("can_manage_users")
def membership_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    member = get_object_or_404(
        scoped(Membership.objects.select_related("user"), request.membership), id=membership_id
    )
    try:
        services.membership_remove(membership=member)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"{member.user} can no longer sign in to this account.")
    return redirect("user_list")


@require_POST
@member_required("can_manage_users")
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(
        scoped(Invitation.objects.all(), request.membership), id=invitation_id
    )
    services.invitation_revoke(invitation=invitation)
    messages.success(request, f"The invitation for {invitation.email} no longer works.")
    return _redirect_back(request, "user_list")


@require_POST
@member_required("can_manage_users")
def invitation_resend(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(
        scoped(Invitation.objects.select_related("account"), request.membership), id=invitation_id
    )
    try:
        token = services.invitation_renew(invitation=invitation)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        _report_sent(request, invitation, token)
    return _redirect_back(request, "user_list")


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_find(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    user = request.user if request.user.is_authenticated else None
    existing_user = user is not None or User.objects.filter(email__iexact=invitation.email).exists()
    form = (
        None if existing_user else ChoosePasswordForm(request.POST or None, email=invitation.email)
    )
    if request.method == "POST" and (form is None or form.is_valid()):
        if existing_user and user is None:
            messages.info(
                request, "Log in with your password, then open the invitation link again."
            )
            return redirect(f"{reverse('login')}?next={request.path}")
        try:
            membership = services.invitation_accept(
                invitation=invitation,
                user=user,
                password=form.cleaned_data["password1"] if form else None,
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect(request.path)
        if user is None:
            login(request, membership.user, backend=AUTH_BACKEND)
        request.session[SESSION_ACCOUNT_KEY] = membership.account_id
        messages.success(request, f"You joined {membership.account}.")
        return redirect("dashboard")
    context = {"invitation": invitation, "form": form, "existing_user": existing_user}
    return render(request, "accounts/invitation_accept.html", context)
