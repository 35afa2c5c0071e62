"""Presence: who is online, notices, live counts, and rooms that clean themselves up."""

import asyncio
from datetime import timedelta
from io import StringIO

import pytest
from channels.db import database_sync_to_async
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.utils import timezone

from rooms import services
from rooms.identity import GUEST_KEY, Actor
from rooms.models import Connection, Membership, Message, Presence, Room, ServerProcess
from rooms.payloads import author_token
from rooms.tests.support.client import LOBBY_NOISE, updated_rooms

pytestmark = pytest.mark.django_db(transaction=True)

NOISE = LOBBY_NOISE  # member lists and notices are what these tests look at


@database_sync_to_async
def room_exists(name):
    return Room.objects.filter(key=name.lower()).exists()


@database_sync_to_async
def message_count(name):
    return Message.objects.filter(room__key=name.lower()).count()


async def wait_for(predicate, seconds=5.0):
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.05)
    return False


async def test_join_is_announced_to_the_others_not_the_joiner(joined):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    notice = await ann.expect("system_message", skip=NOISE)
    assert notice["kind"] == "join"
    assert notice["username"] == "bob"
    assert notice["text"] == "bob joined"
    assert notice["room"] == "general"
    assert (await ann.expect("member_list", skip=NOISE))["members"] == ["ann", "bob"]
    assert "system_message" not in await bob.events()


async def test_leave_room_disconnect_and_switch_are_all_announced(joined):
    ann = await joined("general", "ann")
    for how in ["leave_room", "disconnect", "switch"]:
        other = await joined("general", "bob")
        await ann.collect()
        if how == "leave_room":
            await other.send("leave_room")
        elif how == "disconnect":
            await other.close()
        else:
            await other.join("tech")
        notice = await ann.expect("system_message", skip=NOISE)
        assert (notice["kind"], notice["text"]) == ("leave", "bob left")
        assert (await ann.expect("member_list", skip=NOISE))["members"] == ["ann"]
        if how != "disconnect":
            await other.close()
        await ann.collect()


async def test_lobby_counts_reach_every_socket(connect, joined):
    lobby = await connect()
    await joined("sports", "ann")
    update = await lobby.expect("room_update")
    assert update == {"name": "sports", "title": "Sports", "kind": "topic", "users": 1}
    bob = await joined("music", "bob")
    assert (await lobby.expect("room_update"))["name"] == "music"
    await bob.close()
    assert await lobby.expect("room_update") == {"name": "music", "title": "Music", "kind": "topic", "users": 0}


async def test_many_joins_at_once_reach_the_lobby_as_a_few_frames(connect):
    """Twelve people join three rooms at once: the lobby hears the latest counts, not twelve updates."""
    lobby = await connect()
    await lobby.collect(seconds=0.3)  # the room list
    rooms = ["sports", "music", "gaming"]
    people = [await connect(username=f"p{n}") for n in range(12)]
    for n, person in enumerate(people):
        await person.send("join_room", {"room_name": rooms[n % 3]})
    updates = [updated_rooms(name, data) for name, data in await lobby.collect(seconds=1.0)]
    updates = [rooms for rooms in updates if rooms]
    counts = {room["name"]: room["users"] for rooms in updates for room in rooms}  # the latest of each
    assert counts == {"sports": 4, "music": 4, "gaming": 4}
    assert len(updates) < 12


async def test_private_room_counts_go_only_to_its_members(connect):
    lobby = await connect()
    ann = await connect(username="ann")
    await ann.send("create_room")
    code = (await ann.expect("room_created"))["room"]["name"]
    await ann.join(code)
    bob = await connect(username="bob")
    await bob.join(code)
    update = await ann.expect("room_update", skip=("member_list", "system_message"))
    assert update["name"] == code
    assert update["users"] == 2
    frames = await lobby.collect()
    assert all(data.get("name") != code for _, data in frames)


async def test_same_session_in_two_tabs_counts_once(connect):
    first = await connect(username="ann")
    await first.join("general")
    second = await connect(session=first.session_key)
    confirm = await second.join("general")
    assert confirm["members"] == ["ann"]
    assert confirm["room"]["users"] == 1
    bob = await connect(username="bob")
    await bob.join("general")
    await bob.collect()
    await second.close()  # one tab closes: ann is still here
    assert "system_message" not in await bob.events(skip=NOISE)
    await first.close()  # the last tab closes: ann leaves
    assert (await bob.expect("system_message", skip=NOISE))["text"] == "ann left"


