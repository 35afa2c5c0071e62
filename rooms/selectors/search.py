"""Message search: the query language, the database's full-text index, and results as plain text with ranges.

The query language (docs/protocol.md, `search`): words, "quoted phrases",
`in:room`, `from:name` (or `from:"two words"`), `before:YYYY-MM-DD`,
`after:YYYY-MM-DD`, `has:link`. Whatever a person types is parsed here into
words; the database only ever sees those words, quoted (FTS5) or as a plain
`websearch_to_tsquery` string, which accepts any input without raising. A
query that is punctuation, a lone quote or SQL finds nothing or finds the
words in it; it is never an error.

The index is rooms/searchindex.py. Results are newest first, paged by id,
limited to readable_rooms (rooms/selectors/rooms.py: no room one is banned
from, no closed room but for staff), to visible messages, and to authors the
asker has not blocked.
Each carries its snippet as plain text and the ranges to highlight in it,
so the page builds the highlight from text nodes.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

from rooms.identity import Actor
from rooms.models import Attachment, Block, Message
from rooms.payloads import timestamp
from rooms.searchindex import FTS_TABLE, PG_COLUMN
from rooms.selectors.rooms import readable_rooms

MAX_QUERY_CHARS = 1000  # a longer query is read up to here: no person types more, and the database is spared
MAX_TERMS = 32
SNIPPET_CHARS = 160
SNIPPET_LEAD = 40  # characters kept before the first match

# Highlight marks the database puts around matches; private-use characters, which a message could hold only
# if someone typed them, and then the highlight is dropped (see _ranges) rather than misplaced.
START, STOP = "\ue000", "\ue001"

_TOKEN = re.compile(r'(?:(\w+):)?("([^"]*)"?|[^\s"]+)')
_WORD = re.compile(r"[^\W_]+")


@dataclass
class Query:
    """A search as parsed: the words and phrases to match (each a list of words), and the filters."""

    terms: list[list[str]] = field(default_factory=list)
    rooms: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    before: date | None = None
    after: date | None = None
    has_link: bool = False
    has_kinds: list[str] = field(default_factory=list)  # has:image, has:video, has:audio, has:file (attachments)
    has_nothing: bool = False  # a has: that no message can have

    @property
    def empty(self) -> bool:
        return not (
            self.terms or self.rooms or self.authors or self.before or self.after or self.has_link or self.has_kinds
        )


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse(text: str) -> Query:
    """The query language, read leniently: what is not a filter is words."""
    query = Query()
    words = 0
    for match in _TOKEN.finditer(text[:MAX_QUERY_CHARS]):
        prefix, raw, quoted = match.group(1), match.group(2), match.group(3)
        value = quoted if quoted is not None else raw
        name = (prefix or "").lower()
        if name == "in" and value.strip():
            query.rooms.append(value.strip().lstrip("#").lower())
            continue
        if name == "from" and value.strip():
            query.authors.append(value.strip().lstrip("@"))
            continue
        if name in ("before", "after") and (day := _date(value)) is not None:
            setattr(query, name, day)
            continue
        if name == "has":
            if value.lower() == "link":
                query.has_link = True
            elif value.lower() in Attachment.Kind.values:
                query.has_kinds.append(value.lower())
            else:
                query.has_nothing = True
            continue
        if prefix and quoted is None:
            value = f"{prefix} {value}"  # "re:deadline" is two words, as the index reads it
        elif prefix:
            query.terms.extend([w] for w in _WORD.findall(prefix))
        tokens = _WORD.findall(value)[: MAX_TERMS - words]
        if tokens:
            if quoted is not None:
                query.terms.append(tokens)
            else:
                query.terms.extend([t] for t in tokens)
            words += len(tokens)
        if words >= MAX_TERMS:
            break
    return query


def _fts5_query(terms: list[list[str]]) -> str:
    # Every word in double quotes (a phrase of one or more), so nothing a person types is FTS5 syntax;
    # _WORD leaves no quote to escape.
    return " ".join('"' + " ".join(words) + '"' for words in terms)


def _websearch(terms: list[list[str]]) -> str:
    # websearch_to_tsquery never raises; given only words and quoted phrases, it ANDs them.
    return " ".join(f'"{" ".join(words)}"' if len(words) > 1 else words[0] for words in terms)


def _matching(query: Query) -> RawSQL | None:
    """The full-text condition on rooms_message, for this database."""
    if connection.vendor == "sqlite":
        sql = f"rooms_message.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)"
        return RawSQL(sql, (_fts5_query(query.terms),), output_field=BooleanField())
    if connection.vendor == "postgresql":
        sql = f"rooms_message.{PG_COLUMN} @@ websearch_to_tsquery(%s::regconfig, %s)"
        return RawSQL(sql, (settings.SEARCH_CONFIG, _websearch(query.terms)), output_field=BooleanField())
    return None


FTS5_WINDOW = 256  # the first window of matches read newest first; each next one is 4 times larger


def _fts5_newest(messages, query: Query, before: int | None, wanted: int) -> list[Message]:
    """The newest `wanted` of `messages` that match, reading FTS5's matches newest first, a window at a time.

    `id IN (SELECT rowid … MATCH)` makes SQLite read every match before it can
    pick the newest: 0.2 s for a word in most of a million messages
    (docs/performance.md). FTS5 reads its rowids in descending order with a
    LIMIT cheaply, so this takes the next window of matches (rowids below
    `before`), keeps those in the rooms and filters asked for, and stops once it
    has enough or the matches end. A window grows fourfold each time, so a
    filter that keeps few of a common word's matches costs a few rounds, not one
    per window.
    """
    fts = _fts5_query(query.terms)
    found: list[Message] = []
    window = FTS5_WINDOW
    below = before
    while len(found) < wanted:
        bound = "" if below is None else " AND rowid < %s"
        params = [fts] + ([] if below is None else [below])
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT min(rowid), count(*) FROM (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s{bound} "
                "ORDER BY rowid DESC LIMIT %s)",
                [*params, window],
            )
            lowest, count = cursor.fetchone()
        if not count:
            break
        inside = RawSQL(
            f"rooms_message.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND rowid >= %s{bound})",
            (fts, lowest, *params[1:]),
            output_field=BooleanField(),
        )
        found.extend(messages.filter(inside).order_by("-id")[: wanted - len(found)])
        if count < window:
            break
        below, window = lowest, window * 4
    return found


def _highlighted(query: Query, ids: list[int]) -> dict[int, str]:
    """Each message's text with START/STOP around what matched, as the index's own tokenizer saw it."""
    if not ids or not query.terms:
        return {}
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"SELECT rowid, highlight({FTS_TABLE}, 0, %s, %s) FROM {FTS_TABLE} "
                f"WHERE {FTS_TABLE} MATCH %s AND rowid IN ({marks})",
                [START, STOP, _fts5_query(query.terms), *ids],
            )
        else:
            cursor.execute(
                "SELECT id, ts_headline(%s::regconfig, text, websearch_to_tsquery(%s::regconfig, %s), %s) "
                f"FROM rooms_message WHERE id IN ({marks})",
                [
                    settings.SEARCH_CONFIG,
                    settings.SEARCH_CONFIG,
                    _websearch(query.terms),
                    f'StartSel="{START}", StopSel="{STOP}", HighlightAll=true',
                    *ids,
                ],
            )
        return dict(cursor.fetchall())


def _utf16(text: str, index: int) -> int:
    # The page's strings count UTF-16 code units; an emoji is one character here and two there.
    return len(text[:index].encode("utf-16-le")) // 2


def _ranges(text: str, marked: str | None) -> list[tuple[int, int]]:
    """Where the marks were, as character offsets into `text`; none if the marked text is not `text` marked."""
    if not marked or marked.replace(START, "").replace(STOP, "") != text:
        return []
    ranges, plain, start = [], 0, None
    for char in marked:
        if char == START:
            start = plain
        elif char == STOP:
            if start is not None and plain > start:
                ranges.append((start, plain))
            start = None
        else:
            plain += 1
    return ranges


def snippet(text: str, ranges: list[tuple[int, int]]) -> tuple[str, list[list[int]]]:
    """A window of the text around the first match, and the ranges within it in UTF-16 offsets."""
    begin = 0
    if ranges and ranges[0][0] > SNIPPET_LEAD:
        begin = ranges[0][0] - SNIPPET_LEAD
        space = text.find(" ", begin, ranges[0][0])
        begin = space + 1 if space != -1 else begin
    end = min(len(text), begin + SNIPPET_CHARS)
    if end < len(text):
        space = text.rfind(" ", begin + SNIPPET_CHARS // 2, end)
        end = space if space != -1 else end
    lead = "…" if begin > 0 else ""
    tail = "…" if end < len(text) else ""
    window = lead + text[begin:end] + tail
    shift = len(lead) - begin
    inside = [(max(s, begin) + shift, min(e, end) + shift) for s, e in ranges if s < end and e > begin]
    return window, [[_utf16(window, s), _utf16(window, e)] for s, e in inside]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def message_search(*, actor: Actor, query: str, before: int | None = None, limit: int | None = None) -> dict[str, Any]:
    """`search_results {query, results, next}`: the newest visible messages `actor` may read that match.

    `before` is the `next` of the previous page (a message id); `next` is null
    on the last page. A query with no words and no filters finds nothing.
    """
    limit = settings.SEARCH_PAGE_SIZE if limit is None else max(1, min(limit, settings.SEARCH_PAGE_SIZE))
    parsed = parse(query)
    answer: dict[str, Any] = {"query": query, "results": [], "next": None}
    if parsed.empty or parsed.has_nothing:
        return answer
    messages = Message.objects.filter(deleted_at__isnull=True, room__in=readable_rooms(actor=actor))
    # Someone the asker blocked: their messages are hidden on the asker's pages (issue 14), so here too.
    messages = messages.exclude(author_key__in=Block.objects.filter(blocker_key=actor.guest_key).values("blocked_key"))
    if parsed.terms and connection.vendor != "sqlite":
        matching = _matching(parsed)
        if matching is None:
            return answer
        messages = messages.filter(matching)
    if parsed.rooms:
        messages = messages.filter(room__key__in=parsed.rooms)
    if parsed.authors:
        by = Q()
        for name in parsed.authors:
            by |= Q(username__iexact=name)
        messages = messages.filter(by)
    if parsed.before:
        messages = messages.filter(created_at__lt=_day_start(parsed.before))
    if parsed.after:
        messages = messages.filter(created_at__gte=_day_start(parsed.after + timedelta(days=1)))
    if parsed.has_link:
        messages = messages.filter(Q(text__icontains="http://") | Q(text__icontains="https://"))
    for kind in parsed.has_kinds:
        sent = Attachment.objects.filter(kind=kind, message__isnull=False).values("message_id")
        messages = messages.filter(attachment_count__gt=0, pk__in=sent)
    if parsed.terms and connection.vendor == "sqlite":
        page = _fts5_newest(messages.select_related("room"), parsed, before, limit + 1)
    else:
        if before is not None:
            messages = messages.filter(id__lt=before)
        page = list(messages.select_related("room").order_by("-id")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    marked = _highlighted(parsed, [m.pk for m in page])
    for message in page:
        text, ranges = snippet(message.text, _ranges(message.text, marked.get(message.pk)))
        answer["results"].append(
            {
                "id": message.pk,
                "room": message.room.name,
                "room_title": message.room.title,
                "room_kind": message.room.kind,
                "username": message.username,
                "ts": timestamp(message.created_at),
                "snippet": text,
                "ranges": ranges,
            }
        )
    if more:
        answer["next"] = page[-1].pk
    return answer
