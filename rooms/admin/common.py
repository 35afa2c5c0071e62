"""What every model admin here shares: running a service over the selected objects."""

from django.contrib import admin, messages
from django.db.models import Q

from rooms.errors import ChatError
from rooms.identity import actor_for_request


def run_service(modeladmin, request, objects, action, done: str) -> None:
    """Apply a service to each object; report successes and refusals on the page."""
    actor = actor_for_request(request)
    count = 0
    for obj in objects:
        try:
            action(obj, actor)
            count += 1
        except ChatError as error:
            modeladmin.message_user(request, f"{obj}: {error.message}", messages.ERROR)
    if count:
        modeladmin.message_user(request, f"{done}: {count}.", messages.SUCCESS)


class SplitFilter(admin.SimpleListFilter):
    """A list filter of two choices: the rows `condition()` matches, and the others."""

    matching: tuple[str, str]  # (parameter value, label)
    others: tuple[str, str]

    def condition(self) -> Q:
        raise NotImplementedError

    def lookups(self, request, model_admin):
        return [self.matching, self.others]

    def queryset(self, request, queryset):
        if self.value() == self.matching[0]:
            return queryset.filter(self.condition())
        if self.value() == self.others[0]:
            return queryset.exclude(self.condition())
        return queryset