async def test_a_name_someone_else_uses_in_the_room_is_taken(connect, joined):
    await joined("general", "Ann")
    impostor = await connect()
    await impostor.send("join_room", {"room_name": "general", "username": "ANN"})
    error = await impostor.expect("error")
    assert error["code"] == "username_taken"
    # The same name is fine in another room, and a free name works here.
    assert (await impostor.join("tech", "ann"))["username"] == "ann"
    assert (await impostor.join("general", "ann2"))["members"] == ["Ann", "ann2"]


@pytest.mark.parametrize(
    "look_alike",
    ["\u0430nn", "\uff41\uff4e\uff4e", "\U0001d41a\U0001d427\U0001d427", "Ann"],
    ids=["cyrillic-a", "fullwidth", "math-bold", "capital"],
)
async def test_a_look_alike_of_a_members_name_is_taken(connect, joined, look_alike):
    ann = await joined("general", "ann")
    impostor = await connect()
    await impostor.send("join_room", {"room_name": "general", "username": look_alike})
    error = await impostor.expect("error")
    assert error["code"] == "username_taken"
    assert await impostor.events(skip=LOBBY_NOISE) == []  # no join_confirm, no member list: not in the room
    assert await ann.events(skip=LOBBY_NOISE) == []  # ann's room heard no join
    # Once ann has gone, the name (in any of its forms) is free again.
    await ann.close()
    assert (await impostor.join("general", look_alike))["username"] == look_alike


async def test_a_name_with_an_invisible_character_never_reaches_the_room(connect, joined):
    await joined("general", "ann")
    other = await connect()
    for name in ["a\u2060nn", "ann\u00ad", "\u3164", "\u2800", "System", "S\u0443stem"]:
        await other.send("join_room", {"room_name": "general", "username": name})
        assert (await other.expect("error"))["code"] == "invalid_username"
    assert (await other.join("general", "bea"))["members"] == ["ann", "bea"]


async def test_username_taken_leaves_the_socket_out_of_the_room(connect, joined):
    ann = await joined("general", "ann")
    impostor = await connect()
    await impostor.send("join_room", {"room_name": "general", "username": "ann"})
    assert (await impostor.expect("error"))["code"] == "username_taken"
    await impostor.send("send_message", {"text": "sneaky"})
    assert (await impostor.expect("error"))["code"] == "not_in_room"
    assert "receive_message" not in await ann.events(skip=NOISE)


async def test_empty_private_room_is_deleted_after_the_grace_period(connect, settings):
    settings.ROOM_EMPTY_GRACE_SECONDS = 0.6
    ann = await connect(username="ann")
    await ann.send("create_room")
    code = (await ann.expect("room_created"))["room"]["name"]
    await ann.join(code)
    await ann.say("secret")
    await ann.send("leave_room")
    await ann.expect("leave_confirm", skip=(*NOISE, "member_list"))
    # A reload within the grace period keeps it.
    await asyncio.sleep(0.3)
    await ann.join(code)
    await ann.send("leave_room")
    await ann.expect("leave_confirm", skip=(*NOISE, "member_list"))
    assert await room_exists(code)
    # Then, empty for longer than the grace period, it goes with its messages.
    assert await wait_for(lambda: _gone(code))
    assert await message_count(code) == 0
    await ann.send("join_room", {"room_name": code})
    assert (await ann.expect("error", skip=(*NOISE, "member_list")))["code"] == "room_not_found"


async def _gone(code):
    return not await room_exists(code)


async def test_topic_and_named_rooms_stay_when_empty(joined, settings):
    settings.ROOM_EMPTY_GRACE_SECONDS = 0.2
    ann = await joined("general", "ann")
    await ann.join("quiet-corner", create=True)
    await ann.send("leave_room")
    await asyncio.sleep(1.0)
    assert await room_exists("general")
    assert await room_exists("quiet-corner")


async def test_empty_named_rooms_go_once_idle_for_the_expiry_and_the_lobby_hears_it(connect, joined, settings):
    settings.ROOM_EMPTY_GRACE_SECONDS = 0.3  # housekeeping rounds as often as the grace needs
    settings.ROOM_IDLE_EXPIRY_SECONDS = 0.3
    lobby = await connect()
    ann = await joined("general", "ann")
    await ann.join("pop-up", create=True)
    await ann.send("leave_room")
    assert await wait_for(lambda: _gone("pop-up"))
    frames = await lobby.collect(seconds=0.5)
    assert ("room_removed", {"name": "pop-up"}) in frames


