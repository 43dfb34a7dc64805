from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views
from accounts.forms import EmailLoginForm

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/sent/", views.signup_sent, name="signup_sent"),
    path("signup/confirm/<str:token>/", views.signup_confirm, name="signup_confirm"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=EmailLoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("no-account/", views.no_account, name="no_account"),
    path("account/switch/", views.account_switch, name="account_switch"),
    path("settings/", views.account_settings, name="account_settings"),
    # No account id in the path: the pages act on the current account, and take its id in
    # the query or form so that a stale page never acts on another one.
    path("settings/data/", views.account_data, name="account_data"),
    path("settings/data/export.jsonl", views.account_export, name="account_export"),
    path("merchants/", views.merchant_list, name="merchant_list"),
    path("merchants/new/", views.merchant_create, name="merchant_create"),
    path("merchants/<int:merchant_id>/", views.merchant_edit, name="merchant_edit"),
    path("merchants/<int:merchant_id>/invite/", views.merchant_invite, name="merchant_invite"),
    path("users/", views.user_list, name="user_list"),
    path("users/invite/", views.user_invite, name="user_invite"),
    path("users/<int:membership_id>/", views.membership_edit, name="membership_edit"),
    path("users/<int:membership_id>/remove/", views.membership_remove, name="membership_remove"),
    path("users/<int:membership_id>/unlock/", views.membership_unlock, name="membership_unlock"),
    path(
        "invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "invitations/<int:invitation_id>/resend/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
