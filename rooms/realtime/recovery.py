"""After a channel-layer outage: subscribe again, refill lost messages, restate member lists and counts."""

import logging
from typing import TYPE_CHECKING

from rooms import selectors
from rooms.dbthread import database_sync_to_async
from rooms.payloads import encode, member_list_data, room_data
from rooms.realtime.bus import COUNT, MEMBERS

if TYPE_CHECKING:
    from rooms.realtime.hub import Hub

logger = logging.getLogger(__name__)


async def recover(hub: "Hub") -> None:
    """A restarted Redis has forgotten the hub's subscriptions and whatever was queued."""
    await hub.subscribe_all()
    try:
        await hub.housekeeping.refill(now=True)
    except Exception:
        logger.warning("refill after the channel layer came back failed; housekeeping retries", exc_info=True)
    try:
        await restate_presence(hub)
    except Exception:
        logger.warning("could not restate member lists after the channel layer came back", exc_info=True)


async def restate_presence(hub: "Hub") -> None:
    """Joins and leaves announced while the layer was down never arrived: send the current state.

    Only to this process's own sockets: every process does the same once it
    has resubscribed, so none depends on another's timing.
    """
    states = await database_sync_to_async(selectors.presence_state)(room_ids=list(hub.rooms))
    for room, version, members, accounts in states:
        update = encode("room_update", room_data(room, len(members)))
        if room.pk in hub.rooms:
            listing = encode("member_list", member_list_data(room.name, members, accounts))
            await hub.dispatch(
                {"type": "hub.room", "room": room.pk, "text": listing, "version": version, "stream": MEMBERS}
            )
            if not room.is_public:
                await hub.dispatch(
                    {"type": "hub.room", "room": room.pk, "text": update, "version": version, "stream": COUNT}
                )
        if room.is_public:
            await hub.dispatch({"type": "hub.lobby", "room": room.pk, "text": update, "version": version})
