"""The rules for names and codes."""

import pytest
from django.core.exceptions import ValidationError

from rooms.rules import CODE_ALPHABET, CODE_LENGTH, clean_room_name, clean_username, new_room_code


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("ann", "ann"), ("  Ann  Lee ", "Ann Lee"), ("x" * 32, "x" * 32), ("Zoë 🎧", "Zoë 🎧")]
    + [
        ("Zoe\u0308", "Zo\u00eb"),
        ("\U0001f469\u200d\U0001f4bb dev", "\U0001f469\u200d\U0001f4bb dev"),
        ("Ελένη", "Ελένη"),
    ],
)
def test_usernames_are_trimmed_and_folded(raw, clean):
    assert clean_username(raw) == clean


@pytest.mark.parametrize("raw", ["", "   ", "x" * 33, None, 5, "a\u200bb", "rtl\u202e", "nul\x00", "bell\x07"])
def test_bad_usernames(raw):
    with pytest.raises(ValidationError) as caught:
        clean_username(raw)
    assert caught.value.code == "invalid_username"


@pytest.mark.parametrize("raw", ["general", "Book-Club", "a", "room_2", "9lives", "x" * 32])
def test_good_room_names(raw):
    assert clean_room_name(f"  {raw} ") == raw


@pytest.mark.parametrize("raw", ["", " ", "has space", "-lead", "_lead", "x" * 33, "ümlaut", "a/b", "<b>", None])
def test_bad_room_names(raw):
    with pytest.raises(ValidationError) as caught:
        clean_room_name(raw)
    assert caught.value.code == "invalid_room_name"


def test_codes_use_the_unambiguous_alphabet():
    assert not set(CODE_ALPHABET) & set("0O1IL")
    codes = {new_room_code() for _ in range(500)}
    assert len(codes) == 500
    assert all(len(code) == CODE_LENGTH >= 6 and set(code) <= set(CODE_ALPHABET) for code in codes)


@pytest.mark.parametrize("name", ["K7QX9MPA", "k7qx9mpa", " ZZZZZZ22 "])
def test_a_name_shaped_like_a_private_code_is_not_a_room_name(name):
    with pytest.raises(ValidationError) as caught:
        clean_room_name(name)
    assert caught.value.code == "invalid_room_name"
    assert "private room codes" in caught.value.messages[0]


@pytest.mark.parametrize("name", ["GENERAL1", "K7QX9MP", "K7QX9MPAB", "K7QX-MPA", "football"])
def test_names_near_the_code_shape_are_fine(name):
    assert clean_room_name(name) == name


INVISIBLE = ["\u2060", "\u00ad", "\u034f", "\u061c", "\u180e", "\u2062", "\U000e0041", "\u200d", "\u2066"]


@pytest.mark.parametrize("char", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
def test_names_with_invisible_or_bidi_characters_are_refused(char):
    with pytest.raises(ValidationError) as caught:
        clean_username(f"an{char}n")
    assert caught.value.code == "invalid_username"
    assert "invisible" in caught.value.message


@pytest.mark.parametrize("raw", ["\u3164", "\u2800", "\u2800 \u2800", "\u0301"])
def test_names_that_render_blank_are_refused(raw):
    with pytest.raises(ValidationError) as caught:
        clean_username(raw)
    assert caught.value.code == "invalid_username"
    assert caught.value.message == "Pick a display name people can see."


@pytest.mark.parametrize("raw", ["System", "system", "[SYSTEM]", "S\u0443stem", "chatsite", "Admin", "Moderator"])
def test_names_that_could_pass_for_server_notices_are_reserved(raw):
    with pytest.raises(ValidationError) as caught:
        clean_username(raw)
    assert caught.value.code == "invalid_username"
    assert "kept for chatsite" in caught.value.message


def test_the_reserved_names_come_from_settings(settings):
    settings.RESERVED_NAMES = ["announcer"]
    assert clean_username("System") == "System"
    with pytest.raises(ValidationError):
        clean_username("Announcer")