@database_sync_to_async
def plant_ghost(room_name, username):
    """Presence held by a server process that stopped beating long ago (as after kill -9)."""
    stale = timezone.now() - timedelta(hours=1)
    process = ServerProcess.objects.create(id="deadbeef", host="gone", pid=1)
    ServerProcess.objects.filter(pk=process.pk).update(heartbeat_at=stale)
    room = Room.objects.get(key=room_name)
    presence = Presence.objects.create(room=room, guest_key="ghost", username=username, username_key=username)
    Connection.objects.create(id="deadbeef-1", presence=presence, process=process)


async def test_members_of_a_dead_process_are_swept_with_a_notice(joined, settings):
    settings.PRESENCE_TIMEOUT_SECONDS = 1
    await plant_ghost("general", "ghost")
    ann = await joined("general", "ann")
    notice = await ann.expect("system_message", skip=NOISE, wait=5)
    assert (notice["kind"], notice["username"]) == ("leave", "ghost")
    assert (await ann.expect("member_list", skip=NOISE))["members"] == ["ann"]


@database_sync_to_async
def plant_ghosts(rooms: dict[str, list[str]], *, keep: str = "") -> None:
    """Several people in several rooms on one dead process; `keep` also has a socket on a live one."""
    stale = timezone.now() - timedelta(hours=1)
    dead = ServerProcess.objects.create(id="deadbeef", host="gone", pid=1)
    ServerProcess.objects.filter(pk=dead.pk).update(heartbeat_at=stale)
    live = ServerProcess.objects.get_or_create(id="alive", defaults={"host": "here", "pid": 2})[0]
    for name, people in rooms.items():
        room = Room.objects.get_or_create(key=name, defaults={"name": name, "kind": Room.Kind.NAMED})[0]
        for username in people:
            presence = Presence.objects.create(
                room=room, guest_key=f"g-{username}", username=username, username_key=username
            )
            Connection.objects.create(id=f"dead-{username}", presence=presence, process=dead)
            if username == keep:
                Connection.objects.create(id=f"live-{username}", presence=presence, process=live)


