"""rooms/realtime/coalesce.py: a burst of whole states goes out as its first and then its newest, per key."""

import asyncio

from rooms.realtime.coalesce import Coalescer


def state(key: str, rank: int) -> dict:
    return {"type": "hub.room", "room": 1, "text": f"{key}@{rank}", "coalesce": key, "rank": rank}


async def test_a_burst_goes_out_as_its_first_then_only_the_newest_of_each_key():
    sent: list[str] = []
    flushed = asyncio.Event()

    async def fan_out(message, frame):
        sent.append(message["text"])
        if len(sent) == 3:
            flushed.set()

    coalescer = Coalescer(asyncio.get_running_loop(), fan_out, 0.05)
    await coalescer.offer(state("a", 1), b"")
    for rank in range(2, 7):
        await coalescer.offer(state("a", rank), b"")
    await coalescer.offer(state("b", 7), b"")
    await coalescer.offer(state("a", 3), b"")  # older than the one waiting: dropped
    assert sent == ["a@1"]  # the first at once, the rest wait for the window
    await asyncio.wait_for(flushed.wait(), 5)
    assert sent == ["a@1", "a@6", "b@7"]
    await asyncio.sleep(0.1)  # the window is over: the next goes out at once again
    await coalescer.offer(state("a", 8), b"")
    assert sent[-1] == "a@8"
