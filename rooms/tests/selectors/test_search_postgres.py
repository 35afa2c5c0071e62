"""The search tests of test_search.py again, on PostgreSQL (the integration line's DATABASE_URL)."""

import pytest
from django.db import connection

from rooms.tests.selectors.test_search import *  # noqa: F403 (the same tests, collected here again)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _on_postgresql():
    if connection.vendor != "postgresql":
        pytest.fail("the integration line runs on PostgreSQL: DATABASE_URL=postgres://… (see README)")
