"""SharedRead (rooms/realtime/shared.py): callers that ask at once share one read, and no caller gets a
read that started before it asked (it would miss a change made in between)."""

import asyncio
import threading

from asgiref.sync import sync_to_async

from rooms.realtime.shared import SharedRead


def run_on_a_thread(read):
    return sync_to_async(read, thread_sensitive=False)


class Reads:
    """A read that counts its calls and waits on its thread until `release` is set (it starts set)."""

    def __init__(self, fail: bool = False):
        self.calls = 0
        self.started = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self.fail = fail

    def __call__(self):
        self.calls += 1
        number = self.calls
        self.started.set()
        self.release.wait(10)
        if self.fail:
            raise ConnectionError("the database went away")
        return {"read": number}


async def test_callers_that_ask_together_share_one_read():
    reads = Reads()
    shared = SharedRead(reads, run_on_a_thread)
    results = await asyncio.gather(*(shared.get() for _ in range(200)))
    assert reads.calls == 1
    assert results == [{"read": 1}] * 200


async def test_a_caller_that_asks_while_a_read_runs_gets_the_next_read_not_that_one():
    reads = Reads()
    reads.release.clear()
    shared = SharedRead(reads, run_on_a_thread)
    early = asyncio.ensure_future(shared.get())
    await asyncio.to_thread(reads.started.wait, 10)  # the first read has begun on its thread
    late = [asyncio.ensure_future(shared.get()) for _ in range(50)]
    await asyncio.sleep(0.05)
    assert reads.calls == 1  # the next read waits for the one running: one at a time
    reads.release.set()
    assert await early == {"read": 1}
    assert await asyncio.gather(*late) == [{"read": 2}] * 50
    assert reads.calls == 2
    assert await shared.get() == {"read": 3}  # nothing runs now: a new caller starts a new read


async def test_a_failed_read_fails_every_caller_and_the_next_caller_reads_again():
    reads = Reads(fail=True)
    shared = SharedRead(reads, run_on_a_thread)
    results = await asyncio.gather(*(shared.get() for _ in range(5)), return_exceptions=True)
    assert all(isinstance(result, ConnectionError) for result in results) and reads.calls == 1
    reads.fail = False
    assert await shared.get() == {"read": 2}


async def test_callers_that_go_away_leave_the_read_to_finish_and_the_next_caller_reads_again():
    reads = Reads()
    reads.release.clear()
    shared = SharedRead(reads, run_on_a_thread)
    callers = [asyncio.ensure_future(shared.get()) for _ in range(3)]
    await asyncio.to_thread(reads.started.wait, 10)
    for caller in callers:
        caller.cancel()  # the sockets closed while waiting
    await asyncio.gather(*callers, return_exceptions=True)
    assert all(caller.cancelled() for caller in callers)
    reads.release.set()
    assert await shared.get() == {"read": 2}
    assert reads.calls == 2
