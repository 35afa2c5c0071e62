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


@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary="])
def test_a_multipart_body_without_a_boundary_is_a_400_with_one_line_of_log(caplog, content_type):
    with caplog.at_level(logging.INFO):
        response = Client(raise_request_exception=False).generic(
            "POST", "/r/general/attachments/", b"--x\r\n\r\nbytes", content_type=content_type
        )
    assert response.status_code == 400
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1 and records[0].exc_info is None
    assert "Invalid boundary in multipart" in records[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
