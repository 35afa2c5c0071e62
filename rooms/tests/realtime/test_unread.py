"""rooms/realtime/unread.py: the rooms written in go out as rounds, at most one per window, all rooms at once."""

import asyncio

from django.db import OperationalError

from rooms.availability import watch
from rooms.realtime.unread import UnreadRounds


async def test_notes_within_a_window_become_one_round_of_all_their_rooms():
    rounds: list[list[int]] = []
    first, second = asyncio.Event(), asyncio.Event()

    async def announce(room_ids):
        rounds.append(room_ids)
        (first if len(rounds) == 1 else second).set()

    unread = UnreadRounds(asyncio.get_running_loop(), announce, 0.2)
    unread.note(5)
    await asyncio.wait_for(first.wait(), 5)  # a quiet process: the first round goes at once
    assert rounds == [[5]]
    for room_id in (7, 5, 3, 7, 5):
        unread.note(room_id)
    await asyncio.sleep(0)
    assert rounds == [[5]] and unread.task is not None  # inside the window: one round waits for them all
    await asyncio.wait_for(second.wait(), 5)
    assert rounds == [[5], [3, 5, 7]]


async def test_a_failed_round_is_logged_and_the_next_note_starts_another(caplog):
    calls: list[list[int]] = []
    done = asyncio.Event()

    async def announce(room_ids):
        calls.append(room_ids)
        if len(calls) == 1:
            raise RuntimeError("database away")
        done.set()

    unread = UnreadRounds(asyncio.get_running_loop(), announce, 0.01)
    unread.note(1)
    await asyncio.sleep(0.05)
    assert "could not announce unread counts" in caplog.text
    unread.note(2)
    await asyncio.wait_for(done.wait(), 5)
    assert calls == [[1], [2]]


async def test_a_window_of_zero_turns_live_room_counts_off():
    calls: list[list[int]] = []

    async def announce(room_ids):
        calls.append(room_ids)

    unread = UnreadRounds(asyncio.get_running_loop(), announce, 0)
    unread.note(1)
    await asyncio.sleep(0.05)
    assert calls == [] and unread.task is None


async def test_a_round_the_database_cannot_take_is_an_outage_logged_without_a_traceback(caplog):
    async def announce(room_ids):
        raise OperationalError("could not connect to server")

    unread = UnreadRounds(asyncio.get_running_loop(), announce, 0.01)
    unread.note(1)
    await asyncio.wait_for(unread.task, 5)  # the round ends by itself, the error handled
    try:
        assert watch.down_since is not None  # the outage is known: the health check and the sockets say so
        assert not [record for record in caplog.records if record.exc_info]
    finally:
        watch.ok()
