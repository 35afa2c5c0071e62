"""Build the message search index again, with SEARCH_CONFIG as it is now (after changing it)."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from rooms import searchindex


class Command(BaseCommand):
    help = "Rebuild the message search index with the current SEARCH_CONFIG."

    def handle(self, *args, **options):
        with transaction.atomic():
            searchindex.build(connection)
        self.stdout.write(f"search index rebuilt on {connection.vendor} with config {settings.SEARCH_CONFIG}")
