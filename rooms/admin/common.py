"""What every model admin here shares: running a service over the selected objects."""

from django.contrib import messages

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
