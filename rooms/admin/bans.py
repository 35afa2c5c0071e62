"""Bans in the moderator's console: made here or from a message's "ban" link, lifted by deleting them."""

from django.contrib import admin
from django.db.models import Q
from django.utils import timezone

from rooms import services
from rooms.admin.common import SplitFilter
from rooms.identity import actor_for_request
from rooms.models import Ban
from rooms.selectors import in_force


class BanScopeFilter(SplitFilter):
    title = "scope"
    parameter_name = "scope"
    matching, others = ("site", "Site-wide"), ("room", "One room")

    def condition(self):
        return Q(room__isnull=True)


class BanActiveFilter(SplitFilter):
    title = "in force"
    parameter_name = "active"
    matching, others = ("yes", "In force"), ("no", "Expired")

    def condition(self):
        return in_force()


@admin.register(Ban)
class BanAdmin(admin.ModelAdmin):
    """Bans are made here (or from a message's "ban" link) and lifted by deleting them.

    A ban is never edited in place: a change would have to evict people again
    or let them back silently. Lift it and ban again instead.
    """

    list_display = ["__str__", "room", "until", "reason", "created_by", "created_at", "active"]
    list_filter = [BanActiveFilter, BanScopeFilter]
    list_select_related = ["room", "user"]
    search_fields = ["guest_key", "user__username", "reason", "room__name"]
    fields = ["guest_key", "user", "room", "until", "reason"]
    raw_id_fields = ["user", "room"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "guest_key":
            field.help_text = 'A guest\'s session id. To find it, open one of their messages and use its "ban" link.'
        return field

    @admin.display(boolean=True, description="in force")
    def active(self, ban):
        return ban.until is None or ban.until > timezone.now()

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        ban = services.ban_create(
            actor=actor_for_request(request),
            guest_key=obj.guest_key,
            user_id=obj.user_id,
            room=obj.room,
            until=obj.until,
            reason=obj.reason,
        )
        obj.pk, obj.created_by, obj.created_at = ban.pk, ban.created_by, ban.created_at
        obj._state.adding = False

    def delete_model(self, request, obj):
        services.ban_lift(ban=obj, actor=actor_for_request(request))

    def delete_queryset(self, request, queryset):
        actor = actor_for_request(request)
        for ban in queryset:
            services.ban_lift(ban=ban, actor=actor)
