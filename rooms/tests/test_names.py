"""Names people can tell apart (chatsite/names.py): look-alikes share a key, invisible characters are found."""

import importlib
import unicodedata

import pytest

from chatsite.names import invisible_characters, is_reserved, looks_blank, name_key, skeleton

LOOK_ALIKES_OF_ANN = {
    "capitals": "ANN",
    "Cyrillic а": "\u0430nn",
    "fullwidth": "\uff41\uff4e\uff4e",
    "mathematical bold": "\U0001d41a\U0001d427\U0001d427",
    "word joiner U+2060": "a\u2060nn",
    "soft hyphen U+00AD": "an\u00adn",
    "combining grapheme joiner U+034F": "an\u034fn",
    "Arabic letter mark U+061C": "\u061cann",
    "Mongolian vowel separator U+180E": "ann\u180e",
    "invisible times U+2062": "a\u2062nn",
    "tag characters": "ann\U000e0041\U000e007f",
    "zero width space": "a\u200bnn",
}


@pytest.mark.parametrize("variant", LOOK_ALIKES_OF_ANN.values(), ids=LOOK_ALIKES_OF_ANN.keys())
def test_look_alikes_share_one_key(variant):
    assert variant != "ann"
    assert name_key(variant) == name_key("ann")


def test_decomposed_and_composed_forms_are_one_name():
    composed, decomposed = "Zo\u00eb", "Zoe\u0308"
    assert unicodedata.normalize("NFC", decomposed) == composed != decomposed
    assert name_key(composed) == name_key(decomposed)
    # The accent still counts: "Zoe" is another name.
    assert name_key("Zoe") != name_key(composed)


@pytest.mark.parametrize(("one", "other"), [("ann", "anna"), ("dave", "dove"), ("Ελένη", "Elena"), ("李", "杏")])
def test_different_names_keep_different_keys(one, other):
    assert name_key(one) != name_key(other)


def test_the_skeleton_is_unicodes():
    # UTS #39's own examples of the table: "rn" is a look-alike of "m", "l", "1" and "I" of one another.
    assert skeleton("m") == skeleton("rn")
    assert skeleton("l") == skeleton("1") == skeleton("I")
    assert name_key("Mary") == name_key("rnary")


def test_a_name_that_expands_a_lot_keeps_a_key_of_bounded_size():
    key = name_key("\ufdfa" * 32)  # each is 18 letters under NFKC
    assert len(key) <= 64
    assert key != name_key("\ufdfa" * 31)


@pytest.mark.parametrize("char", ["\u2060", "\u00ad", "\u034f", "\u061c", "\u180e", "\u2062", "\U000e0041", "\u202e"])
def test_invisible_and_bidi_characters_are_found(char):
    assert invisible_characters(f"an{char}n") == [char]


@pytest.mark.parametrize("name", ["\U0001f469\u200d\U0001f4bb ann", "\u2764\ufe0f", "Zo\u00eb \U0001f3a7"])
def test_emoji_sequences_are_not_invisible_characters(name):
    assert invisible_characters(name) == []


@pytest.mark.parametrize("name", ["\u3164", "\u2800\u2800", "\u3164 \u3164", "\u0301", "\u200b\u2060", " "])
def test_names_that_render_blank(name):
    assert looks_blank(name)


@pytest.mark.parametrize("name", ["ann", ".", "\U0001f3a7", "李"])
def test_names_that_show(name):
    assert not looks_blank(name)


RESERVED = ("system", "chatsite")


@pytest.mark.parametrize("name", ["System", "SYSTEM", "[system]", "S\u0443stem", "sys tem", "Chatsite!", "\uff33ystem"])
def test_names_that_could_pass_for_a_reserved_one(name):
    assert is_reserved(name, RESERVED)


@pytest.mark.parametrize("name", ["systems", "my system", "ann", "chat site fan"])
def test_names_near_a_reserved_one_are_free(name):
    assert not is_reserved(name, RESERVED)


@pytest.mark.django_db
def test_presence_rows_from_before_the_keys_are_rekeyed():
    from django.apps import apps

    from rooms.models import Presence, Room

    rekey = importlib.import_module("rooms.migrations.0003_presence_name_keys").rekey
    room = Room.objects.create(key="rekey", name="rekey", kind=Room.Kind.NAMED)
    old = Presence.objects.create(room=room, guest_key="g1", username="Mary", username_key="mary")
    clash = Presence.objects.create(room=room, guest_key="g2", username="rnary", username_key="rnary-old")
    rekey(apps, None)
    old.refresh_from_db(), clash.refresh_from_db()
    assert old.username_key == "rnary"
    assert clash.username_key == "rnary-old"  # a look-alike already present keeps its key until it leaves
