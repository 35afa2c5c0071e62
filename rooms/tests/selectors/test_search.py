"""rooms/selectors/search.py on the database the tests run on (SQLite here; PostgreSQL in test_search_postgres.py).

Every message goes in through the services, and the index is the database's own
(rooms/searchindex.py), so these tests read what a person would find.
"""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from rooms import searchindex, selectors, services
from rooms.identity import Actor, person_key
from rooms.models import Ban, Message, Presence, Room
from rooms.payloads import author_token
from rooms.selectors import search

pytestmark = pytest.mark.django_db

ann = Actor(guest_key="guest-ann")
bob = Actor(guest_key="guest-bob")
carol = Actor(guest_key="guest-carol")
staff = Actor(guest_key="user-1", user_id=1, is_staff=True)


def room(name: str = "tech") -> Room:
    return Room.objects.get(key=name)


def say(who: Actor, name: str, text: str, where: Room | None = None) -> Message:
    return services.message_post(room=where or room(), actor=who, username=name, text=text)[0]


def ids(answer) -> list[int]:
    return [result["id"] for result in answer["results"]]


def find(query: str, who: Actor = ann, **kwargs) -> list[int]:
    return ids(selectors.message_search(actor=who, query=query, **kwargs))


def test_words_all_match_newest_first_with_room_author_time_and_highlights():
    first = say(bob, "bob", "The deploy script is broken again")
    second = say(bob, "bob", "Fixed the DEPLOY script, deploy away", room("general"))
    say(bob, "bob", "nothing to see here")
    answer = selectors.message_search(actor=ann, query="deploy script")
    assert ids(answer) == [second.pk, first.pk]
    top = answer["results"][0]
    assert (top["room"], top["username"], top["snippet"]) == ("general", "bob", "Fixed the DEPLOY script, deploy away")
    assert top["ts"] == second.created_at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    # The ranges are the matched words, case as written: DEPLOY, script, deploy.
    assert [top["snippet"][s:e] for s, e in top["ranges"]] == ["DEPLOY", "script", "deploy"]
    assert answer["next"] is None
    assert find("deploy missing") == []


def test_ranges_count_utf16_units_and_the_snippet_is_cut_around_the_first_match():
    message = say(bob, "bob", "🎉🎉 party " + "filler " * 60 + "needle at the end " + "tail " * 40)
    result = selectors.message_search(actor=ann, query="needle")["results"][0]
    assert result["id"] == message.pk
    snippet = result["snippet"]
    assert snippet.startswith("…") and snippet.endswith("…") and len(snippet) <= 162
    [[start, end]] = result["ranges"]
    assert snippet.encode("utf-16-le")[start * 2 : end * 2].decode("utf-16-le") == "needle"
    emoji = selectors.message_search(actor=ann, query="party")["results"][0]
    # Two emoji are four UTF-16 units, then a space: "party" starts at 5 as the page counts.
    assert emoji["ranges"] == [[5, 10]]


def test_simple_config_finds_exact_words_only(settings):
    settings.SEARCH_CONFIG = "simple"
    searchindex.build(connection, config="simple")
    running = say(bob, "bob", "I was running late")
    assert find("running") == [running.pk]
    assert find("run") == []


def test_a_stemming_config_finds_other_forms_of_a_word(settings):
    settings.SEARCH_CONFIG = "english"
    searchindex.build(connection, config="english")
    running = say(bob, "bob", "I was running late")
    runs = say(bob, "bob", "She runs every day")
    assert set(find("run")) == {running.pk, runs.pk}
    assert find("running") == [runs.pk, running.pk]
    result = selectors.message_search(actor=ann, query="run")["results"][-1]
    assert [result["snippet"][s:e] for s, e in result["ranges"]] == ["running"]


