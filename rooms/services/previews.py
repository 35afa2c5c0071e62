"""Link previews: the card under a message's first link, fetched after the message is committed, off the chat.

A posted or edited message whose first http(s) link is new asks for a card once
its transaction commits (preview_request); the process's Fetcher fetches it on
one of LINK_PREVIEW_CONCURRENCY threads through the SSRF guard (rooms/previews.py),
at most LINK_PREVIEW_QUEUE_MAX links waiting (more get no card; the chat never
waits), once per URL for LINK_PREVIEW_CACHE_SECONDS however many messages carry
it. The card is stored with its picture (drawn again, in storage) and the room
hears `preview {id, room, preview}`; `preview: null` takes a card away (the
author's `preview_remove`, an edit to another link). A deleted message, a
cleared history, a purged room take the rows and the pictures.
"""

import logging
import secrets
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import close_old_connections, connections, transaction

from rooms import events, policy, previews
from rooms.errors import ChatError, Code
from rooms.identity import Actor
from rooms.models import LinkPreview, Message, Room
from rooms.payloads import preview_data
from rooms.services.changes import next_change_seq

logger = logging.getLogger(__name__)

CACHE_ENTRIES = 512


class Fetcher:
    """One process's link fetches: a small thread pool, a cap on what waits, and a per-URL cache."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pool: ThreadPoolExecutor | None = None
        self.writer: ThreadPoolExecutor | None = None
        self.waiting: dict[str, list[int]] = {}  # url → the messages waiting for its fetch
        self.cache: OrderedDict[str, tuple[float, previews.Preview | None]] = OrderedDict()
        self.futures: set[Future] = set()

    def _submit(self, job, *args) -> None:
        """Fetches on the pool; stores on one thread of their own, so cards are written one at a time
        (SQLite has one writer; the chat's own writes should not queue behind several of these)."""
        if self.pool is None:
            self.pool = ThreadPoolExecutor(settings.LINK_PREVIEW_CONCURRENCY, thread_name_prefix="link-preview")
            self.writer = ThreadPoolExecutor(1, thread_name_prefix="link-preview-store")
        future = (self.writer if job is _store_each else self.pool).submit(job, *args)
        self.futures.add(future)  # (a set's add and discard are atomic; drain copies it under the lock)
        future.add_done_callback(self._done)

    def _done(self, future: Future) -> None:
        self.futures.discard(future)

    def request(self, message_id: int, url: str) -> None:
        """Give `message_id` the card of `url`: from the cache, with a fetch already on its way, or a new one."""
        with self.lock:
            cached = self.cache.get(url)
            if cached is not None and cached[0] > time.monotonic():
                if cached[1] is not None:
                    self._submit(_store_each, url, [message_id], cached[1])
            elif url in self.waiting:
                self.waiting[url].append(message_id)
            elif len(self.waiting) >= settings.LINK_PREVIEW_QUEUE_MAX:
                logger.info("link preview queue full: no card for message %s", message_id)
            else:
                self.waiting[url] = [message_id]
                self._submit(self._fetch, url)

    def _fetch(self, url: str) -> None:
        try:
            preview = previews.build(url)
        # The link itself stays out of the log at INFO and above: it may come from a private conversation.
        except previews.Refused as refusal:
            logger.debug("no link preview for %s: %s", url[:200], refusal)
            preview = None
        except Exception as error:  # a page is anyone's: whatever it does, the chat carries on
            logger.warning("a link preview failed: %s", type(error).__name__)
            logger.debug("link preview of %s failed: %s", url[:200], error)
            preview = None
        with self.lock:
            self.cache[url] = (time.monotonic() + settings.LINK_PREVIEW_CACHE_SECONDS, preview)
            self.cache.move_to_end(url)
            while len(self.cache) > CACHE_ENTRIES:
                self.cache.popitem(last=False)
            waiting = self.waiting.pop(url, [])
            if waiting and preview is not None:
                self._submit(_store_each, url, waiting, preview)

    def drain(self) -> None:
        """Wait for every fetch and store queued so far (tests; each fetch ends by its own deadline)."""
        while True:
            with self.lock:
                pending = list(self.futures)
            if not pending:
                if self.writer is not None:  # and its database connection, so a test database can be dropped
                    self.writer.submit(connections.close_all).result()
                return
            for future in pending:
                future.result()

    def forget(self) -> None:
        """Empty the cache (tests)."""
        with self.lock:
            self.cache.clear()


fetcher = Fetcher()


def preview_request(*, message: Message) -> None:
    """Inside the transaction that wrote `message`: ask for its first link's card once it commits.

    Nothing when LINK_PREVIEWS is off or the text has no http(s) link.
    """
    if not settings.LINK_PREVIEWS:
        return
    url = previews.first_link(message.text)
    if url is not None:
        message_id = message.pk
        transaction.on_commit(lambda: fetcher.request(message_id, url), robust=True)


def preview_edited(*, message: Message, old_text: str) -> None:
    """Inside message_edit's transaction: a new first link takes the old card away and asks for its own."""
    old, new = previews.first_link(old_text), previews.first_link(message.text)
    if old == new:
        return
    if _remove(LinkPreview.objects.filter(message_id=message.pk)):
        events.to_room(message.room_id, "preview", {"id": message.pk, "room": message.room.name, "preview": None})
    if new is not None:
        preview_request(message=message)


def _store_each(url: str, message_ids: list[int], preview: previews.Preview) -> None:
    """Store `preview` for each message still showing `url` first (on the store thread)."""
    try:
        for message_id in message_ids:
            try:
                preview_store(message_id=message_id, url=url, preview=preview)
            except Exception as error:
                logger.warning("could not store the preview of message %s: %s", message_id, error)
    finally:
        close_old_connections()  # this thread's connection: not kept past the pool's idle time


def preview_store(*, message_id: int, url: str, preview: previews.Preview) -> LinkPreview | None:
    """Keep `preview` as the card of message `message_id`, if it is still there and its first link is still `url`.

    Not for a message deleted meanwhile, edited to another link, or whose author took this link's card
    away. The room hears `preview {id, room, preview}` after the commit; None if nothing was stored.
    """
    image_path = ""
    room_id = Message.objects.filter(pk=message_id, deleted_at__isnull=True).values_list("room_id", flat=True).first()
    if room_id is None:
        return None
    with transaction.atomic():
        change = next_change_seq(room_id)  # a page away meanwhile gets the card on resume (services/changes.py)
        message = (
            Message.objects.select_for_update()
            .select_related("room")
            .filter(pk=message_id, deleted_at__isnull=True)
            .first()
        )
        if message is None or previews.first_link(message.text) != url:
            return None
        if LinkPreview.objects.filter(message_id=message_id).exists():
            return None  # already carded, or removed by its author
        Message.objects.filter(pk=message_id).update(reactions_seq=change)
        token = secrets.token_urlsafe(18)
        if preview.picture is not None:
            image_path = default_storage.save(
                f"previews/{message.room_id}/{token}/image.webp", ContentFile(preview.picture.data)
            )
        try:
            card = LinkPreview.objects.create(
                message=message,
                room_id=message.room_id,
                token=token,
                url=url,
                final_url=preview.card.url[:2000],
                site=preview.card.site,
                title=preview.card.title,
                description=preview.card.description,
                image_path=image_path,
                image_width=preview.picture.width if preview.picture else None,
                image_height=preview.picture.height if preview.picture else None,
            )
        except Exception:
            if image_path:
                default_storage.delete(image_path)
            raise
        events.to_room(
            message.room_id, "preview", {"id": message.pk, "room": message.room.name, "preview": preview_data(card)}
        )
    return card


def preview_remove(*, message_id: int, room: Room, actor: Actor) -> None:
    """The author takes the card away from their message: no card for this link again (`preview` with null).

    Someone else's message is `forbidden`; a message not in the room, `message_not_found`.
    """
    with transaction.atomic():
        change = next_change_seq(room.pk)  # the room's row first, as every change to a message
        message = (
            Message.objects.select_for_update().filter(pk=message_id, room_id=room.pk, deleted_at__isnull=True).first()
        )
        if message is None:
            raise ChatError(Code.MESSAGE_NOT_FOUND)
        if not policy.is_author(actor, message):
            raise ChatError(Code.FORBIDDEN, "You can only remove the preview of your own messages.")
        url = previews.first_link(message.text)
        if url is None:
            return
        Message.objects.filter(pk=message_id).update(reactions_seq=change)
        shown = _remove(LinkPreview.objects.filter(message_id=message.pk))
        # A row that says "removed", so a fetch still on its way stores nothing.
        LinkPreview.objects.create(
            message=message, room_id=room.pk, token=secrets.token_urlsafe(18), url=url, final_url="", removed=True
        )
        if shown:
            events.to_room(room.pk, "preview", {"id": message.pk, "room": room.name, "preview": None})


def previews_remove(*, queryset) -> int:
    """Delete these previews' rows now and their pictures from storage once the transaction commits; how many."""
    return _remove(queryset)


def _remove(queryset) -> int:
    """Delete the rows; their pictures go after the commit. How many of them were cards (not removed ones)."""
    rows = list(queryset.values_list("id", "image_path", "removed"))
    if not rows:
        return 0
    LinkPreview.objects.filter(pk__in=[row[0] for row in rows]).delete()
    paths = [path for _, path, _ in rows if path]
    if paths:
        transaction.on_commit(lambda: [default_storage.delete(path) for path in paths])
    return sum(1 for *_, removed in rows if not removed)
