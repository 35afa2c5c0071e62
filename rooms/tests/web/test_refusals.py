"""Requests refused for their size: a 400 and one line of log, never a traceback."""

import logging

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("data", "logger"),
    [
        ({"username": "ann", "new_room": "x" * 3_000_000, "action": "create_named"}, "RequestDataTooBig"),
        ({f"field{i}": "1" for i in range(1_200)}, "TooManyFieldsSent"),
    ],
    ids=["3 MB form", "1,200 fields"],
)
def test_an_oversized_form_is_a_400_with_one_line_of_log(caplog, data, logger):
    with caplog.at_level(logging.INFO):
        response = Client(raise_request_exception=False).post("/", data)
    assert response.status_code == 400
    records = [r for r in caplog.records if r.name == f"django.security.{logger}"]
    assert len(records) == 1
    assert records[0].levelno == logging.WARNING and records[0].exc_info is None
    assert "refused with 400" in records[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
