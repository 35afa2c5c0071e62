"""The link preview service tests of test_previews.py again, on PostgreSQL (the integration line's DATABASE_URL):
cards are written from the fetcher's own threads, each on its own connection, next to the chat's."""

import pytest
from django.db import connection

from rooms.tests.services.test_previews import *  # noqa: F403 (the same tests, collected here again)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _on_postgresql():
    if connection.vendor != "postgresql":
        pytest.fail("the integration line runs on PostgreSQL: DATABASE_URL=postgres://… (see README)")