def test_a_quoted_phrase_matches_those_words_in_that_order():
    together = say(bob, "bob", "the build server is down")
    apart = say(bob, "bob", "the server for the build is down")
    assert set(find("build server")) == {together.pk, apart.pk}
    assert find('"build server"') == [together.pk]
    assert find('"server build"') == []
    assert find('"build server') == [together.pk]  # an unclosed quote runs to the end


def test_filters_in_from_dates_and_links():
    in_tech = say(bob, "bob", "release notes https://example.com/notes")
    in_general = say(ann, "ann", "release party tonight", room("general"))
    old = say(carol, "Carol Smith", "release of last year")
    Message.objects.filter(pk=old.pk).update(created_at=datetime(2025, 6, 1, 12, tzinfo=UTC))
    assert find("release in:tech") == [old.pk, in_tech.pk]  # by id, newest first
    assert find("release in:#general") == [in_general.pk]
    assert find("release from:ann") == [in_general.pk]
    assert find('release from:"carol smith"') == [old.pk]
    assert find("release before:2025-06-02") == [old.pk]
    assert find("release before:2025-06-01") == []
    assert find("release after:2025-06-01") == [in_general.pk, in_tech.pk]
    assert find("release has:link") == [in_tech.pk]
    assert find("from:bob") == [in_tech.pk]  # filters alone
    assert find("release has:image") == []  # none of them has a picture
    assert find("release has:nonsense") == []
    assert find("before:someday release") == []  # not a date: words, and no message has "someday"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        '"',
        '""',
        "!!! ??? ...",
        "*",
        "NEAR(a b)",
        "a OR b AND NOT c",
        "^start",
        "col:word",
        "') OR 1=1; DROP TABLE rooms_message; --",
        "'; SELECT * FROM auth_user --",
        "foo & | ! <-> :* bar",
        "\\",
        "x" * 5000,
        "word " * 1000,
        '"' * 5000,
        "in: from: before: after: has:",
        "🎉",
    ],
)
def test_hostile_queries_never_raise_and_find_only_real_words(query):
    say(bob, "bob", "an ordinary message about word and start")
    answer = selectors.message_search(actor=ann, query=query)
    assert answer["query"] == query
    assert Message.objects.count() == 1  # nothing was dropped or changed
    for result in answer["results"]:
        assert result["snippet"] == "an ordinary message about word and start"


def test_a_query_that_is_sql_is_only_words():
    hit = say(bob, "bob", "select from the best table to drop")
    assert find("SELECT * FROM table; DROP") == [hit.pk]


def test_pages_follow_next_to_the_oldest():
    posted = [say(bob, "bob", f"page word {i}").pk for i in range(7)]
    first = selectors.message_search(actor=ann, query="word", limit=3)
    assert ids(first) == posted[::-1][:3]
    second = selectors.message_search(actor=ann, query="word", limit=3, before=first["next"])
    third = selectors.message_search(actor=ann, query="word", limit=3, before=second["next"])
    assert ids(second) + ids(third) == posted[::-1][3:]
    assert third["next"] is None


def test_an_outsider_never_finds_a_private_rooms_messages():
    private = services.room_create_private(actor=bob)
    secret = say(bob, "bob", "the secret plan", private)
    public = say(bob, "bob", "the public plan")
    assert find("plan", bob) == [public.pk, secret.pk]  # its owner
    assert find("plan", carol) == [public.pk]
    assert find(f"plan in:{private.name}", carol) == []
    assert find("plan", staff) == [public.pk]  # staff read private rooms in the admin, not in search
    # Being in the room now (its code entered), or having written in it, lets one find it.
    Presence.objects.create(room=private, guest_key=ann.guest_key, username="ann", username_key="ann")
    assert find("plan", ann) == [public.pk, secret.pk]
    Presence.objects.filter(guest_key=ann.guest_key).delete()
    assert find("plan", ann) == [public.pk]
    Presence.objects.create(room=private, guest_key=carol.guest_key, username="carol", username_key="carol")
    said = say(carol, "carol", "my plan too", private)
    Presence.objects.filter(guest_key=carol.guest_key).delete()
    assert find("plan", carol) == [said.pk, public.pk, secret.pk]


