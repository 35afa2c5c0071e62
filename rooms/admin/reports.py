"""Reports: the moderators' queue of reported messages, each with the few messages around it.

The only place staff read a direct conversation: the rooms and messages
admins leave conversations out, and a report shows its message in context,
nothing more. Acting on it uses the same services as everywhere (remove the
message, ban its author), then the report is marked handled.
"""

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from rooms import services
from rooms.admin.common import run_service
from rooms.models import Message, Report

AROUND = 3  # messages shown before and after the reported one


class OpenReportFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("handled", "Handled")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(handled_at__isnull=True)
        if self.value() == "handled":
            return queryset.filter(handled_at__isnull=False)
        return queryset


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "reporter_name", "reason", "room_kind", "excerpt", "author", "handled_at"]
    list_filter = [OpenReportFilter]
    list_select_related = ["message__room"]
    ordering = ["handled_at", "-created_at"]
    fields = ["created_at", "reporter_name", "reason", "room_kind", "context", "handled_at"]
    readonly_fields = fields
    actions = ["remove_messages", "ban_authors_from_site", "mark_handled"]

    @admin.display(description="room")
    def room_kind(self, report):
        room = report.message.room
        return "a direct conversation" if room.is_direct else f"#{room.name}" if room.is_public else room.title

    @admin.display(description="message")
    def excerpt(self, report):
        text = report.message.text
        return text if len(text) <= 80 else text[:79] + "…"

    @admin.display(description="author")
    def author(self, report):
        return report.message.username

    @admin.display(description="in context")
    def context(self, report):
        """The reported message with the few around it in its room, oldest first; the reported one marked."""
        message = report.message
        around = Message.objects.filter(room_id=message.room_id, deleted_at__isnull=True)
        before = list(around.filter(seq__lt=message.seq).order_by("-seq")[:AROUND])[::-1]
        after = list(around.filter(seq__gt=message.seq).order_by("seq")[:AROUND])
        rows = [*before, message, *after]
        return format_html(
            '<ol class="report-context">{}</ol>',
            format_html_join(
                "",
                '<li class="{}"><strong>{}</strong>: {}</li>',
                (("reported" if row.pk == message.pk else "", row.username, row.text) for row in rows),
            ),
        )

    def has_add_permission(self, request):
        return False  # members report from the chat

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Remove the reported messages (disappear live) and mark handled")
    def remove_messages(self, request, queryset):
        def remove(report, actor):
            if report.message.deleted_at is None:
                services.message_delete(message_id=report.message_id, actor=actor)
            services.report_handle(report=report, actor=actor)

        run_service(self, request, queryset.select_related("message__room"), remove, "Removed")

    @admin.action(description="Ban the authors from the whole site and mark handled")
    def ban_authors_from_site(self, request, queryset):
        def ban(report, actor):
            message = report.message
            services.ban_create(
                actor=actor,
                guest_key=message.author_key,
                user_id=message.author_user_id,
                reason=f"reported message {message.pk}",
            )
            services.report_handle(report=report, actor=actor)

        run_service(self, request, queryset.select_related("message__room"), ban, "Banned")

    @admin.action(description="Mark handled")
    def mark_handled(self, request, queryset):
        run_service(
            self,
            request,
            queryset.select_related("message__room"),
            lambda report, actor: services.report_handle(report=report, actor=actor),
            "Handled",
        )
