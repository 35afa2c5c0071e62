"""HTTP pages while the database is away: a 503 that says so and tries again, not a 500 with a traceback.

The socket layer answers an outage `unavailable` (rooms/availability.py); a page
request meets the same exceptions in its view or while its template renders,
and gets the same treatment: one warning line per outage in the log (shared
with the sockets' DatabaseWatch; Django's own 5xx line is filtered out), `Retry-After`, and a page that reloads itself.
The page is rendered without the request, so no context processor asks the
database for the session or the user again.
"""

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.deprecation import MiddlewareMixin

from rooms.availability import DATABASE_OUTAGE, RETRY_AFTER_SECONDS, watch


class DatabaseOutageMiddleware(MiddlewareMixin):  # the mixin runs sync or async, as the stack around it does
    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_OUTAGE):
            return None
        watch.failed(f"page {request.path}", exception)
        request.database_outage = True  # Django's own "Service Unavailable" line is left out (chatsite/logs.py)
        seconds = int(RETRY_AFTER_SECONDS)
        body = render_to_string("unavailable.html", {"retry_after": seconds})
        response = HttpResponse(body, status=503)
        response["Retry-After"] = str(seconds)
        response["Cache-Control"] = "no-store"
        return response
