"""GET /healthz: can this process reach what it needs to serve chat?

A load balancer polls it to decide whether to send traffic here, so it checks
for real rather than answering "ok" by reflex: a `SELECT 1` on a fresh
database connection, and a message sent to and received back from a throwaway
channel on the channel layer (Redis when REDIS_URL is set). Both run at once,
each bounded by HEALTH_CHECK_TIMEOUT, so a hung dependency makes the answer
slow by at most that much, never stuck. 200 when both pass, 503 otherwise,
always with a JSON body saying which part failed; the details of a failure go
to the log, not to whoever polls.
"""

import asyncio
import contextlib
import logging
import secrets
import time
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

HEALTH_CHECK_TIMEOUT = 2.0


def _select_one() -> str:
    """Run on a worker thread of its own, so a hung database cannot block request handling."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return connection.vendor
    finally:
        connection.close()  # this thread's connection; a check never leaves one open


async def _database() -> str:
    return await sync_to_async(_select_one, thread_sensitive=False)()


async def _channel_layer() -> str:
    layer = get_channel_layer()
    nonce = secrets.token_hex(8)
    if isinstance(layer, RedisPubSubChannelLayer):
        # Pub/sub delivers only to who already listens: subscribe (new_channel) before sending.
        channel = await layer.new_channel("healthz.")
    else:
        # A plain (not process-local) name: receiving it does not queue behind the hub's receive loop.
        channel = f"healthz.{secrets.token_hex(8)}"
    receiving = asyncio.ensure_future(layer.receive(channel))
    try:
        await layer.send(channel, {"type": "healthz.ping", "nonce": nonce})
        message = await receiving
    finally:
        receiving.cancel()  # still waiting only if the send failed
    if isinstance(layer, RedisPubSubChannelLayer):
        await _unsubscribe(layer, channel)
    if message.get("nonce") != nonce:
        raise RuntimeError("the channel layer returned a different message")
    return type(layer).__name__


async def _unsubscribe(layer: RedisPubSubChannelLayer, channel: str) -> None:
    """The pub/sub layer unsubscribes a channel when a receive on it is cancelled, its only way to."""
    waiting = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0)  # let it start waiting
    waiting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waiting


async def _check(name: str, probe) -> dict[str, Any]:
    started = time.monotonic()
    try:
        detail = await asyncio.wait_for(probe(), HEALTH_CHECK_TIMEOUT)
    except Exception as error:
        reason = "timeout" if isinstance(error, TimeoutError) else type(error).__name__
        logger.warning("healthz: %s check failed: %s: %s", name, reason, error)
        return {"status": "error", "error": reason}
    return {"status": "ok", "backend": detail, "ms": round((time.monotonic() - started) * 1000, 1)}


@never_cache
@require_safe
async def healthz(request):
    """200 with {"status": "ok", ...} when the database and the channel layer both answer, else 503."""
    database, channel_layer = await asyncio.gather(
        _check("database", _database), _check("channel layer", _channel_layer)
    )
    healthy = database["status"] == "ok" and channel_layer["status"] == "ok"
    body = {"status": "ok" if healthy else "error", "database": database, "channel_layer": channel_layer}
    return JsonResponse(body, status=200 if healthy else 503)
