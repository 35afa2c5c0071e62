"""What docs/protocol.md promises, read from its tables, for tests that hold the code to it."""

import re

from rooms.tests.support.servers import BASE_DIR

PROTOCOL_DOC = (BASE_DIR / "docs" / "protocol.md").read_text()


def documented_codes() -> set[str]:
    """The protocol's error codes (docs/protocol.md, "Errors"); nothing else may ever appear."""
    section = PROTOCOL_DOC.split("## Errors", 1)[1].split("## Close codes", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE))


def documented_close_codes() -> set[int]:
    section = PROTOCOL_DOC.split("## Close codes", 1)[1].split("##", 1)[0]
    return {int(code) for code in re.findall(r"^\| (\d{4}) \|", section, flags=re.MULTILINE)}
