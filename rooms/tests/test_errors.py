"""rooms/errors.py: one list of codes, the same in docs/protocol.md."""

import json
import re

from django.core.exceptions import ValidationError

from rooms.errors import DEFAULT_MESSAGES, ChatError, Close, Code, codes
from rooms.tests.support.docs import documented_close_codes, documented_codes
from rooms.tests.support.servers import BASE_DIR


def test_every_error_code_is_documented_and_every_documented_code_exists():
    assert set(codes().values()) == documented_codes()


def test_every_close_code_chatsite_sends_is_documented():
    sent = {value for name, value in vars(Close).items() if name.isupper()}
    assert sent == {4002, 4003, 4008, 4011, 4012, 4013, 4014, 4015}
    assert sent <= documented_close_codes()


def test_every_code_has_a_default_message():
    assert set(DEFAULT_MESSAGES) == set(codes().values())
    assert ChatError(Code.ROOM_LOCKED).as_data() == {
        "code": "room_locked",
        "message": "This room is read-only for now.",
    }


def test_a_rules_validation_error_becomes_its_code_and_fields():
    error = ChatError.from_validation(
        ValidationError("Messages are limited to 5 characters.", code=Code.MESSAGE_TOO_LONG, params={"max_length": 5})
    )
    assert error.as_data() == {
        "code": "message_too_long",
        "message": "Messages are limited to 5 characters.",
        "max_length": 5,
    }
    assert ChatError.from_validation(ValidationError("no code given")).code == Code.BAD_FRAME


def js_constants(name: str) -> dict[str, object]:
    """`export const <name> = Object.freeze({ NAME: value, ... })` from static/js/protocol.js."""
    source = (BASE_DIR / "static" / "js" / "protocol.js").read_text()
    block = re.search(rf"export const {name} = Object\.freeze\(\{{(.*?)\}}\);", source, re.S)
    assert block, f"static/js/protocol.js has no {name}"
    pairs = re.findall(r"^\s*([A-Z_]+): (\d+|\"[a-z_]+\"),$", block.group(1), re.M)
    return {key: json.loads(value) for key, value in pairs}


def test_the_browser_reads_the_same_codes_as_the_server():
    assert js_constants("Code") == codes()
    assert js_constants("Close") == {name: value for name, value in vars(Close).items() if name.isupper()}
