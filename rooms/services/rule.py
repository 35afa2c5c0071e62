"""Apply a rule (rooms/rules.py) inside a service: its ValidationError becomes the ChatError a client sees."""

from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ValidationError

from rooms.errors import ChatError

T = TypeVar("T")


def apply(rule: Callable[[object], T], value: object) -> T:
    try:
        return rule(value)
    except ValidationError as error:
        raise ChatError.from_validation(error) from None