def test_closed_rooms_are_found_by_staff_only():
    closed = say(bob, "bob", "archived words here")
    services.room_close(room=room(), actor=staff)
    assert find("archived") == []
    assert find("archived", staff) == [closed.pk]


def test_an_edit_changes_what_is_found():
    message = say(bob, "bob", "meeting at noon")
    services.message_edit(message_id=message.pk, room=room(), actor=bob, text="lunch at one")
    assert find("noon") == []
    assert find("lunch") == [message.pk]
    assert selectors.message_search(actor=ann, query="lunch")["results"][0]["snippet"] == "lunch at one"


def test_removed_cleared_and_purged_messages_are_never_found(settings):
    removed = say(bob, "bob", "gone word")
    kept = say(bob, "bob", "kept word")
    services.message_delete(message_id=removed.pk, actor=bob)
    assert find("word") == [kept.pk]
    # A removal by some other path (a bulk update) is out of the index too: the index is the database's.
    Message.objects.filter(pk=kept.pk).update(deleted_at=timezone.now())
    assert find("word") == []
    cleared = say(bob, "bob", "cleared word", room("general"))
    assert find("word") == [cleared.pk]
    services.room_clear_history(room=room("general"), actor=staff)
    assert find("word") == []
    private = services.room_create_private(actor=bob)
    say(bob, "bob", "purged word", private)
    Room.objects.filter(pk=private.pk).update(last_active_at=timezone.now() - timedelta(days=30))
    Message.objects.filter(room=private).update(created_at=timezone.now() - timedelta(days=30))
    settings.ROOM_EMPTY_GRACE_SECONDS = 0
    assert private.name in services.rooms_purge_empty()
    assert find("word", bob) == []
    assert _index_size() == 0  # nothing left behind in the index


def _index_size() -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # An external-content table's count reads its content; the index's own rows are in its docsize table.
            cursor.execute(f"SELECT count(*) FROM {searchindex.FTS_TABLE}_docsize")
        else:
            cursor.execute(f"SELECT count(*) FROM rooms_message WHERE {searchindex.PG_COLUMN} IS NOT NULL")
        return cursor.fetchone()[0]


def test_matches_read_a_window_at_a_time_miss_nothing_a_filter_keeps(monkeypatch):
    # SQLite reads the matches newest first in growing windows (search._fts5_newest): with a window of 2,
    # a filter that keeps one match in three needs several windows per page, and pages still join up.
    monkeypatch.setattr(search, "FTS5_WINDOW", 2)
    kept = []
    for i in range(15):
        message = say(bob, "bob", f"window word {i}", room("general") if i % 3 == 0 else None)
        if i % 3 == 0:
            kept.append(message.pk)
        say(bob, "bob", f"no match {i}", room("general"))
    first = selectors.message_search(actor=ann, query="word in:general", limit=2)
    rest = selectors.message_search(actor=ann, query="word in:general", limit=2, before=first["next"])
    last = selectors.message_search(actor=ann, query="word in:general", limit=2, before=rest["next"])
    assert ids(first) + ids(rest) + ids(last) == kept[::-1]
    assert last["next"] is None
    assert find("word") == list(reversed([m.pk for m in Message.objects.filter(text__startswith="window")]))[:20]


def test_search_reindex_builds_the_index_again_with_the_config_of_now(settings):
    running = say(bob, "bob", "running late again")
    removed = say(bob, "bob", "running away")
    services.message_delete(message_id=removed.pk, actor=bob)
    assert find("run") == []  # simple: exact words
    settings.SEARCH_CONFIG = "english"
    call_command("search_reindex", stdout=io.StringIO())
    assert find("run") == [running.pk]  # stemmed now, and the removed message is still out


