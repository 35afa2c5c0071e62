"""The project's own pages, outside any app."""

from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

FAVICON_MAX_AGE = 60 * 60 * 24  # a day: the 301 is cached no longer, so a new icon arrives in time


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico on every site, whatever a page links (the admin's pages too): send them to the 32 px icon."""
    response = HttpResponsePermanentRedirect(static("icons/favicon-32.png"))
    patch_cache_control(response, public=True, max_age=FAVICON_MAX_AGE)
    return response
