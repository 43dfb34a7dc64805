from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import Account, Invitation, Membership, Merchant, User
from accounts.throttle import login_unlock


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "is_active", "is_staff", "date_joined", "last_login"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Name", {"fields": ["first_name", "last_name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    actions = ["unlock_login"]

    # Address lock-outs are under Axes → Access attempts: delete the rows to lift them.
    @admin.action(description="Unlock the login of the selected users")
    def unlock_login(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            login_unlock(username=user.email)
        self.message_user(request, f"{queryset.count()} user(s) can log in again.")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user", "merchant"]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "timezone", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "wms_customer_id", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "account__name"]
    raw_id_fields = ["account"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "account", "role", "merchant", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "account__name"]
    raw_id_fields = ["user", "account", "merchant"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "account",
        "role",
        "merchant",
        "created_at",
        "expires_at",
        "accepted_at",
    ]
    search_fields = ["email", "account__name"]
    raw_id_fields = ["account", "merchant", "invited_by"]
    exclude = ["token_hash"]