async def test_a_dead_process_with_many_members_is_swept_a_room_at_a_time(joined, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.PRESENCE_TIMEOUT_SECONDS = 1
    ghosts = [f"ghost{n}" for n in range(12)]
    await plant_ghosts({"general": [*ghosts, "stays"], "elsewhere": [f"far{n}" for n in range(8)]}, keep="stays")
    ann = await joined("general", "ann")  # hears the sweep of general

    def sweep():
        with CaptureQueriesContext(connection) as queries:
            left = services.presence_sweep()
        return left, [q["sql"][:90] for q in queries]

    left, statements_seen = await database_sync_to_async(sweep)()
    statements = len([sql for sql in statements_seen if not sql.startswith(("BEGIN", "COMMIT"))])
    assert left == 12 + 8  # "stays" still has a socket: present
    # The dead process found, its rooms, and at the end its row (with what Django's delete checks: 6);
    # per room its lock, the sockets, who has none left, their rows (Django's delete: 3), the room and its
    # roster (9); whom to tell its people went offline: who of them is present elsewhere, and the
    # partners of the rest (2, whatever the number of people). Each leave on its own took about ten.
    assert statements <= 6 + 2 * (9 + 2), statements_seen
    heard = [data["username"] for _ in ghosts for data in [await ann.expect("system_message", skip=NOISE, wait=5)]]
    assert heard == ghosts  # each one's notice, in the order they came
    assert (await ann.expect("member_list", skip=NOISE))["members"] == ["stays", "ann"]

    @database_sync_to_async
    def left_behind():
        return sorted(Presence.objects.values_list("username", flat=True)), list(
            Connection.objects.values_list("id", flat=True)
        )

    presences, sockets = await left_behind()
    assert "stays" in presences and not [name for name in presences if name.startswith(("ghost", "far"))]
    assert "live-stays" in sockets and not [s for s in sockets if s.startswith("dead-")]


@database_sync_to_async
def converse(*pairs: tuple[str, str]) -> None:
    """A direct conversation between each pair of person keys."""
    for number, people in enumerate(pairs):
        room = Room.objects.create(
            kind=Room.Kind.DIRECT, name=f"dm-{number}", key=f"dm-{number}", title="dm", people_key="|".join(people)
        )
        Membership.objects.bulk_create(Membership(room=room, person_key=key, username=key) for key in people)


@database_sync_to_async
def present_elsewhere(guest_key: str, room_name: str) -> None:
    """That person also has a socket, on a live process, in another room."""
    room = Room.objects.get_or_create(key=room_name, defaults={"name": room_name, "kind": Room.Kind.NAMED})[0]
    presence = Presence.objects.create(room=room, guest_key=guest_key, username="roamer", username_key="roamer")
    live = ServerProcess.objects.get_or_create(id="alive", defaults={"host": "here", "pid": 2})[0]
    Connection.objects.create(id=f"live-{guest_key}", presence=presence, process=live)


async def test_a_swept_process_s_people_go_offline_for_those_they_talk_with_but_not_those_still_online(
    joined, settings
):
    """The sweep's leaves, a room at a time, tell each person's conversation partners who went offline."""
    settings.PRESENCE_TIMEOUT_SECONDS = 1
    ann = await joined("tech", "ann")
    ann_key = await database_sync_to_async(lambda: SessionStore(session_key=ann.session_key)[GUEST_KEY])()
    # quiet talks only with someone who is not online: nobody to tell.
    await converse((ann_key, "g-gone"), (ann_key, "g-roams"), ("g-quiet", "g-nobody"), ("g-far", ann_key))
    await present_elsewhere("g-roams", "music")  # still online after the sweep
    await plant_ghosts({"general": ["gone", "quiet", "roams"], "elsewhere": ["far"]})
    await database_sync_to_async(services.presence_sweep)()  # or the hub's housekeeping did, just before

    heard = []
    while len(heard) < 2:
        heard.append(await ann.expect("online", skip=(*NOISE, "unread"), wait=5))
    assert heard == [
        {"author": author_token("g-gone"), "online": False},
        {"author": author_token("g-far"), "online": False},
    ]
    assert [data for name, data in await ann.collect(seconds=0.5) if name == "online"] == []
    assert await database_sync_to_async(lambda: Presence.objects.filter(guest_key="g-roams").count())() == 1


def test_purge_rooms_command_sweeps_and_deletes_on_demand(settings, transactional_db):
    settings.ROOM_EMPTY_GRACE_SECONDS = 30
    old = timezone.now() - timedelta(minutes=5)
    actor = Actor(guest_key="owner")
    stale = services.room_create_private(actor=actor)
    fresh = services.room_create_private(actor=actor)
    named, _ = services.room_create_named(name="kept", actor=actor)
    Room.objects.filter(pk__in=[stale.pk, named.pk]).update(last_active_at=old)
    Room.objects.filter(kind="topic").update(last_active_at=old)
    out = StringIO()
    call_command("purge_rooms", stdout=out)
    assert f"deleted {stale.name}" in out.getvalue()
    assert set(Room.objects.values_list("name", flat=True)) == {
        fresh.name,
        "kept",
        "general",
        "tech",
        "sports",
        "music",
        "gaming",
    }


async def test_a_name_given_up_in_one_tab_is_given_up_in_every_tab(connect):
    """dave's two tabs; one re-joins as zzz; someone else may now be dave, and the other tab is zzz too."""
    tab_a = await connect(username="dave")
    tab_b = await connect(session=tab_a.session_key)
    cat = await connect(username="cat")
    for client, name in ((tab_a, "dave"), (tab_b, "dave"), (cat, "cat")):
        await client.join("general", name)
    await cat.collect()
    await tab_b.collect()

    await tab_a.join("general", "zzz")
    assert await tab_b.expect("renamed", skip=NOISE) == {"room": "general", "username": "zzz"}
    notice = await cat.expect("system_message", skip=NOISE)
    assert (notice["kind"], notice["text"]) == ("rename", "dave is now zzz")
    assert (await cat.expect("member_list", skip=NOISE))["members"] == ["zzz", "cat"]

    other_dave = await connect(username="dave")
    assert (await other_dave.join("general", "dave"))["members"] == ["zzz", "cat", "dave"]
    await tab_b.send("send_message", {"text": "still me"})
    said = await cat.expect("receive_message", skip=(*NOISE, "system_message", "member_list"))
    assert (said["username"], said["text"]) == ("zzz", "still me")
    await tab_b.send("typing")
    assert (await cat.expect("typing", skip=(*NOISE, "receive_message")))["username"] == "zzz"
