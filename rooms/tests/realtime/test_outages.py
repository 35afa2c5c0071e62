"""rooms/realtime/outages.py: a channel-layer outage is one line of log, not a traceback a second."""

import logging

from redis.exceptions import ConnectionError as RedisConnectionError

from rooms.realtime.outages import LayerOutageFilter, LayerWatch


def record(error: Exception | None, message: str = "read failed") -> logging.LogRecord:
    exc_info = (type(error), error, None) if error else None
    return logging.LogRecord("channels_redis.pubsub", logging.ERROR, __file__, 1, message, (), exc_info)


def test_the_filter_turns_an_outage_traceback_into_one_line_a_minute():
    outage_filter = LayerOutageFilter()
    first = record(RedisConnectionError("Connection refused"))
    assert outage_filter.filter(first)
    assert (first.levelname, first.exc_info) == ("WARNING", None)
    assert first.getMessage() == "read failed: ConnectionError: Connection refused (channel layer unavailable)"
    assert not outage_filter.filter(record(RedisConnectionError("again")))  # within the minute
    other = record(ValueError("a real bug"))
    assert outage_filter.filter(other) and other.exc_info is not None  # anything else passes untouched


def test_the_watch_says_so_once_per_outage_and_tells_when_it_ends(caplog):
    watch = LayerWatch()
    assert watch.ok() is False  # nothing to recover from
    with caplog.at_level(logging.DEBUG, logger="rooms.realtime.outages"):
        watch.failed("publish", OSError("down"))
        watch.failed("receive", OSError("still down"))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "channel layer unavailable (publish" in warnings[0].getMessage()
    assert watch.down
    assert watch.ok() is True  # the caller recovers now
    assert watch.ok() is False and not watch.down
