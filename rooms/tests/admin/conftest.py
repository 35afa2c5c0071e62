"""Fixtures of the admin tests."""

import pytest

from rooms.tests.admin.steps import Moderator, _make_moderator


@pytest.fixture
async def staff() -> Moderator:
    """A superuser logged in to the admin."""
    return await _make_moderator("mod", superuser=True)
