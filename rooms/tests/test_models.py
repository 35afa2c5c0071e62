"""rooms/models/: invariants the rows keep."""

import pytest

from rooms.models import Room


@pytest.mark.django_db
def test_room_key_is_the_lowercased_name_and_unique():
    room = Room.objects.create(kind=Room.Kind.NAMED, name="Book-Club", title="Book-Club")
    assert room.key == "book-club"
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Room.objects.create(kind=Room.Kind.NAMED, name="BOOK-CLUB", title="x")
