"""rooms/realtime/lobby.py: count updates wait longer between rounds the more sockets a round goes to."""

import asyncio
import json

from rooms.payloads import encode
from rooms.realtime import lobby
from rooms.realtime.lobby import LobbyUpdates


def update(name: str, users: int) -> str:
    return encode("room_update", {"name": name, "users": users})


async def rounds_with(sockets: int) -> tuple[list[str], float]:
    """Offer two updates back to back to a lobby of `sockets`: what went out at once, and how long the next waits."""
    sent: list[str] = []
    first = asyncio.Event()

    async def to_everyone(text: str) -> None:
        sent.append(text)
        first.set()

    loop = asyncio.get_running_loop()
    updates = LobbyUpdates(loop, to_everyone, audience=lambda: sockets)
    updates.offer(1, 1, update("a", 1))
    await asyncio.wait_for(first.wait(), 5)  # the first round is due at once
    updates.offer(2, 1, update("b", 1))
    updates.offer(1, 2, update("a", 2))
    wait = updates.timer.when() - loop.time()
    await updates.flush()  # the waiting round, sent now rather than waited for
    return sent, wait


async def test_a_small_lobby_hears_counts_four_times_a_second_a_big_one_less_often():
    sent, wait = await rounds_with(10)
    assert json.loads(sent[0]) == {"event": "room_update", "data": {"name": "a", "users": 1}}
    # the second round: both rooms' newest counts in one frame
    second = json.loads(sent[1])
    assert second["event"] == "room_updates"
    assert sorted(second["data"]["rooms"], key=lambda room: room["name"]) == [
        {"name": "a", "users": 2},
        {"name": "b", "users": 1},
    ]
    assert lobby.LOBBY_INTERVAL - 0.05 < wait <= lobby.LOBBY_INTERVAL

    _, wait = await rounds_with(5000)  # 5,000 sockets: 4,000 frames a second in all, one round every 1.25 s
    assert 1.2 < wait <= 5000 / lobby.LOBBY_FRAMES_PER_SECOND

    _, wait = await rounds_with(100_000)
    assert lobby.LOBBY_INTERVAL_MAX - 0.05 < wait <= lobby.LOBBY_INTERVAL_MAX
