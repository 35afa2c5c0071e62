"""The messages admin: searching messages, and removing them (softly) live on every open page."""

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client

from rooms.models import Message, Room
from rooms.tests.admin.steps import NOISE, ChangeList, audit_log, changelist, message

pytestmark = pytest.mark.django_db(transaction=True)


# --- 3. messages admin --------------------------------------------------------------------


async def test_message_changelist_searches_text_author_and_room(joined, staff):
    ann = await joined("general", "ann")
    bob = await joined("tech", "bob")
    hello = await ann.say("hello everyone")
    question = await bob.say("anyone into rust?")  # another room: bob hears only his own
    other = await ann.say("rust is fine")

    def ids(page):
        return sorted(int(row["id"]) for row in page.rows)

    assert ids(await changelist(staff, "message", q="hello")) == [hello["id"]]
    assert ids(await changelist(staff, "message", q="rust")) == sorted([question["id"], other["id"]])
    assert ids(await changelist(staff, "message", q="bob")) == [question["id"]]
    assert ids(await changelist(staff, "message", q="tech")) == [question["id"]]
    assert ids(await changelist(staff, "message", q="general")) == sorted([hello["id"], other["id"]])
    assert ids(await changelist(staff, "message", q="nothing like this")) == []


def test_message_and_ban_changelists_queries_do_not_grow(django_assert_max_num_queries):
    from rooms import services
    from rooms.identity import Actor

    user = get_user_model().objects.create_superuser("mod", "mod@example.com", "pw-not-used")
    client = Client()
    client.force_login(user)
    moderator = Actor(guest_key="mod-guest", user_id=user.pk, is_staff=True, user_name="mod")
    general = Room.objects.get(key="general")

    def add(count: int) -> None:
        for i in range(count):
            author = Actor(guest_key=f"author-{Message.objects.count()}")
            services.message_post(room=general, actor=author, username="someone", text=f"message {i}")
            services.ban_create(actor=moderator, guest_key=author.guest_key, room=general, reason="test")

    def queries(path: str) -> int:
        with django_assert_max_num_queries(12) as captured:
            assert client.get(path).status_code == 200
        return len(captured.captured_queries)

    add(1)
    few = [queries("/admin/rooms/message/"), queries("/admin/rooms/ban/")]
    add(20)
    assert len(ChangeList(client.get("/admin/rooms/message/").content.decode()).rows) == 21
    assert [queries("/admin/rooms/message/"), queries("/admin/rooms/ban/")] == few


async def assert_gone_everywhere(message_id: int, watchers, connect, room_name: str = "general") -> None:
    """Every open page hears the removal by a moderator; history never shows it again."""
    for client in watchers:
        deleted = await client.expect("message_deleted", skip=(*NOISE, "receive_message"))
        assert deleted == {"id": message_id, "room": room_name, "by": "moderator"}
    newcomer = await connect(username=f"late{message_id}")
    confirm = await newcomer.join(room_name)
    assert message_id not in [m["id"] for m in confirm["history"]]
    await newcomer.send("history", {"before_id": message_id + 1000})
    assert message_id not in [m["id"] for m in (await newcomer.expect("history", skip=NOISE))["messages"]]
    row = await message(message_id)  # soft: kept for the record, never .delete()d
    assert row.deleted_at is not None and row.deleted_by == "moderator"


async def test_deleting_a_message_from_its_admin_page_removes_it_live(connect, joined, staff):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    keep = await ann.say("keep me")
    spam = await ann.say("buy cheap stuff")
    await bob.collect()

    page = (await staff.get(f"/admin/rooms/message/{spam['id']}/change/")).content.decode()
    assert 'name="_save"' not in page  # messages are evidence: nothing to edit
    assert f"/admin/rooms/message/{spam['id']}/delete/" in page
    response = await staff.post(f"/admin/rooms/message/{spam['id']}/delete/", {"post": "yes"})
    assert response.status_code == 302

    await assert_gone_everywhere(spam["id"], (ann, bob), connect)
    assert (await message(keep["id"])).deleted_at is None
    assert await audit_log() == [("staff mod", "delete_message", "general", f"message {spam['id']}")]
    # Removed already: the delete page refuses rather than failing.
    assert (await staff.get(f"/admin/rooms/message/{spam['id']}/delete/")).status_code == 403


async def test_the_bulk_remove_action_removes_each_message_live(connect, joined, staff):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    first = await ann.say("spam one")
    await bob.collect()
    second = await bob.say("spam two")
    keep = await bob.say("fine")
    await ann.collect()

    await staff.action("message", "remove_messages", [await message(first["id"]), await message(second["id"])])
    assert "Removed: 2." in await staff.page_messages()

    for client in (ann, bob):
        frames = [data for event, data in await client.collect(seconds=0.5) if event == "message_deleted"]
        assert sorted(f["id"] for f in frames) == sorted([first["id"], second["id"]])
        assert {f["by"] for f in frames} == {"moderator"}
    newcomer = await connect(username="cat")
    assert [m["id"] for m in (await newcomer.join("general"))["history"]] == [keep["id"]]
    removed = {row["id"]: row["removed"] for row in (await changelist(staff, "message", removed="yes")).rows}
    assert removed == {str(first["id"]): "True", str(second["id"]): "True"}


async def test_delete_queryset_goes_through_the_service(connect, joined, staff):
    """What Django's bulk delete would call: it must remove softly and live, not DELETE rows."""
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    spam = await ann.say("spam")
    await bob.collect()

    @database_sync_to_async
    def delete_queryset():
        from django.contrib import admin
        from django.contrib.messages.storage.fallback import FallbackStorage
        from django.contrib.sessions.backends.db import SessionStore
        from django.test import RequestFactory

        request = RequestFactory().post("/admin/rooms/message/")
        request.user, request.session = staff.user, SessionStore()
        request._messages = FallbackStorage(request)
        admin.site._registry[Message].delete_queryset(request, Message.objects.filter(pk=spam["id"]))

    await delete_queryset()
    await assert_gone_everywhere(spam["id"], (ann, bob), connect)