def test_has_image_and_has_file_find_messages_by_their_attachments():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from rooms.tests.support import images

    def attach(content: bytes, name: str, mime: str) -> int:
        upload = SimpleUploadedFile(name, content, content_type=mime)
        return services.attachment_upload(room=room(), actor=bob, upload=upload).pk

    picture = services.message_post(
        room=room(),
        actor=bob,
        username="bob",
        text="the release poster",
        attachments=(attach(images.halves(30, 20), "p.png", "image/png"),),
    )[0]
    plain = say(bob, "bob", "the release date")
    assert find("release has:image") == [picture.pk]
    assert find("has:image") == [picture.pk]  # the filter alone
    assert find("release has:file") == []
    assert find("release") == [plain.pk, picture.pk]


def test_a_room_ban_hides_that_rooms_messages_until_it_runs_out_and_a_site_ban_hides_all():
    in_tech = say(bob, "bob", "banned word in tech")
    in_general = say(bob, "bob", "banned word in general", room("general"))
    assert find("banned", carol) == [in_general.pk, in_tech.pk]
    ban = services.ban_create(actor=staff, guest_key=carol.guest_key, room=room())
    assert find("banned", carol) == [in_general.pk]
    assert find("banned in:tech", carol) == []
    assert find("from:bob", carol) == [in_general.pk]  # filters alone keep to the same rooms
    assert find("banned", ann) == [in_general.pk, in_tech.pk]  # a ban is the banned person's only
    # A ban that has run out keeps nobody out.
    Ban.objects.filter(pk=ban.pk).update(until=timezone.now() - timedelta(seconds=1))
    assert find("banned", carol) == [in_general.pk, in_tech.pk]
    services.ban_create(actor=staff, guest_key=carol.guest_key)  # the whole site
    assert find("banned", carol) == []
    assert find("from:bob", carol) == []


def test_a_ban_on_an_account_holds_on_any_of_its_keys():
    user = get_user_model().objects.create_user(username="dave", password="x-long-password-1")
    dave = Actor(guest_key=person_key(user), user_id=user.pk)
    hit = say(bob, "bob", "account word")
    assert find("account", dave) == [hit.pk]
    services.ban_create(actor=staff, user_id=user.pk, room=room())
    assert find("account", dave) == []


def test_a_closed_rooms_messages_are_gone_for_people_who_wrote_or_belong_there():
    private = services.room_create_private(actor=bob)
    mine = say(bob, "bob", "closed private word", private)
    public = say(bob, "bob", "closed public word")
    assert find("closed", bob) == [public.pk, mine.pk]
    services.room_close(room=private, actor=staff)
    services.room_close(room=room(), actor=staff)
    assert find("closed", bob) == []  # not even its owner and author
    assert find("closed", ann) == []
    assert find("closed", staff) == [public.pk]  # staff read a private room in the admin, as when open


def test_a_blocked_persons_messages_are_not_found_by_who_blocked_them():
    hers = say(carol, "carol", "blocked word from carol")
    his = say(bob, "bob", "blocked word from bob", room("general"))
    services.block_create(actor=ann, room=room(), message_id=hers.pk)
    assert find("blocked", ann) == [his.pk]
    assert find("from:carol", ann) == []
    assert find("blocked", bob) == [his.pk, hers.pk]  # the others still find them
    services.block_lift(actor=ann, author=author_token(carol.guest_key))
    assert find("blocked", ann) == [his.pk, hers.pk]


def test_a_conversation_is_found_by_its_members_only():
    Presence.objects.create(room=room(), guest_key=bob.guest_key, username="bob", username_key="bob")
    conversation, _ = services.direct_open(actor=ann, usernames=["bob"], room=room(), username="ann")
    whisper = say(bob, "bob", "direct word between us", conversation)
    public = say(bob, "bob", "direct word for all")
    assert find("direct", ann) == [public.pk, whisper.pk]
    assert find("direct", bob) == [public.pk, whisper.pk]
    assert find("direct", carol) == [public.pk]
    assert find("direct", staff) == [public.pk]
    assert find(f"direct in:{conversation.key}", carol) == []
