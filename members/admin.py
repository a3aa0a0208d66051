from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from . import services
from .models import Membership, MembershipEvent, StripeEvent


class MembershipEventInline(admin.TabularInline):
    model = MembershipEvent
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in MembershipEvent._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Read-only: memberships change through Stripe or the complimentary tool."""

    list_display = ["user", "status", "plan", "current_period_end", "is_complimentary"]
    list_filter = ["status", "is_complimentary", "plan"]
    search_fields = ["user__email", "stripe_customer_id", "stripe_subscription_id"]
    inlines = [MembershipEventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "type", "received_at"]
    search_fields = ["event_id"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class AccountAdmin(UserAdmin):
    """Deleting a user here deletes the account the way its owner would (account_delete)."""

    def delete_model(self, request, obj):
        try:
            services.account_delete(user=obj, actor=request.user)
        except services.AccountDeletionError as error:
            self.message_user(request, str(error), messages.ERROR)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            self.delete_model(request, user)
